#pragma once
// Flip-difference scores, the "gradients" of the gradient-informed discrete samplers:
//   Δ_{v,k}(x) = f(x with x_v = k) − f(x),
// for every free variable v and state k. In a factor graph these are exact: f is multilinear in
// the one-hot encoding of tabular factors, so the first-order difference of the papers
// (Grathwohl et al. 2021, "Oops I Took A Gradient", §3–4; Zhang et al. 2022, "A Langevin-like
// Sampler for Discrete Distributions", §3) equals the flip difference (Grathwohl et al. 2021, §3),
// and it is computed from the factors directly, with no automatic differentiation.
//
// Slots. The proposals are indexed by slots: a binary free variable has one slot (flip it), a
// free variable of K ≥ 3 states has K slots (move to state k), the slot of its current state
// holding Δ = −∞ (not a move). Clamped variables (evidence) have none, so they are never
// proposed. Slots are laid out by variable id.
//
// Two ways to compute Δ, one result:
//  * generic (every factor kind): Conditional::log_probabilities(v, x)
//    (inference/model_views), the same per-factor code the Gibbs samplers use, minus its value
//    at x_v;
//  * binary pairwise fast path (BinaryPairwise's exact affine form, inference/model_views):
//    with the field L_v(x) = b_v + Σ_j W_vj x_j (the log-odds of x_v = 1), Δ_v = (1 − 2x_v)·L_v.
//    The field is kept per chain and moved by W_vj·(x'_j − x_j) when a neighbour changes, O(degree)
//    per change.
// Hard zeros (−∞ log-potentials) take the generic path, where Δ = −∞ for a move into a state of
// probability zero.
#include <cstdint>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/model_views/binary_pairwise.h"
#include "inference/model_views/conditional.h"

namespace dgm::inference {

class FlipScores {
 public:
  // The model must outlive this object. `generic_only` disables the fast path.
  FlipScores(const engine::CompiledModel& model, bool generic_only);

  // Re-reads the parameters (after a learner changed them).
  void refresh();

  // Whether the binary pairwise fast path is in use.
  bool fast() const { return fast_; }
  const engine::CompiledModel& model() const { return *model_; }
  const engine::Graph& graph() const { return *graph_; }

  // The free variables in id order, and the slot layout.
  std::span<const std::int32_t> free_variables() const { return free_; }
  std::int64_t num_slots() const { return static_cast<std::int64_t>(slot_var_.size()); }
  bool is_free(std::int32_t v) const { return first_slot_[v] >= 0; }
  std::int64_t first_slot(std::int32_t v) const { return first_slot_[v]; }
  std::int32_t num_slots_of(std::int32_t v) const {
    return first_slot_[v] < 0 ? 0 : (graph_->cardinality[v] == 2 ? 1 : graph_->cardinality[v]);
  }
  std::int32_t slot_variable(std::int64_t s) const { return slot_var_[s]; }
  // The state slot s moves its variable to when the variable is in state `current`.
  std::int32_t slot_state(std::int64_t s, std::int32_t current) const {
    const std::int32_t v = slot_var_[s];
    return graph_->cardinality[v] == 2 ? 1 - current
                                       : static_cast<std::int32_t>(s - first_slot_[v]);
  }
  // The slot that moves v to state k (k ≠ x_v).
  std::int64_t slot_of(std::int32_t v, std::int32_t k) const {
    return graph_->cardinality[v] == 2 ? first_slot_[v] : first_slot_[v] + k;
  }
  // Doubles of scratch the generic path needs.
  std::size_t scratch_size() const { return static_cast<std::size_t>(max_cardinality_); }

  // Fast path: L_v(x), from scratch (O(degree)).
  double field(std::int32_t v, std::span<const std::int32_t> x) const {
    return pairwise_->log_odds(v, x);
  }
  // Fast path: after x_v changed by d (±1), moves the fields of v's free neighbours.
  void add_field_change(std::int32_t v, std::int32_t d, std::span<double> field) const {
    const std::int64_t begin = graph_->neighbour_offsets[v], end = graph_->neighbour_offsets[v + 1];
    const std::int32_t* neighbour = graph_->neighbours.data();
    const double* w = coupling_.data();
    for (std::int64_t e = begin; e < end; ++e) field[neighbour[e]] += w[e] * d;
  }

  // Writes the scores of v's slots at x into delta[first_slot(v) ...]: from `field` on the
  // fast path, from the factors otherwise. `scratch` has scratch_size() entries.
  void rescore(std::int32_t v, std::span<const std::int32_t> x, std::span<const double> field,
               std::span<double> delta, std::span<double> scratch) const {
    const std::int64_t s = first_slot_[v];
    if (fast_) {
      delta[s] = (1 - 2 * x[v]) * field[v];
      return;
    }
    generic_scores(v, x, delta.subspan(static_cast<std::size_t>(s)), scratch);
  }

  // Every score at x from scratch: the fields of every variable (fast path; `field` has N
  // entries, unused otherwise) and every slot's Δ (`delta` has num_slots() entries). O(edges).
  void compute_all(std::span<const std::int32_t> x, std::span<double> field,
                   std::span<double> delta, std::span<double> scratch) const;

  // The generic path for one variable, whatever fast() says (for tests): Δ of v's slots.
  void generic_scores(std::int32_t v, std::span<const std::int32_t> x, std::span<double> out,
                      std::span<double> scratch) const;

 private:
  const engine::CompiledModel* model_;
  const engine::Graph* graph_;
  bool generic_only_;
  bool fast_ = false;
  Conditional conditional_;
  std::optional<BinaryPairwise> pairwise_;
  std::vector<double> coupling_;  // BinaryPairwise::coupling(), aligned with Graph::neighbours
  std::vector<std::int32_t> free_;
  std::vector<std::int64_t> first_slot_;  // per variable, −1 when clamped
  std::vector<std::int32_t> slot_var_;
  std::int32_t max_cardinality_ = 0;
};

// f(x) − f(x_old), x_old being x with each changes[i].first set back to changes[i].second, from
// the factors that touch a changed variable (each once): exact whatever the factor kinds, and
// −∞ when x has probability zero while x_old has not. One object per thread or chain (it keeps
// scratch); x is restored before returning.
class LocalDifference {
 public:
  explicit LocalDifference(const engine::CompiledModel& model);
  double operator()(std::span<std::int32_t> x,
                    std::span<const std::pair<std::int32_t, std::int32_t>> changes);

 private:
  const engine::CompiledModel* model_;
  std::vector<std::uint32_t> mark_;  // per factor: epoch_ when collected
  std::uint32_t epoch_ = 0;
  std::vector<std::int32_t> factors_;
  std::vector<std::int32_t> states_;
  std::vector<std::int32_t> new_values_;
};

// Throws dgm::Error when a score is +inf or NaN: the chain's state has probability zero or the
// log-potentials overflow, and the sampler would silently never move.
void require_usable_scores(std::span<const double> delta, const char* sampler);

}  // namespace dgm::inference
