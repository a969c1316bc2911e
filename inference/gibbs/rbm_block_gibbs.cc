#include "inference/gibbs/rbm_block_gibbs.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <stdexcept>
#include <string>

#include "engine/dense_product.h"
#include "engine/error.h"
#include "engine/parallel_tiles.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "engine/value_passes.h"
#include "engine/vector_kernels.h"
#include "factors/factor_block.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {

using factors::FactorBlock;

// Column tiles of a layer of n units: [bounds[t], bounds[t + 1]). One tile below 128 units,
// two below 256, otherwise four or more of at most about 256 columns; inner bounds on
// multiples of 16 (whole Philox words, whole SIMD registers), widths as equal as that allows.
// Every column tile repacks the other layer's states for its product, so more tiles cost more
// packing; four keep two or four threads busy at a few percent over one whole product
// (784×500, 100 chains).
constexpr std::int32_t kMaxTileWidth = 288;
std::vector<std::int32_t> column_bounds(std::int32_t n) {
  const std::int32_t tiles = n < 128 ? 1 : n < 256 ? 2 : std::max(4, (n + 255) / 256);
  std::vector<std::int32_t> bounds;
  for (std::int32_t t = 0; t < tiles; ++t) {
    const std::int64_t ideal = static_cast<std::int64_t>(t) * n / tiles;
    bounds.push_back(static_cast<std::int32_t>((ideal + 8) / 16 * 16));
  }
  bounds.push_back(n);
  for (std::size_t t = 0; t + 1 < bounds.size(); ++t)  // the draw's buffer holds one tile row
    if (bounds[t + 1] - bounds[t] > kMaxTileWidth) throw std::logic_error("rbm: tile too wide");
  return bounds;
}

// Below this many multiply-adds per half-step the tiles run on the calling thread (same
// results; saves the task overhead on tiny models).
constexpr std::int64_t kParallelWork = std::int64_t{1} << 16;

}  // namespace

RbmBlockGibbs::RbmBlockGibbs(const engine::CompiledModel& model, const RbmLayout& layout,
                             std::uint64_t seed, bool visible_first)
    : model_(model), layout_(layout), seed_(seed), visible_first_(visible_first) {
  visible_.begin = layout.visible_begin;
  visible_.size = layout.num_visible;
  hidden_.begin = layout.hidden_begin;
  hidden_.size = layout.num_hidden;
  hidden_.first_word = 0;
  for (const std::int64_t c : conditional_costs(*model.graph)) sweep_evaluations_ += c;
  visible_.first_word = static_cast<std::uint64_t>(layout.num_hidden + 3) / 4;
  for (Layer* layer : {&visible_, &hidden_}) {
    layer->bounds = column_bounds(layer->size);
    layer->free.assign(static_cast<std::size_t>(layer->size), 1.0f);
    layer->value.assign(static_cast<std::size_t>(layer->size), 0.0f);
    for (std::int32_t i = 0; i < layer->size; ++i) {
      const std::int32_t e = model.evidence[static_cast<std::size_t>(layer->begin) + i];
      if (e == engine::kFree) continue;
      layer->free[static_cast<std::size_t>(i)] = 0.0f;
      layer->value[static_cast<std::size_t>(i)] = static_cast<float>(e);
    }
  }
  refresh_parameters();
}

void RbmBlockGibbs::refresh_parameters() {
  const engine::Graph& g = *model_.graph;
  const FactorBlock& block = g.blocks[static_cast<std::size_t>(layout_.block)];
  const std::int32_t nv = layout_.num_visible, nh = layout_.num_hidden;
  const double* w = model_.params.values.data() + block.param_offset;
  weights_.resize(nv, nh);
  // Converted in one pass per chunk that also reports non-finite weights (learning refreshes
  // after every update: engine/value_passes.h), chunks in parallel.
  const std::int64_t count = static_cast<std::int64_t>(nv) * nh;
  constexpr std::int64_t kChunk = 32768;
  std::atomic<bool> finite{true};
  tbb::parallel_for(std::int64_t{0}, (count + kChunk - 1) / kChunk, [&](std::int64_t c) {
    const std::int64_t begin = c * kChunk;
    if (engine::convert_reporting_non_finite(w + begin, weights_.data() + begin,
                                             std::min(kChunk, count - begin)))
      finite.store(false, std::memory_order_relaxed);
  });
  transposed_current_ = false;  // rebuilt by the first half-step that sums its rows
  if (!finite.load())
    for (std::int64_t i = 0; i < count; ++i)
      if (!std::isfinite(weights_.data()[i]))
        throw_weight_outside_float(model_, layout_, i, "block-gibbs");
  const std::vector<double> bias = rbm_bias_log_odds(model_);
  for (Layer* layer : {&visible_, &hidden_}) {
    layer->bias.resize(layer->size);
    for (std::int32_t i = 0; i < layer->size; ++i) {
      const double b = bias[static_cast<std::size_t>(layer->begin) + i];
      if (std::isnan(b))
        throw Error("block-gibbs: the log-odds bias of variable " +
                    g.variable_name(layer->begin + i) +
                    " is NaN (a NaN parameter, or both states given −inf)");
      layer->bias[i] = static_cast<float>(b);
    }
  }
}

