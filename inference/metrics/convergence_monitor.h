#pragma once
// Convergence diagnostics of a sampling run, computed as it runs (a RunObserver) without
// storing samples, cheaply enough to be on by default in `dgm sample`:
//
//   * split-R̂ per variable (inference/metrics/split_rhat.h) of the state indicators 1[x_v = k]
//     (binary variables: the indicator of state 1; categorical: the largest R̂ over states).
//     An indicator's within-chain variance follows from its mean, p(1 − p)·n/(n − 1), so R̂
//     needs only the counts of each state per chain and half. The number of kept samples need
//     not be known in advance (time budgets, early stop): counts are kept per segment of
//     ℓ kept sweeps, ℓ a power of two; when the segments would exceed max_segments, neighbours
//     are merged and ℓ doubles. At the end the first 2h full segments (h = ⌊full segments / 2⌋)
//     make the two halves; the at most one full and one partial segment after them are left
//     out (under 2/(max_segments/2) of the kept sweeps once the first merge happened).
//     Memory: max_segments × chains × counters int32, a counter per free binary variable and
//     one per state of a free categorical variable; clamped variables are skipped (R̂ 1).
//   * traces of scalars, for their Geyer ESS (inference/metrics/effective_sample_size.h) and
//     split-R̂: each variable group's mean state, per chain, and the log-potential f(x) (the
//     energy is −f; what LogPotentialSummary in dgm sample averages) on the first
//     energy_chains chains. A trace holds at most `capacity` points per chain: one point every
//     `stride` kept sweeps, stride starting at 1; when a trace is full every second point is
//     dropped and the stride doubles, so a run of K kept sweeps ends with between capacity/2
//     and capacity points (all K when K ≤ capacity).
//
// Cost. Counting is one increment per free variable and chain per kept sample, with no
// allocation (chains in parallel, each writing only its own counters, so results never depend
// on the threads); a group-mean point is O(N) per chain. f is the expensive part: evaluated
// factor by factor (engine::total_log_potential) it costs several sweeps of an optimised
// sampler (about 2.5 chromatic-Gibbs sweeps on a 32×32 Ising lattice, 40 block-Gibbs sweeps
// on a 784×500 RBM). Hence f is recorded on a few chains only, with a smaller capacity, so
// that a run of K kept sweeps evaluates it about energy_chains × min(K, capacity ·
// (1 + log2(K/capacity)/2)) times; and a caller with a cheaper exact form of f (an RBM's
// k + bᵀv + cᵀh + vᵀWh, inference/model_views/rbm_parameters.h) passes it as log_potential.
//
// With one chain, R̂ compares its two halves only: it catches trends, not modes the chain
// never visited. ESS and τ_int come from the recorded points: with stride s > 1, τ_int (given
// in kept sweeps) is resolved only in multiples of s, and the ESS (traced chains × points / τ
// in points) is at most traced chains × points — an underestimate of the whole run's when
// successive kept sweeps are nearly independent, and, for f, of the traced chains only.
#include <cmath>
#include <cstdint>
#include <functional>
#include <limits>
#include <span>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/sampling/run.h"

namespace dgm::inference {

struct ConvergenceOptions {
  // Segments of per-chain state counts (even, ≥ 4): more leave fewer kept sweeps out of R̂.
  std::int32_t max_segments = 32;
  // Points per chain of the group-mean traces before the recording is thinned by 2 (even, ≥ 8).
  std::int32_t trace_capacity = 1024;
  // f(x) is recorded on the first energy_chains chains (all when the run has fewer; 0: not at
  // all), at most energy_capacity points per chain (even, ≥ 8) before thinning by 2.
  std::int32_t energy_chains = 4;
  std::int32_t energy_capacity = 256;
  // f of `rows` full states (row-major, rows × N) into out[0, rows). Must equal the model's
  // log-potential. Empty: engine::total_log_potential on each row, in parallel.
  std::function<void(std::span<const std::int32_t> states, std::int64_t rows,
                     std::span<double> out)>
      log_potential;
};

// ESS, τ_int and split-R̂ of one scalar trace; NaN when not computed (fewer than 4 points per
// chain, or a non-finite value such as f = −∞ in a state a hard constraint forbids).
struct TraceDiagnostics {
  double ess = std::numeric_limits<double>::quiet_NaN();
  double tau_int = std::numeric_limits<double>::quiet_NaN();  // in kept sweeps
  double rhat = std::numeric_limits<double>::quiet_NaN();
  bool constant = false;  // every recorded value the same
  bool computed() const { return !std::isnan(ess); }
};

struct GroupTraceDiagnostics {
  std::string group;      // the variable group's name
  TraceDiagnostics mean;  // of the group's mean state per chain
};

struct ConvergenceReport {
  std::int32_t chains = 0;
  std::int64_t kept_sweeps = 0;  // per chain (samples = kept_sweeps × chains)

