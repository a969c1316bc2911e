#pragma once
// The maximum-likelihood gradient of the average log-likelihood of a minibatch,
//   ∂/∂θ (1/n) Σ_b log p(v_b) = E_data[φ] − E_model[φ],
// for every parameter value (tied values collect the statistics of every factor sharing them;
// the optimiser moves only learnable ones).
//
// Data side: the visible columns of each example set; hidden variables (the model's variables
// that the data does not hold) are summed out exactly when they are an RBM's hidden layer — the
// statistics use p(h_j = 1 | v) = σ((Wᵀv + c)_j) (Rao–Blackwellised) — and are otherwise not
// sampled with the visible values clamped (learning/clamped_hidden.h: persistent per-example
// Gibbs chains over the hidden variables, `hidden_sweeps` sweeps per update).
//
// Model side, interchangeable (the "negatives"):
//   kExact  junction-tree factor marginals (small models);
//   kCd     k sweeps of sampler T started at the minibatch (Hinton 2002): chains = batch size;
//   kPcd    k sweeps of sampler T on persistent chains kept across updates (Tieleman 2008);
//   kFresh  fresh draws of sampler S each update (S = pmp is PMP learning, Zhou et al. 2022),
//           refined by k ≥ 0 sweeps of T; k = 0 takes S's draws as they are (its bias is S's).
// Sampled negatives of an RBM use p(h | v) at the sampled v, like the data side; an RBM's
// sampled gradient is computed by its fast path (learning/rbm_gradient.h: float, one pass over
// the weights), everything else by the general statistics (learning/batch_statistics.h).
//
// Every sampler runs in an inference::Session, so parameter changes reach it through
// Session::set_parameters and the random streams continue across updates: results are a
// function of the seed alone, for any number of threads.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "dgm/sampler.pb.h"
#include "dgm/session.pb.h"
#include "engine/compiled_model.h"
#include "inference/session/session.h"
#include "learning/batch_statistics.h"
#include "learning/binary_products.h"
#include "learning/clamped_hidden.h"
#include "learning/dataset.h"
#include "learning/rbm_gradient.h"

namespace dgm::learning {

enum class Negatives { kExact, kCd, kPcd, kFresh };

struct GradientSettings {
  Negatives negatives = Negatives::kCd;
  std::string sampler = "gibbs";        // T: the MCMC refinement (cd, pcd, fresh with k > 0)
  proto::SamplerConfig sampler_config;  // T's settings
  std::string fresh_sampler = "pmp";    // S: fresh draws (kFresh)
  proto::SamplerConfig fresh_config;
  std::int64_t k = 1;              // sweeps of T per update (≥ 1 for cd/pcd, ≥ 0 fresh)
  std::int64_t hidden_sweeps = 5;  // data side: sweeps of the clamped hidden chains per update
  std::int32_t chains = 100;       // persistent chains (pcd) or fresh draws per update
  std::uint64_t seed = 0;
  int threads = 0;
  // Tests: the general statistics (double, learning/batch_statistics.h) even where the RBM
  // fast path (learning/rbm_gradient.h) applies.
  bool generic_statistics = false;
};

class GradientEstimator {
 public:
  // `batch_size` is the number of examples per gradient (CD runs that many chains). Throws
  // dgm::Error for bad settings, unknown samplers, or hidden variables it cannot sum out.
  GradientEstimator(const engine::CompiledModel& model, const VisibleLayout& visible,
                    std::int32_t batch_size, const GradientSettings& settings);
  ~GradientEstimator();

  // The parameter values the next gradients are taken at (Params::values layout).
  void set_parameters(std::span<const double> values);

