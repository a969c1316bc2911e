#include "learning/rbm_gradient.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/error.h"
#include "engine/value_passes.h"
#include "engine/vector_kernels.h"
#include "factors/factor_eval.h"
#include "inference/model_views/rbm_layout.h"

namespace dgm::learning {
namespace {

// Hidden units per column tile of P (a tile of W's columns, nv × 128 floats = 400 KB for 784
// visible units, stays in a core's L2 while the tile's rows are summed) and rows per task.
constexpr std::int64_t kColumnTile = 128;
constexpr std::int64_t kRowBlock = 32;
// Columns of a weight row's gradient summed in stack buffers at a time.
constexpr std::int64_t kChunk = 256;

// to[0 .. width) = Σ_{k ∈ selected} rows[k·stride .. k·stride + width), in the order given.
void sum_selected_rows(const float* rows, std::int64_t stride,
                       std::span<const std::int32_t> selected, std::int64_t width, float* to) {
  engine::sum_selected_rows_float(rows, stride, selected.data(),
                                  static_cast<std::int64_t>(selected.size()), to, width);
}

}  // namespace

std::unique_ptr<RbmGradient> RbmGradient::make(engine::CompiledModel& model) {
  const std::optional<inference::RbmLayout> layout = inference::rbm_layout(model);
  if (!layout) return nullptr;
  const engine::Graph& g = *model.graph;
  const factors::FactorBlock& block = g.blocks[static_cast<std::size_t>(layout->block)];
  if (block.potential != factors::Potential::kLogOdds || block.param_stride != 1 ||
      block.param < 0 || block.left_begin != layout->visible_begin ||
      block.right_begin != layout->hidden_begin)
    return nullptr;
  for (std::size_t b = 0; b < g.blocks.size(); ++b)
    if (static_cast<std::int32_t>(b) != layout->block && g.blocks[b].param == block.param)
      return nullptr;  // a bias tied to the weights: the general path handles that
  return std::unique_ptr<RbmGradient>(new RbmGradient(model));
}

RbmGradient::RbmGradient(engine::CompiledModel& model) : model_(model) {
  const inference::RbmLayout layout = *inference::rbm_layout(model);
  const factors::FactorBlock& block = model.graph->blocks[static_cast<std::size_t>(layout.block)];
  block_ = layout.block;
  num_variables_ = model.graph->num_variables();
  visible_begin_ = layout.visible_begin;
  num_visible_ = layout.num_visible;
  hidden_begin_ = layout.hidden_begin;
  num_hidden_ = layout.num_hidden;
  weight_offset_ = block.param_offset;
  set_parameters(model.params.values);
}

void RbmGradient::set_parameters(std::span<const double> values,
                                 std::span<const float> float_weights) {
  std::vector<double>& installed = model_.params.values;
  if (values.size() != installed.size())
    throw Error("learning: " + std::to_string(values.size()) +
                " parameter values for a model with " + std::to_string(installed.size()));
  const std::int64_t count = std::int64_t{num_visible_} * num_hidden_;
  if (!float_weights.empty() && static_cast<std::int64_t>(float_weights.size()) != count)
    throw std::logic_error("RbmGradient::set_parameters: shared weights of the wrong size");
  const double* w = values.data() + weight_offset_;
  double* copy = installed.data() + weight_offset_;
  const bool copying = values.data() != installed.data();
  // Values installed in place have no copy pass to check them in: they are converted here.
  const bool converting = float_weights.empty() || !copying;
  if (converting) own_weights_.resize(static_cast<std::size_t>(count));
  // One pass per chunk that copies and/or converts the weights and reports non-finite ones
  // (engine/value_passes.h), chunks in parallel.
  constexpr std::int64_t kChunk = 32768;
  std::atomic<bool> finite{true};
  tbb::parallel_for(std::int64_t{0}, (count + kChunk - 1) / kChunk, [&](std::int64_t c) {
    const std::int64_t begin = c * kChunk, size = std::min(kChunk, count - begin);
    bool bad = false;
    if (converting)
      bad = engine::convert_reporting_non_finite(w + begin, own_weights_.data() + begin, size);
    if (copying) {
      if (converting)
        std::copy(w + begin, w + begin + size, copy + begin);
      else
        bad = engine::copy_reporting_non_finite(w + begin, copy + begin, size);
    }
    if (bad) finite.store(false, std::memory_order_relaxed);
  });
  weights_ = converting ? own_weights_.data() : float_weights.data();
  if (copying) {  // the biases and anything else: a few thousand values
    std::copy(values.begin(), values.begin() + weight_offset_, installed.begin());
    std::copy(values.begin() + weight_offset_ + count, values.end(),
              installed.begin() + weight_offset_ + count);
  }
  const engine::Graph& g = *model_.graph;
  if (!finite.load())
    for (std::int64_t i = 0; i < count; ++i)
      if (!std::isfinite(static_cast<float>(w[i])))
        inference::throw_weight_outside_float(
            model_, {block_, visible_begin_, num_visible_, hidden_begin_, num_hidden_}, i,
            "learning");
  const std::vector<double> bias = inference::rbm_bias_log_odds(model_);
  hidden_bias_.resize(static_cast<std::size_t>(num_hidden_));
  for (std::int32_t j = 0; j < num_hidden_; ++j) {
    const double b = bias[static_cast<std::size_t>(hidden_begin_ + j)];
    if (std::isnan(b))
      throw Error("learning: the log-odds bias of " + g.variable_name(hidden_begin_ + j) +
                  " is NaN (a NaN parameter, or both states given −inf)");
    hidden_bias_[static_cast<std::size_t>(j)] = static_cast<float>(b);
  }
}

void RbmGradient::set_side(int side, std::span<const std::int32_t> states, std::int64_t rows,
                           std::span<const float> products) {
  const std::int64_t n = num_variables_, nv = num_visible_, nh = num_hidden_;
  if (rows < 1 || static_cast<std::int64_t>(states.size()) != rows * n)
    throw Error("learning: " + std::to_string(states.size()) + " states for " +
                std::to_string(rows) + " rows of " + std::to_string(n) + " variables");
  if (!products.empty() && static_cast<std::int64_t>(products.size()) != rows * nh)
    throw std::logic_error("RbmGradient::set_side: products of the wrong size");
  Side& s = sides_[side];
  s.rows = rows;
  index_ones(states, n, visible_begin_, rows, nv, /*by_row=*/true, s.by_row);
  transpose_ones(s.by_row, nv, s.by_variable);
  s.p.resize(static_cast<std::size_t>(rows * nh));
  if (!products.empty()) {
    tbb::parallel_for(std::int64_t{0}, (rows + kRowBlock - 1) / kRowBlock, [&](std::int64_t t) {
      for (std::int64_t b = t * kRowBlock; b < std::min(rows, (t + 1) * kRowBlock); ++b)
        engine::logistic_row(products.data() + b * nh, hidden_bias_.data(), s.p.data() + b * nh,
                             nh);
    });
    return;
  }
  // P = σ(V·W + c): for each row, the sum of the rows of W its ones select, by column tiles
  // (the tile of W stays in cache across the block's rows). Each entry's sum runs over the
  // row's ones in ascending order, whatever the tiling.
  const std::int64_t tiles = (nh + kColumnTile - 1) / kColumnTile;
  const std::int64_t blocks = (rows + kRowBlock - 1) / kRowBlock;
  tbb::parallel_for(std::int64_t{0}, tiles * blocks, [&](std::int64_t task) {
    const std::int64_t c0 = task % tiles * kColumnTile, width = std::min(kColumnTile, nh - c0);
    const std::int64_t b0 = task / tiles * kRowBlock;
    float sum[kColumnTile];
    for (std::int64_t b = b0; b < std::min(rows, b0 + kRowBlock); ++b) {
      sum_selected_rows(weights_ + c0, nh, s.by_row.line(b), width, sum);
      engine::logistic_row(sum, hidden_bias_.data() + c0, s.p.data() + b * nh + c0, width);
    }
  });
}

std::span<const float> RbmGradient::hidden_probabilities(int side) const { return sides_[side].p; }

void RbmGradient::gradient(std::span<double> out) const {
  const std::int64_t nv = num_visible_, nh = num_hidden_;
  const Side& data = sides_[0];
  const Side& model = sides_[1];
  if (data.rows < 1 || model.rows < 1)
    throw std::logic_error("RbmGradient::gradient before both sides were set");
  if (out.size() != model_.params.values.size())
    throw Error("learning: a gradient of " + std::to_string(out.size()) + " entries for " +
                std::to_string(model_.params.values.size()) + " parameter values");
  const double inv_data = 1.0 / static_cast<double>(data.rows);
  const double inv_model = 1.0 / static_cast<double>(model.rows);
  // Everything but the weights starts at 0 (the biases add their statistics below).
  const auto w_begin = static_cast<std::size_t>(weight_offset_);
  const auto w_end = w_begin + static_cast<std::size_t>(nv * nh);
  std::fill(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(w_begin), 0.0);
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(w_end), out.end(), 0.0);
  // The weights: row i of the gradient from the P rows of both sides where v_i = 1.
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, nv, 8),
                    [&](const tbb::blocked_range<std::int64_t>& r) {
                      float plus[kChunk], minus[kChunk];
                      for (std::int64_t i = r.begin(); i < r.end(); ++i) {
                        const auto column = [&](const Side& s) { return s.by_variable.line(i); };
                        double* g = out.data() + weight_offset_ + i * nh;
                        for (std::int64_t c0 = 0; c0 < nh; c0 += kChunk) {
                          const std::int64_t width = std::min(kChunk, nh - c0);
                          sum_selected_rows(data.p.data() + c0, nh, column(data), width, plus);
                          sum_selected_rows(model.p.data() + c0, nh, column(model), width, minus);
                          for (std::int64_t j = 0; j < width; ++j)
                            g[c0 + j] = static_cast<double>(plus[j]) * inv_data -
                                        static_cast<double>(minus[j]) * inv_model;
                        }
                      }
                    });
  // The biases: each variable's mean state on both sides, through its unary factors' φ.
  std::vector<double> mean_difference(static_cast<std::size_t>(num_variables_), 0.0);
  for (std::int64_t i = 0; i < nv; ++i) {
    const auto ones = [&](const Side& s) {
      return static_cast<double>(s.by_variable.line(i).size());
    };
    mean_difference[static_cast<std::size_t>(visible_begin_ + i)] =
        ones(data) * inv_data - ones(model) * inv_model;
  }
  tbb::parallel_for(std::int64_t{0}, (nh + kColumnTile - 1) / kColumnTile, [&](std::int64_t t) {
    const std::int64_t c0 = t * kColumnTile, width = std::min(kColumnTile, nh - c0);
    double plus[kColumnTile] = {}, minus[kColumnTile] = {};
    for (std::int64_t b = 0; b < data.rows; ++b)
      for (std::int64_t j = 0; j < width; ++j)
        plus[j] += data.p[static_cast<std::size_t>(b * nh + c0 + j)];
    for (std::int64_t b = 0; b < model.rows; ++b)
      for (std::int64_t j = 0; j < width; ++j)
        minus[j] += model.p[static_cast<std::size_t>(b * nh + c0 + j)];
    for (std::int64_t j = 0; j < width; ++j)
      mean_difference[static_cast<std::size_t>(hidden_begin_ + c0 + j)] =
          plus[j] * inv_data - minus[j] * inv_model;
  });
  const engine::Graph& g = *model_.graph;
  std::int32_t state[1];
  for (std::size_t bi = 0; bi < g.blocks.size(); ++bi) {
    const factors::FactorBlock& block = g.blocks[bi];
    if (static_cast<std::int32_t>(bi) == block_ || block.param < 0) continue;
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      // State 1 gains what state 0 loses: (m_data − m_model) and (1 − m_data) − (1 − m_model).
      const double d =
          mean_difference[static_cast<std::size_t>(g.scope(block.first_factor + r)[0])];
      if (d == 0.0) continue;
      state[0] = 1;
      factors::add_statistics(block, r, g.enum_configs, state, d, out);
      state[0] = 0;
      factors::add_statistics(block, r, g.enum_configs, state, -d, out);
    }
  }
}

}  // namespace dgm::learning