  // --- split-R̂ of the state indicators ---
  // Kept sweeps per half-chain R̂ rests on; 0 when there were too few (under 4 kept sweeps)
  // and R̂ is not computed.
  std::int64_t rhat_half_length = 0;
  // Per variable; NaN for clamped variables and when not computed.
  std::vector<double> variable_rhat;
  // The largest over free variables (+inf when a variable never moved within any chain but
  // differs between chains), its variable and the variable's name ("s[3,4]"); NaN and −1 when
  // not computed or every variable is clamped.
  double max_rhat = std::numeric_limits<double>::quiet_NaN();
  std::int32_t worst_variable = -1;
  std::string worst_variable_name;

  // --- scalar traces ---
  // f(x) on the first energy_chains chains: points per chain and kept sweeps between points.
  std::int32_t energy_chains = 0;
  std::int64_t energy_trace_length = 0, energy_trace_stride = 1;
  TraceDiagnostics energy;
  // The group means, on every chain.
  std::int64_t trace_length = 0, trace_stride = 1;
  std::vector<GroupTraceDiagnostics> groups;  // in the model's group order
};

class ConvergenceMonitor : public RunObserver {
 public:
  // For runs of `num_chains` chains of `model` (which must outlive the monitor). Throws
  // dgm::Error on options out of range.
  ConvergenceMonitor(const engine::CompiledModel& model, std::int32_t num_chains,
                     ConvergenceOptions options = {});

  void on_sample(std::int64_t sweep, const Chains& chains) override;

  // The diagnostics of every sample seen so far (may be called at any time).
  ConvergenceReport report() const;

  std::int64_t kept_sweeps() const { return kept_; }

 private:
  // `series` scalar series of at most `capacity` points each (values[s · capacity + t]),
  // recorded every `stride` kept sweeps.
  struct Trace {
    std::int64_t series = 0, capacity = 0, length = 0, stride = 1;
    std::vector<double> values;
    // Whether kept sweep `kept` is recorded; thins the trace first when it is full.
    bool make_room(std::int64_t kept);
    // Series s as chains × length, chain-major, from series [first, first + chains).
    void compact(std::int64_t first, std::int64_t chains, std::vector<double>& out) const;
  };

  const engine::CompiledModel& model_;
  ConvergenceOptions options_;
  std::int32_t chains_ = 0;
  // Free variables and their counters: counter_[i] is the first counter of tracked_[i];
  // binary variables have one (state 1), categorical ones one per state.
  std::vector<std::int32_t> tracked_, counter_, cardinality_;
  std::int64_t counters_ = 0;  // per chain
  bool dense_binary_ = false;  // every variable free and binary: counter v is variable v's
  // counts_[(segment · chains + chain) · counters_ + counter].
  std::vector<std::int32_t> counts_;
  std::int64_t segment_length_ = 1, segment_ = 0, in_segment_ = 0;
  std::int64_t kept_ = 0;
  // f on the first energy_chains_ chains (series = chain); group means (series = group ·
  // chains + chain).
  std::int32_t energy_chains_ = 0;
  Trace energy_, group_means_;
  std::vector<double> energy_scratch_;  // f of the traced chains at one point
};

}  // namespace dgm::inference
