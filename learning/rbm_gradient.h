#pragma once
// The RBM fast path of the sampled gradient: E_data[φ] − E_model[φ] for a restricted Boltzmann
// machine (one bipartite log-odds block W, visible × hidden, and unary biases; the hidden layer
// is what the data leave out), in float and in one pass over the weights.
//
// Each side s — the data (+) and the negatives (−), B_s rows of states each — enters through
// its visible states V_s (0/1) and the hidden units' probabilities P_s = σ(V_s·W + c) given
// them (Rao–Blackwellised, Hinton 2010, "A practical guide to training RBMs", §3):
//
//   ∂/∂W_ij = (1/B_0) Σ_{b: V_0[b,i] = 1} P_0[b,j] − (1/B_1) Σ_{b: V_1[b,i] = 1} P_1[b,j]
//
// and the unary biases through each unary kind's φ (factors/: written once there), weighted
// by the mean state of their variable on each side (a visible variable's fraction of ones, a
// hidden unit's mean probability).
//
// Why a path of its own: the general statistics (learning/batch_statistics.h) take each side
// separately, in double, through rows × N buffers of states and probabilities; for a 784×500
// RBM that is several passes over 392,000 weights and 6 MB of buffers per update, most of an
// update's time. Here both products with binary states are sums of the rows the ones select
// (V·W: rows of W; Vᵀ·P: rows of P) — a seventh of a dense product's additions on MNIST-like
// data (13% ones), no multiplication — and both sides meet in one pass that writes each
// weight's gradient once.
//
// Precision: float sums of at most B terms in (0, 1) — relative error ~1e−7, far below the
// sampling noise of any estimate of E_model; tests compare with the general path in double.
// Results never depend on the number of threads: every sum runs in a fixed order (the ones
// ascending) whatever the tiling.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/compiled_model.h"
#include "learning/binary_products.h"

namespace dgm::learning {

class RbmGradient {
 public:
  // The fast path for `model`, or nullptr when it is not an RBM this path covers (RBM-shaped
  // with a log-odds weight block whose parameter no other block reads). `model` must outlive
  // the path, which writes its values in set_parameters.
  static std::unique_ptr<RbmGradient> make(engine::CompiledModel& model);

  // Installs `values` (Params::values layout) into the model and its weights and hidden biases
  // into float (every update calls this). Throws dgm::Error for a weight that is not finite (or
  // beyond float's range) or a hidden bias that is NaN. `float_weights`, when given, are these
  // values' weights already converted to float (nv × nh, row-major: a block-Gibbs sampler's mirror,
  // RbmBlockGibbs::float_weights); the path then reads them instead of a conversion of its own, and
  // they must stay valid and unchanged until the next set_parameters. (Values that are the model's
  // own buffer, installed in place, are converted anyway: there is no copy pass to check them in.)
  void set_parameters(std::span<const double> values, std::span<const float> float_weights = {});

  // One side of the gradient (0: the data, 1: the negatives): the visible states of `rows`
  // full rows of states (rows × N, chain-major; non-zero counts as one) and their hidden
  // probabilities.
  // `products`, when given (rows × hidden, row-major), are the rows' V·W already computed with
  // these parameters' float weights (a block-Gibbs sweep's, RbmBlockGibbs::hidden_products):
  // P is then σ(products + c) and the products are not summed again.
  void set_side(int side, std::span<const std::int32_t> states, std::int64_t rows,
                std::span<const float> products = {});

  // P of a side, rows × hidden (row-major).
  std::span<const float> hidden_probabilities(int side) const;

  // out = the gradient from both sides: every entry written (0 for values no factor reads).
  void gradient(std::span<double> out) const;

 private:
  explicit RbmGradient(engine::CompiledModel& model);

  struct Side {
    std::int64_t rows = 0;
    // The ones of the visible states by row and by variable (learning/binary_products.h).
    OnesIndex by_row, by_variable;
    std::vector<float> p;  // rows × nh
  };

  engine::CompiledModel& model_;
  std::int32_t block_ = -1;
  std::int32_t num_variables_ = 0;
  std::int32_t visible_begin_ = 0, num_visible_ = 0, hidden_begin_ = 0, num_hidden_ = 0;
  std::int64_t weight_offset_ = 0;  // W[i, j] is value weight_offset_ + i·nh + j
  std::vector<float> own_weights_;  // nv × nh, row-major: the conversion when none is shared
  const float* weights_ = nullptr;  // the float weights read: own_weights_ or shared ones
  std::vector<float> hidden_bias_;  // nh log-odds
  Side sides_[2];
};

}  // namespace dgm::learning
