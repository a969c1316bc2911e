#pragma once
// The RBM view of a compiled model: whether it is a restricted Boltzmann machine (one
// bipartite block between two groups of binary variables, plus unary biases) and where its
// layers, weights and biases are. The block-Gibbs fast path (inference/gibbs/rbm_block_gibbs.h)
// and the visible-marginal target of the gradient samplers (inference/gradient/rbm_marginal.h)
// both run on this view.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::inference {

// Where the two layers of an RBM-shaped model are.
struct RbmLayout {
  std::int32_t block = -1;                          // index of the bipartite block in Graph::blocks
  std::int32_t visible_begin = 0, num_visible = 0;  // the block's left range
  std::int32_t hidden_begin = 0, num_hidden = 0;    // the block's right range
};

// The layout of `model` when it is RBM-shaped: exactly one bipartite block, whose two ranges
// are disjoint and together hold every variable, and otherwise only arity-1 blocks (unary or
// table kind) read as a table, log-odds or spin field. The parameters must give finite weights
// and biases that are not NaN (a variable with both states impossible). nullopt otherwise.
std::optional<RbmLayout> rbm_layout(const engine::CompiledModel& model);

// The log-odds bias of every variable of an RBM-shaped model (indexed by variable id), summed
// over its unary blocks (log-odds w, spin field 2h, table t1 − t0).
std::vector<double> rbm_bias_log_odds(const engine::CompiledModel& model);

// The RBM fast paths (block Gibbs, the visible-marginal samplers, learning's gradient) hold the
// weights in float: the refusal, dgm::Error starting with `who`, of weight k (row-major,
// visible × hidden) of `model`'s weight block, which they cannot take (not finite, or beyond
// float's ±3.4e38, where it would become ±inf and inf − inf a NaN).
[[noreturn]] void throw_weight_outside_float(const engine::CompiledModel& model,
                                             const RbmLayout& layout, std::int64_t k,
                                             const std::string& who);

}  // namespace dgm::inference