void RbmBlockGibbs::reset(const Chains& chains) { check_chain_shape(chains, model_, name()); }

void RbmBlockGibbs::prepare_product(const Layer& target, const Ones* ones) const {
  if (&target != &visible_ || ones == nullptr || transposed_current_) return;
  // Wᵀ, for the visible layer's sums of selected rows: blocks of its rows in parallel.
  const std::int32_t nv = layout_.num_visible, nh = layout_.num_hidden;
  transposed_.resize(nh, nv);
  constexpr std::int32_t kTransposeBlock = 64;
  tbb::parallel_for(std::int32_t{0}, (nh + kTransposeBlock - 1) / kTransposeBlock,
                    [&](std::int32_t t) {
                      engine::transpose_rows(weights_.data(), nv, nh, transposed_.data(),
                                             std::int64_t{t} * kTransposeBlock,
                                             std::min<std::int64_t>(nh, (t + 1) * kTransposeBlock));
                    });
  transposed_current_ = true;
}

void RbmBlockGibbs::gather(const Chains& chains, const Layer& layer, Matrix& out) const {
  const std::int32_t num_chains = chains.num_chains();
  out.resize(num_chains, layer.size);
  auto copy_rows = [&](std::int32_t b0, std::int32_t b1) {
    for (std::int32_t b = b0; b < b1; ++b) {
      const std::int32_t* x = chains.chain(b).data() + layer.begin;
      float* row = out.row(b).data();
      for (std::int32_t i = 0; i < layer.size; ++i) row[i] = static_cast<float>(x[i]);
    }
  };
  if (static_cast<std::int64_t>(num_chains) * layer.size < kParallelWork) {
    copy_rows(0, num_chains);
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<std::int32_t>(0, num_chains),
      [&](const tbb::blocked_range<std::int32_t>& r) { copy_rows(r.begin(), r.end()); });
}

const RbmBlockGibbs::Ones* RbmBlockGibbs::index_ones(const Matrix& states, Ones& ones) const {
  const auto rows = static_cast<std::int32_t>(states.rows());
  const auto width = static_cast<std::int32_t>(states.cols());
  ones.index.resize(static_cast<std::size_t>(rows) * width);
  ones.count.resize(static_cast<std::size_t>(rows));
  auto index_rows = [&](std::int32_t b0, std::int32_t b1) {
    for (std::int32_t b = b0; b < b1; ++b) {
      // Compacted without a branch (a branch per unit mispredicts on random states).
      const float* x = states.row(b).data();
      std::int32_t* index = ones.index.data() + static_cast<std::size_t>(b) * width;
      std::int32_t end = 0;
      for (std::int32_t i = 0; i < width; ++i) {
        index[end] = i;
        end += x[i] != 0.0f;
      }
      ones.count[static_cast<std::size_t>(b)] = end;
    }
  };
  if (static_cast<std::int64_t>(rows) * width < kParallelWork)
    index_rows(0, rows);
  else
    tbb::parallel_for(
        tbb::blocked_range<std::int32_t>(0, rows),
        [&](const tbb::blocked_range<std::int32_t>& r) { index_rows(r.begin(), r.end()); });
  std::int64_t total = 0;
  for (const std::int32_t c : ones.count) total += c;
  const double cells = static_cast<double>(rows) * width;
  return static_cast<double>(total) <= kMaxSparseDensity * cells ? &ones : nullptr;
}

void RbmBlockGibbs::tile_product(const Layer& target, const Matrix& given, const Ones* ones,
                                 std::int32_t r0, std::int32_t m, std::int32_t c0, std::int32_t n,
                                 Matrix& out) const {
  const bool hidden = &target == &hidden_;
  if (ones != nullptr) {
    // The rows of W (hidden target) or of Wᵀ (visible target) the given states' ones select.
    const Matrix& w = hidden ? weights_ : transposed_;
    for (std::int32_t b = r0; b < r0 + m; ++b)
      engine::sum_selected_rows_float(
          w.data() + c0, w.cols(), ones->index.data() + static_cast<std::size_t>(b) * given.cols(),
          ones->count[static_cast<std::size_t>(b)], out.row(b).data() + c0, n);
    return;
  }
  // Hidden: v·W[:, c0 .. c0 + n); visible: h·W[c0 .. c0 + n, :]ᵀ. W is nv × nh, row-major.
  const float* w =
      weights_.data() + (hidden ? c0 : static_cast<std::int64_t>(c0) * weights_.cols());
  engine::gemm(false, !hidden, m, n, given.cols(), 1.0f, given.data() + r0 * given.cols(),
               given.cols(), w, weights_.cols(), 0.0f, out.data() + r0 * out.cols() + c0,
               out.cols());
}

