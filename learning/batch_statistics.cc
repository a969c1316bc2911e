#include "learning/batch_statistics.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>

#include "engine/dense_product.h"
#include "engine/error.h"
#include "factors/enumeration.h"
#include "factors/factor_eval.h"
#include "learning/binary_products.h"

namespace dgm::learning {
namespace {

// Enumeration blocks get a configuration → row table when their dense table is at most this.
constexpr std::int64_t kMaxLookup = std::int64_t{1} << 22;
// Factors per chunk for tied parameters (each chunk sums into its own buffer).
constexpr std::int64_t kTiedChunk = 2048;

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

bool is_soft(const Batch& b, std::int32_t v) { return !b.soft_vars.empty() && b.soft_vars[v]; }

}  // namespace

BatchStatistics::BatchStatistics(const engine::CompiledModel& model)
    : graph_(model.graph), num_values_(model.params.values.size()) {
  const engine::Graph& g = *graph_;
  enum_lookup_.resize(g.blocks.size());
  param_size_.assign(g.blocks.size(), 0);
  for (std::size_t bi = 0; bi < g.blocks.size(); ++bi) {
    const factors::FactorBlock& block = g.blocks[bi];
    if (block.param >= 0)
      param_size_[bi] = model.params.info[static_cast<std::size_t>(block.param)].size;
    if (block.param >= 0 && block.arity == 1)
      for (std::int64_t k = 0; k < block.num_factors; ++k)
        unary_vars_.push_back(g.scope(block.first_factor + k)[0]);
    if (block.kind != factors::FactorKind::kEnumeration || block.param < 0 ||
        block.table_size <= 0 || block.table_size > kMaxLookup)
      continue;
    std::vector<std::int64_t>& lookup = enum_lookup_[bi];
    lookup.assign(static_cast<std::size_t>(block.table_size), -1);
    const std::int32_t* rows = g.enum_configs.data() + block.config_offset;
    for (std::int64_t c = 0; c < block.num_configs; ++c) {
      std::int64_t index = 0;
      for (std::int32_t j = 0; j < block.arity; ++j)
        index = index * block.cards[static_cast<std::size_t>(j)] + rows[c * block.arity + j];
      lookup[static_cast<std::size_t>(index)] = c;
    }
  }
  std::sort(unary_vars_.begin(), unary_vars_.end());
  unary_vars_.erase(std::unique(unary_vars_.begin(), unary_vars_.end()), unary_vars_.end());
}

void BatchStatistics::mean(const Batch& batch, std::span<double> out) const {
  compute(batch, 1.0, /*zero_first=*/true, out, /*generic=*/false);
}

void BatchStatistics::add_mean(const Batch& batch, double scale, std::span<double> out) const {
  compute(batch, scale, /*zero_first=*/false, out, /*generic=*/false);
}

void BatchStatistics::mean_generic(const Batch& batch, std::span<double> out) const {
  compute(batch, 1.0, /*zero_first=*/true, out, /*generic=*/true);
}

void BatchStatistics::compute(const Batch& batch, double scale, bool zero_first,
                              std::span<double> out, bool generic) const {
  const engine::Graph& g = *graph_;
  const auto n = static_cast<std::int64_t>(g.num_variables());
  if (batch.rows <= 0) throw Error("statistics of an empty batch");
  if (static_cast<std::int64_t>(batch.states.size()) != batch.rows * n ||
      out.size() != num_values_ ||
      (!batch.soft_vars.empty() && static_cast<std::int64_t>(batch.soft_vars.size()) != n) ||
      (!batch.soft_vars.empty() && static_cast<std::int64_t>(batch.soft.size()) != batch.rows * n))
    throw Error("statistics: a batch of " + std::to_string(batch.rows) + " rows has " +
                std::to_string(batch.states.size()) + " states for " + std::to_string(n) +
                " variables, or the output or soft values have the wrong size");
  if (zero_first) std::fill(out.begin(), out.end(), 0.0);
  const double weight = scale / static_cast<double>(batch.rows);
  std::vector<double> state_weight;
  if (!generic && !unary_vars_.empty()) {
    state_weight.assign(static_cast<std::size_t>(g.state_offset.back()), 0.0);
    for (std::int64_t b = 0; b < batch.rows; ++b) {
      const std::int32_t* row = batch.states.data() + b * n;
      for (const std::int32_t v : unary_vars_) {
        double* w = state_weight.data() + g.state_offset[v];
        if (is_soft(batch, v)) {
          const double q = batch.soft[static_cast<std::size_t>(b * n + v)];
          w[0] += weight * (1.0 - q);
          w[1] += weight * q;
        } else {
          w[row[v]] += weight;
        }
      }
    }
  }
  for (std::size_t bi = 0; bi < g.blocks.size(); ++bi)
    add_block(bi, batch, weight, generic, state_weight, out);
}

void BatchStatistics::add_bipartite(std::size_t bi, const Batch& batch, double weight,
                                    std::span<double> out) const {
  const engine::Graph& g = *graph_;
  const factors::FactorBlock& block = g.blocks[bi];
  const std::int64_t n = g.num_variables();
  // The two sides' values, rows × count. (Local buffers, not thread_local ones: a thread that
  // waits in the parallel loops below may run another task that computes statistics.)
  std::vector<double> left_values, right_values;
  auto side = [&](std::int32_t begin, std::int32_t count, std::vector<double>& buffer) {
    buffer.resize(static_cast<std::size_t>(batch.rows * count));
    Eigen::Map<RowMatrix> m(buffer.data(), batch.rows, count);
    for (std::int64_t b = 0; b < batch.rows; ++b)
      for (std::int32_t i = 0; i < count; ++i) {
        const std::int32_t v = begin + i;
        m(b, i) = is_soft(batch, v)
                      ? batch.soft[static_cast<std::size_t>(b * n + v)]
                      : static_cast<double>(batch.states[static_cast<std::size_t>(b * n + v)]);
      }
    return m;
  };
  const Eigen::Map<RowMatrix> right = side(block.right_begin, block.right_count, right_values);
  // Factor r = i·R + j reads weight param_offset + r: the product's row-major layout.
  Eigen::Map<RowMatrix> w(out.data() + block.param_offset, block.left_count, block.right_count);
  bool left_states = true;  // no soft variable on the left: 0/1 states
  for (std::int32_t i = 0; i < block.left_count; ++i)
    left_states = left_states && !is_soft(batch, block.left_begin + i);
  if (left_states) {
    OnesIndex ones;
    index_ones(batch.states, n, block.left_begin, batch.rows, block.left_count, false, ones);
    const double density =
        static_cast<double>(ones.index.size()) / static_cast<double>(batch.rows * block.left_count);
    if (density <= kMaxSparseDensity) {
      // Row i of the statistics: the sum of the right-hand rows of the examples where left
      // variable i is 1 (learning/binary_products.h), in fixed tiles of rows.
      tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, block.left_count, 16),
                        [&](const tbb::blocked_range<std::int32_t>& range) {
                          for (std::int32_t i = range.begin(); i < range.end(); ++i)
                            add_selected_rows(right.data(), block.right_count, ones.line(i),
                                              block.right_count, weight, &w(i, 0));
                        });
      return;
    }
  }
  const Eigen::Map<RowMatrix> left = side(block.left_begin, block.left_count, left_values);
  // Column tiles of fixed width in parallel: each tile's numbers are the same on any thread
  // count.
  constexpr Eigen::Index kTile = 128;
  const Eigen::Index columns = block.right_count;
  tbb::parallel_for(Eigen::Index{0}, (columns + kTile - 1) / kTile, [&](Eigen::Index t) {
    const Eigen::Index c0 = t * kTile, c = std::min(kTile, columns - c0);
    // w[:, c0 .. c0 + c) += weight·leftᵀ·right[:, c0 .. c0 + c) (engine/dense_product.h).
    engine::gemm(true, false, block.left_count, c, batch.rows, weight, left.data(),
                 block.left_count, right.data() + c0, block.right_count, 1.0, w.data() + c0,
                 block.right_count);
  });
}

