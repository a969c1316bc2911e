#pragma once
// Products with a matrix of binary states, as sums of the rows the ones select. An RBM's
// learning statistics multiply 0/1 states by real numbers twice per side of every gradient:
// the hidden units' pre-activations v·W and the weights' statistics vᵀ·p. With the pixels of
// MNIST-like data about 13% ones, summing the selected rows of W (or of p) does an eighth of
// the additions of a dense product and none of its multiplications, in double precision.
// Dense products remain better for dense states: callers choose by the density
// (kMaxSparseDensity).
#include <cstdint>
#include <span>
#include <vector>

namespace dgm::learning {

// Above this fraction of ones a dense product (engine/dense_product.h) is faster.
inline constexpr double kMaxSparseDensity = 0.3;

// out[0 .. width) += scale · Σ_{k ∈ selected} rows[k·stride .. k·stride + width): the rows
// summed in the order given, then scaled once (as a product's alpha).
void add_selected_rows(const double* rows, std::int64_t stride,
                       std::span<const std::int32_t> selected, std::int64_t width, double scale,
                       double* out);

// The positions of the ones of a 0/1 matrix, by row or by column, in increasing order
// (compressed sparse rows: entries [offsets[i], offsets[i + 1]) of `index` belong to line i).
struct OnesIndex {
  std::vector<std::int64_t> offsets;
  std::vector<std::int32_t> index;
  std::span<const std::int32_t> line(std::int64_t i) const {
    return {index.data() + offsets[static_cast<std::size_t>(i)],
            static_cast<std::size_t>(offsets[static_cast<std::size_t>(i) + 1] -
                                     offsets[static_cast<std::size_t>(i)])};
  }
};

// For states x[b·stride + first + i] (b < rows, i < count; any non-zero counts as one): the
// ones of each row b (by_row) or of each column i (otherwise), into `out` (whose memory a
// caller that keeps it across minibatches reuses).
void index_ones(std::span<const std::int32_t> x, std::int64_t stride, std::int64_t first,
                std::int64_t rows, std::int64_t count, bool by_row, OnesIndex& out);

// The same ones by column from their index by row (`count` columns): a counting transpose, rows
// ascending within each column.
void transpose_ones(const OnesIndex& by_row, std::int64_t count, OnesIndex& by_column);

}  // namespace dgm::learning