void RbmBlockGibbs::log_odds(const Layer& target, const Matrix& given, const Ones* ones,
                             Matrix& out) const {
  const auto num_chains = static_cast<std::int32_t>(given.rows());
  out.resize(num_chains, target.size);
  prepare_product(target, ones);
  for (std::int32_t r0 = 0; r0 < num_chains; r0 += kRowBlock)
    for (std::size_t t = 0; t + 1 < target.bounds.size(); ++t) {
      const std::int32_t m = std::min(kRowBlock, num_chains - r0);
      const std::int32_t c0 = target.bounds[t], n = target.bounds[t + 1] - c0;
      tile_product(target, given, ones, r0, m, c0, n, out);
      out.block(r0, c0, m, n).rowwise() += target.bias.segment(c0, n);
    }
}

std::int64_t RbmBlockGibbs::half_step(const Layer& target, const Matrix& given, const Ones* ones,
                                      std::int64_t sweep, Matrix& states, Chains& chains) {
  const std::int32_t num_chains = chains.num_chains();
  Matrix& scratch = &target == &hidden_ ? scratch_h_ : scratch_v_;
  scratch.resize(num_chains, target.size);
  states.resize(num_chains, target.size);
  const std::int32_t row_blocks = (num_chains + kRowBlock - 1) / kRowBlock;
  const auto col_tiles = static_cast<std::int32_t>(target.bounds.size()) - 1;
  std::atomic<std::int64_t> changed{0};
  prepare_product(target, ones);

  auto run_tile = [&](std::int32_t t) {
    const std::int32_t r0 = t / col_tiles * kRowBlock, m = std::min(kRowBlock, num_chains - r0);
    const std::int32_t c0 = target.bounds[t % col_tiles], n = target.bounds[t % col_tiles + 1] - c0;
    tile_product(target, given, ones, r0, m, c0, n, scratch);
    const float* bias = target.bias.data() + c0;
    const float* free = target.free.data() + c0;
    const float* value = target.value.data() + c0;
    float u[kMaxTileWidth];
    std::int64_t tile_changed = 0;
    for (std::int32_t b = r0; b < r0 + m; ++b) {
      const engine::CounterRng rng(
          seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
      // c0 is a multiple of 4: the tile's uniforms are whole Philox draws.
      const std::uint64_t first = target.first_word + static_cast<std::uint64_t>(c0 / 4);
      engine::philox_uniform_floats(
          rng, engine::sweep_counter(static_cast<std::uint64_t>(sweep), first), (n + 3) / 4, u);
      tile_changed += engine::bernoulli_logistic_row(scratch.row(b).data() + c0, bias, u, free,
                                                     value, states.row(b).data() + c0,
                                                     chains.chain(b).data() + target.begin + c0, n);
    }
    changed.fetch_add(tile_changed, std::memory_order_relaxed);
  };

  const std::int32_t tiles = row_blocks * col_tiles;
  const std::int64_t work = static_cast<std::int64_t>(num_chains) * given.cols() * target.size;
  engine::run_tiles(tiles, work >= kParallelWork, run_tile);
  return changed.load();
}

SweepStats RbmBlockGibbs::sweep(Chains& chains, std::int64_t sweep) {
  SweepStats stats;
  if (chains.num_chains() == 0) return stats;
  if (visible_first_) {
    gather(chains, hidden_, h_);
    stats.changed += half_step(visible_, h_, index_ones(h_, ones_), sweep, v_, chains);
    stats.changed += half_step(hidden_, v_, index_ones(v_, ones_), sweep, h_, chains);
  } else {
    gather(chains, visible_, v_);
    stats.changed += half_step(hidden_, v_, index_ones(v_, ones_), sweep, h_, chains);
    stats.changed += half_step(visible_, h_, index_ones(h_, ones_), sweep, v_, chains);
  }
  const auto num_chains = static_cast<std::int64_t>(chains.num_chains());
  stats.site_updates = num_chains * (visible_.size + hidden_.size);
  stats.factor_evaluations = num_chains * sweep_evaluations_;
  stats.flops = num_chains * 4 * std::int64_t{visible_.size} * hidden_.size;
  return stats;
}

RbmBlockGibbs::Matrix RbmBlockGibbs::hidden_log_odds(const Chains& chains) const {
  Matrix given, out;
  Ones ones;
  gather(chains, visible_, given);
  log_odds(hidden_, given, index_ones(given, ones), out);
  return out;
}

RbmBlockGibbs::Matrix RbmBlockGibbs::visible_log_odds(const Chains& chains) const {
  Matrix given, out;
  Ones ones;
  gather(chains, hidden_, given);
  log_odds(visible_, given, index_ones(given, ones), out);
  return out;
}

std::unique_ptr<Sampler> make_rbm_block_gibbs(const engine::CompiledModel& model,
                                              std::uint64_t seed, bool visible_first) {
  const std::optional<RbmLayout> layout = rbm_layout(model);
  if (!layout) return nullptr;
  return std::make_unique<RbmBlockGibbs>(model, *layout, seed, visible_first);
}

}  // namespace dgm::inference
