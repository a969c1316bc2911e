#pragma once
// The numbers of an RBM-shaped model (inference/model_views/rbm_layout.h) in the form the
// RBM-specialised computations use — annealed importance sampling (inference/ais), the exact
// log Z by enumerating one layer (inference/exact/rbm_log_z.h) and scoring data
// (learning/score.h):
//   f(v, h) = k + bᵀv + cᵀh + vᵀWh,   k = f(0, 0) (log_constant plus every unary's θ(0)),
// and the log of the visible layer's unnormalised marginal, the hidden layer summed out
// analytically (minus the free energy; Hinton 2010, "A practical guide to training RBMs", §16.1):
//   log Σ_h exp f(v, h) = k + bᵀv + Σ_j softplus(a_j),   a = Wᵀv + c,
// where a hidden unit clamped by evidence to state s contributes s·a_j instead of softplus(a_j).
#include <Eigen/Core>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/model_views/rbm_layout.h"

namespace dgm::inference {

struct RbmParameters {
  using Matrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  RbmLayout layout;
  Matrix w;              // nv × nh
  Eigen::VectorXd b, c;  // visible and hidden log-odds biases
  double constant = 0;   // k = f(0, 0)
};

// The parameters of `model` when it is RBM-shaped and every bias is finite (an infinite bias
// forces a unit, which the factor-graph paths handle); nullopt otherwise.
std::optional<RbmParameters> rbm_parameters(const engine::CompiledModel& model);

// log Σ_h exp f(v, h) for every row of `visible` (rows × nv states, row-major), hidden units
// clamped by `model.evidence` kept at their states: the batch is one double product per block
// of 256 rows (oneTBB over the blocks, so the result does not depend on the number of threads).
// The visible rows are not checked against the visible evidence.
std::vector<double> rbm_log_visible_marginals(const engine::CompiledModel& model,
                                              const RbmParameters& rbm,
                                              std::span<const std::int32_t> visible,
                                              std::int64_t rows);

// f(v, h) = k + bᵀv + cᵀh + vᵀWh of every row of `states` (rows × N full states in the model's
// variable order, row-major): the model's log-potential (engine::total_log_potential) by two
// products instead of one evaluation per factor — about 40 times faster on a 784×500 RBM,
// which is what lets the convergence monitor trace f on every run. Rows in blocks over
// oneTBB; each row's value does not depend on the number of threads. States are not checked.
std::vector<double> rbm_log_potentials(const RbmParameters& rbm,
                                       std::span<const std::int32_t> states, std::int64_t rows);

}  // namespace dgm::inference