void BatchStatistics::add_block(std::size_t bi, const Batch& batch, double weight, bool generic,
                                std::span<const double> state_weight, std::span<double> out) const {
  const engine::Graph& g = *graph_;
  const factors::FactorBlock& block = g.blocks[bi];
  if (block.param < 0) return;  // logical factors and unweighted enumerations: no parameter
  if (!generic && block.kind == factors::FactorKind::kBipartite &&
      block.potential == factors::Potential::kLogOdds && block.param_stride == 1) {
    add_bipartite(bi, batch, weight, out);
    return;
  }
  const std::int64_t n = g.num_variables();
  const std::vector<std::int64_t>& lookup = enum_lookup_[bi];
  // Adds the statistics of factors [f0, f1) of `blk` (the block, or a copy whose parameter
  // offset is 0 for a chunk's own buffer) over the batch into phi_span.
  auto add_factors = [&](const factors::FactorBlock& blk, std::int64_t f0, std::int64_t f1,
                         std::span<double> phi_span) {
    std::vector<std::int32_t> x;
    std::vector<std::int32_t> soft_positions;
    if (!generic && block.arity == 1) {
      // A unary factor's statistics depend on its variable's state only: the batch's weight
      // on each state (gathered once per batch, row by row), then the kind's φ once per state
      // instead of once per row (a visible layer's biases: 100× fewer calls).
      x.resize(1);
      for (std::int64_t r = f0; r < f1; ++r) {
        const std::int32_t v = g.scope(block.first_factor + r)[0];
        const double* on_state = state_weight.data() + g.state_offset[v];
        for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
          if (on_state[k] == 0.0) continue;
          x[0] = k;
          factors::add_statistics(blk, r, g.enum_configs, x, on_state[k], phi_span);
        }
      }
      return;
    }
    for (std::int64_t r = f0; r < f1; ++r) {
      const auto scope = g.scope(block.first_factor + r);
      x.resize(scope.size());
      soft_positions.clear();
      for (std::size_t j = 0; j < scope.size(); ++j)
        if (is_soft(batch, scope[j])) soft_positions.push_back(static_cast<std::int32_t>(j));
      double* phi = phi_span.data() + blk.param_offset + r * blk.param_stride;
      for (std::int64_t b = 0; b < batch.rows; ++b) {
        const std::int32_t* row = batch.states.data() + b * n;
        for (std::size_t j = 0; j < scope.size(); ++j) x[j] = row[scope[j]];
        if (soft_positions.empty()) {
          if (!generic && !lookup.empty()) {
            std::int64_t index = 0;
            for (std::size_t j = 0; j < x.size(); ++j) index = index * block.cards[j] + x[j];
            const std::int64_t c = lookup[static_cast<std::size_t>(index)];
            if (c >= 0) phi[c] += weight;
          } else {
            factors::add_statistics(blk, r, g.enum_configs, x, weight, phi_span);
          }
          continue;
        }
        // Expectation over the soft positions, independent Bernoullis.
        const std::size_t m = soft_positions.size();
        for (std::uint64_t mask = 0; mask < (std::uint64_t{1} << m); ++mask) {
          double p = weight;
          for (std::size_t k = 0; k < m; ++k) {
            const auto j = static_cast<std::size_t>(soft_positions[k]);
            const double q = batch.soft[static_cast<std::size_t>(b * n + scope[j])];
            const bool one = (mask >> k) & 1;
            x[j] = one ? 1 : 0;
            p *= one ? q : 1.0 - q;
          }
          if (p != 0.0) factors::add_statistics(blk, r, g.enum_configs, x, p, phi_span);
        }
      }
    }
  };
  if (block.param_stride > 0 || block.num_factors <= 1) {
    // Each factor has its own parameter values: disjoint writes.
    tbb::parallel_for(
        tbb::blocked_range<std::int64_t>(0, block.num_factors, 64),
        [&](const auto& range) { add_factors(block, range.begin(), range.end(), out); });
    return;
  }
  // Tied: every factor reads the same values, [param_offset, + param_size). One buffer of that
  // size per fixed chunk of factors, summed in chunk order.
  factors::FactorBlock local = block;
  local.param_offset = 0;
  const auto size = static_cast<std::size_t>(param_size_[bi]);
  const std::int64_t chunks = (block.num_factors + kTiedChunk - 1) / kTiedChunk;
  std::vector<std::vector<double>> partial(static_cast<std::size_t>(chunks));
  tbb::parallel_for(std::int64_t{0}, chunks, [&](std::int64_t c) {
    std::vector<double>& buffer = partial[static_cast<std::size_t>(c)];
    buffer.assign(size, 0.0);
    add_factors(local, c * kTiedChunk, std::min(block.num_factors, (c + 1) * kTiedChunk), buffer);
  });
  for (const std::vector<double>& buffer : partial)
    for (std::size_t i = 0; i < size; ++i)
      out[static_cast<std::size_t>(block.param_offset) + i] += buffer[i];
}

}  // namespace dgm::learning