  // out = E_data[φ] − E_model[φ] over the examples `rows` of `data` (rows.size() ==
  // batch_size): both sides are summed into `out` (the data's with weight +1/B, the model's
  // with −1/B), not kept apart.
  void gradient(const Dataset& data, std::span<const std::int64_t> rows, std::span<double> out);
  // The persistent chains (pcd), for checkpoints and mixing diagnostics; null otherwise.
  // (Read-only: the RBM fast path reads the float weights of a block-Gibbs session's sampler,
  // so the sessions change only through set_parameters and restore_sessions.)
  const inference::Session* persistent() const { return persistent_.get(); }
  bool rao_blackwellised() const { return rbm_.has_value(); }
  // Whether the RBM fast path computes the statistics (learning/rbm_gradient.h).
  bool rbm_fast_path() const { return fast_ != nullptr; }
  // Hidden variables sampled with the visible clamped (not an RBM's hidden layer): their
  // per-example chains, for checkpoints (empty before the first gradient or without them), and
  // restoring them with the number of updates done (the chains' stream position).
  std::span<const std::int32_t> clamped_hidden_chains() const;
  void restore_clamped_hidden(std::span<const std::int32_t> chains, std::int64_t examples,
                              std::int64_t updates);
  // The session whose chains hold the latest negatives (cd, persistent, or the fresh draws
  // after refinement); null for exact gradients.
  const inference::Session* negatives_session() const;

  // The sampling sessions by role ("cd", "persistent", "fresh", "refine"): their chains and
  // stream positions, for a training checkpoint. restore_sessions() replaces them with saved
  // ones (taken on the current parameters: call set_parameters first). Throws dgm::Error when
  // the saved roles are not this estimator's.
  std::map<std::string, proto::SessionCheckpoint> session_checkpoints() const;
  void restore_sessions(const std::map<std::string, proto::SessionCheckpoint>& saved,
                        const std::string& source);

 private:
  struct Rbm {
    std::int32_t block = -1, visible_begin = 0, num_visible = 0, hidden_begin = 0, num_hidden = 0;
  };
  // Full states of the examples: visible from the data, hidden (RBM) left 0 (soft values are
  // used instead).
  void fill_states(const Dataset& data, std::span<const std::int64_t> rows,
                   std::vector<std::int32_t>& states) const;
  // p(h = 1 | v) for every row of `states` into soft_ (RBM only).
  void hidden_probabilities(std::span<const std::int32_t> states, std::int64_t rows);
  // out += sign · mean statistics of the rows of `states`.
  void add_statistics_of(std::span<const std::int32_t> states, std::int64_t rows, double sign,
                         std::span<double> out);
  // The negatives' side: into the fast path, or out −= their mean statistics.
  void add_negatives(std::span<const std::int32_t> states, std::int64_t rows,
                     std::span<double> out);
  // out −= the model's statistics from junction-tree factor marginals.
  void subtract_exact_model_statistics(std::span<double> out);

  std::shared_ptr<engine::CompiledModel> model_;  // the current parameters
  VisibleLayout visible_;
  std::int32_t batch_size_;
  GradientSettings settings_;
  BatchStatistics statistics_;
  std::optional<Rbm> rbm_;
  std::unique_ptr<RbmGradient> fast_;  // an RBM's sampled gradients (null: general path)
  // CD's chains need no hidden states to start from: the sampler (block Gibbs on an RBM)
  // draws the hidden layer from the visible one first.
  bool cd_draws_hidden_first_ = false;
  std::vector<std::uint8_t> soft_vars_;
  std::vector<double> soft_;
  // hidden_probabilities' buffers, kept across minibatches.
  std::vector<double> preactivations_, visible_values_;
  OnesIndex ones_;
  std::vector<std::int32_t> states_;
  // A row of states before the data is written into it: the evidence, 0 elsewhere.
  std::vector<std::int32_t> evidence_row_;
  std::unique_ptr<inference::Session> cd_, persistent_, fresh_, refine_;
  std::vector<std::int32_t> hidden_;  // free variables not in the data
  std::unique_ptr<ClampedHidden> clamped_;
  std::int64_t updates_ = 0;  // gradients taken: the clamped chains' stream position
};

}  // namespace dgm::learning
