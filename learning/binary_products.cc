#include "learning/binary_products.h"

#include <algorithm>

#include "engine/vector_kernels.h"

namespace dgm::learning {

void add_selected_rows(const double* rows, std::int64_t stride,
                       std::span<const std::int32_t> selected, std::int64_t width, double scale,
                       double* out) {
  constexpr std::int64_t kChunk = 256;  // columns summed in a stack buffer at a time
  double sum[kChunk];
  for (std::int64_t c0 = 0; c0 < width; c0 += kChunk) {
    const std::int64_t w = std::min(kChunk, width - c0);
    std::fill(sum, sum + w, 0.0);
    // Four rows per pass through the buffer, on the CPU's vectors (engine/vector_kernels.h; a
    // sign of +1 multiplies exactly).
    constexpr double kPlus[4] = {1.0, 1.0, 1.0, 1.0};
    std::size_t k = 0;
    for (; k + 4 <= selected.size(); k += 4) {
      const double* four[4] = {
          rows + selected[k] * stride + c0, rows + selected[k + 1] * stride + c0,
          rows + selected[k + 2] * stride + c0, rows + selected[k + 3] * stride + c0};
      engine::add_signed_rows(sum, four, kPlus, 4, sum, w);
    }
    if (k < selected.size()) {
      const double* rest[3];
      const auto left = static_cast<std::int32_t>(selected.size() - k);
      for (std::int32_t j = 0; j < left; ++j) rest[j] = rows + selected[k + j] * stride + c0;
      engine::add_signed_rows(sum, rest, kPlus, left, sum, w);
    }
    for (std::int64_t j = 0; j < w; ++j) out[c0 + j] += scale * sum[j];
  }
}

void index_ones(std::span<const std::int32_t> x, std::int64_t stride, std::int64_t first,
                std::int64_t rows, std::int64_t count, bool by_row, OnesIndex& out) {
  // By row, with a branch-free compaction (a branch per state mispredicts on random pixels):
  // every position is written, the cursor advances past the ones only.
  thread_local OnesIndex by_rows;
  OnesIndex& row_major = by_row ? out : by_rows;
  row_major.offsets.assign(static_cast<std::size_t>(rows) + 1, 0);
  row_major.index.resize(static_cast<std::size_t>(rows * count) + 1);
  std::int64_t end = 0;
  for (std::int64_t b = 0; b < rows; ++b) {
    const std::int32_t* row = x.data() + b * stride + first;
    std::int32_t* cursor = row_major.index.data();
    for (std::int64_t i = 0; i < count; ++i) {
      cursor[end] = static_cast<std::int32_t>(i);
      end += row[i] != 0;
    }
    row_major.offsets[static_cast<std::size_t>(b) + 1] = end;
  }
  row_major.index.resize(static_cast<std::size_t>(end));
  if (by_row) return;
  transpose_ones(row_major, count, out);
}

void transpose_ones(const OnesIndex& by_row, std::int64_t count, OnesIndex& out) {
  const auto rows = static_cast<std::int64_t>(by_row.offsets.size()) - 1;
  out.offsets.assign(static_cast<std::size_t>(count) + 1, 0);
  for (const std::int32_t i : by_row.index) ++out.offsets[static_cast<std::size_t>(i) + 1];
  for (std::int64_t i = 0; i < count; ++i)
    out.offsets[static_cast<std::size_t>(i) + 1] += out.offsets[static_cast<std::size_t>(i)];
  out.index.resize(by_row.index.size());
  thread_local std::vector<std::int64_t> next;
  next.assign(out.offsets.begin(), out.offsets.end() - 1);
  for (std::int64_t b = 0; b < rows; ++b)
    for (const std::int32_t i : by_row.line(b))
      out.index[static_cast<std::size_t>(next[static_cast<std::size_t>(i)]++)] =
          static_cast<std::int32_t>(b);
}

}  // namespace dgm::learning
