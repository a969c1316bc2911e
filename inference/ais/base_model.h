#pragma once
// The start of the annealing path: a model p_0 of independent variables,
//   p_0(x) = Π_{v free} exp(u_v(x_v)) / Z_0,   log Z_0 = Σ_{v free} log Σ_k exp(u_v(k)),
// over the variables the evidence leaves free (clamped variables keep their states along the
// whole path). u is uniform (all zeros) by default, or given per state; Salakhutdinov & Murray
// (2008, §4.2) start an RBM's path from the visible units' data marginals, which puts p_0 near
// where the model's mass is and shortens the path (base_from_state_counts).
//
// u must be finite: a base state of probability zero that the model allows would leave that
// part of the space out of the estimate (AIS estimates the mass of p_1 on the support of p_0).
#include <cstdint>
#include <span>
#include <vector>

#include "engine/compiled_model.h"
#include "engine/random.h"

namespace dgm::inference {

class BaseModel {
 public:
  // `log_potentials`: u_v(k) at Graph::state_offset[v] + k, or empty for the uniform base.
  // Throws dgm::Error when the size is not the model's number of states or a value is not
  // finite (naming the variable and state).
  BaseModel(const engine::CompiledModel& model, std::span<const double> log_potentials);

  double log_z() const { return log_z_; }
  // Σ_{v free} u_v(x_v).
  double log_potential(std::span<const std::int32_t> x) const;
  // u_v (K_v values).
  std::span<const double> of(std::int32_t v) const {
    return {u_.data() + offsets_[static_cast<std::size_t>(v)],
            static_cast<std::size_t>(offsets_[static_cast<std::size_t>(v) + 1] -
                                     offsets_[static_cast<std::size_t>(v)])};
  }
  // u_v(1) − u_v(0) of a binary variable.
  double log_odds(std::int32_t v) const { return of(v)[1] - of(v)[0]; }
  bool is_free(std::int32_t v) const { return free_[static_cast<std::size_t>(v)] != 0; }
  // Whether u is the same for every state of every free variable of [begin, begin + count)
  // (then p_0 is uniform there).
  bool uniform(std::int32_t begin, std::int32_t count) const;

  // An exact draw of x ~ p_0 (clamped variables at their evidence): variable v takes the
  // uniform CounterRng::uniform(sweep_counter(0, v)) of `rng`.
  void sample(const engine::CounterRng& rng, std::span<std::int32_t> x) const;

 private:
  const engine::CompiledModel* model_;
  std::vector<double> u_;
  std::vector<std::int64_t> offsets_;
  std::vector<std::uint8_t> free_;
  double log_z_ = 0;
};

// Base log-potentials from the states a dataset shows: for every variable with counts,
// u_v(k) = log((n_vk + α) / (n_v + K_v·α)) — the smoothed empirical marginal (α pseudo-counts
// per state keep every state possible); variables without counts (hidden) stay uniform (0).
// `counts` is laid out like the log-potentials (Graph::state_offset). Throws dgm::Error for
// α ≤ 0 or not finite, or negative counts.
std::vector<double> base_from_state_counts(const engine::Graph& graph,
                                           std::span<const double> counts, double pseudo_count);

}  // namespace dgm::inference
