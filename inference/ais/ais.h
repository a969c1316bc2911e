#pragma once
// Annealed importance sampling (AIS) estimates of log Z (Neal 2001, "Annealed importance
// sampling"; Salakhutdinov & Murray 2008, "On the quantitative analysis of deep belief
// networks").
//
// The path: p_β(x) ∝ p_0(x)^{1−β} p_1(x)^β, β from 0 to 1 (inference/ais/beta_schedule.h), from
// a base model of independent variables p_0 (inference/ais/base_model.h) to the model p_1 with
// its evidence. Each run draws x from p_0, then for k = 1..K adds f_{β_k}(x) − f_{β_{k−1}}(x)
// to its log weight and moves x by a transition that leaves p_{β_k} invariant; (1/M) Σ w_m is an
// unbiased estimate of Z_1 / Z_0 (inference/ais/importance_weights.h for the error bar).
//
// Two implementations of the same estimator:
//   * RBM-shaped models (inference/model_views/rbm_parameters.h) with no clamped hidden unit run
//     all runs as one batch with the hidden layer summed out analytically in the weights and
//     block Gibbs transitions (inference/ais/rbm_ais.h) — Salakhutdinov & Murray's algorithm;
//   * every other model runs single-site Gibbs transitions on the factor graph
//     (inference/ais/generic_ais.h), which handles any factor kind, evidence and hard factors.
// Both anneal the same p_β (an RBM's base gives its hidden units their own u, uniform by
// default), so they estimate the same Z with the same expected weights.
//
// Hard factors (−∞ log-potentials): f_β = (1 − β)·f_0 + β·f_1 is taken as −∞ wherever
// f_1 = −∞ for every β > 0 (β·(−∞) = −∞), and as f_0 at β = 0. Every p_β with β > 0 then has
// the support of p_1, inside the support of p_0 (whose log-potentials are finite), which is all
// the estimator needs. A run whose base draw breaks a hard factor gets weight 0 at β_1 and stops
// there (counted in AisResult::zero_weight_runs); the others never leave the support, since a
// Gibbs transition at β > 0 never draws a state of probability zero. With many hard factors most
// runs may die: the effective sample size says so.
//
// Random numbers: run m reads CounterRng(seed, stream_id(kAnnealing, m)) with counters
// sweep_counter(k, ·) at β index k (k = 0 for the base draw): a run's weights are a function of
// (model, options, m) alone, so results are bit-identical for any number of threads.
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/ais/beta_schedule.h"

namespace dgm::inference {

struct AisOptions {
  // Independent runs (importance weights), at least 2 (the error bar needs a spread).
  std::int32_t runs = 100;
  // The number of βs on Salakhutdinov & Murray's schedule shape (at least 2; the default is
  // their 14,501). Ignored when `betas` is given.
  std::int64_t num_betas = kSalakhutdinovMurrayBetas;
  // An explicit schedule: 0 first, 1 last, strictly increasing. Empty:
  // annealing_schedule(num_betas).
  std::vector<double> betas;
  std::uint64_t seed = 0;
  // Worker threads (0: all cores). Results do not depend on it.
  int threads = 0;
  // The base model's log-potentials u_v(k) at Graph::state_offset[v] + k (finite), or empty for
  // the uniform base. base_from_state_counts() makes them from a dataset's marginals.
  std::vector<double> base_log_potentials;
  // Never take the RBM batch path (tests compare the two; the factor-graph path is much slower
  // on large RBMs).
  bool generic_only = false;
  // Called on the calling thread every few βs with (βs done, βs in all), and at the end.
  std::function<void(std::int64_t, std::int64_t)> progress;
  // When set and true, the runs stop at the next check (every few βs); the result is then
  // incomplete and has no estimate.
  const std::atomic<bool>* stop = nullptr;
};

struct AisResult {
  static constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
  // log Ẑ = log Z_0 + log (1/M) Σ w_m; NaN when not completed; −∞ when every weight is 0.
  double log_z = kNaN;
  // log(Ẑ ∓ 3 standard errors of the mean weight·Z_0); low is −∞ when the mean is within three
  // standard errors of 0.
  double log_z_low = kNaN, log_z_high = kNaN;
  double log_z_base = kNaN;               // log Z_0
  double relative_standard_error = kNaN;  // σ̂ / Ẑ
  double effective_sample_size = 0;       // (Σ w)² / Σ w²
  std::int64_t zero_weight_runs = 0;      // runs whose base draw has probability zero under p_1
  std::vector<double> log_weights;        // log w_m per run (without log Z_0)
  std::int32_t runs = 0;
  std::int64_t betas = 0;       // length of the schedule
  std::int64_t betas_done = 0;  // βs done (== betas when completed)
  bool completed = false;
  bool rbm_path = false;  // hidden layer summed out analytically (RBM batch path)
  double seconds = 0;
};

// Estimates log Z of `model` (with its evidence) by AIS. Throws dgm::Error for bad options
// (runs < 2, a bad schedule or β count, threads < 0, base log-potentials of the wrong size or
// not finite).
AisResult ais_log_z(const engine::CompiledModel& model, const AisOptions& options = {});

}  // namespace dgm::inference
