#include "engine/value_passes.h"

#include <algorithm>
#include <bit>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace dgm::engine {
namespace {

constexpr std::uint64_t kExponent = 0x7ff0000000000000ULL;
constexpr std::uint64_t kExponentOne = 0x0010000000000000ULL;

constexpr std::uint32_t kFloatExponent = 0x7f800000U;
constexpr std::uint32_t kFloatExponentOne = 0x00800000U;

// Bit 63 (31) of the result is set iff v is not finite (see the header).
inline std::uint64_t non_finite_bit(double v) {
  return (std::bit_cast<std::uint64_t>(v) & kExponent) + kExponentOne;
}
inline std::uint32_t non_finite_bit(float v) {
  return (std::bit_cast<std::uint32_t>(v) & kFloatExponent) + kFloatExponentOne;
}

}  // namespace

bool copy_reporting_non_finite(const double* from, double* to, std::int64_t n) {
  std::uint64_t any = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const double v = from[i];
    any |= non_finite_bit(v);
    to[i] = v;
  }
  return (any >> 63) != 0;
}

bool convert_reporting_non_finite(const double* from, float* to, std::int64_t n) {
  std::uint32_t any = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    const auto v = static_cast<float>(from[i]);
    any |= non_finite_bit(v);
    to[i] = v;
  }
  return (any >> 31) != 0;
}

void transpose_rows(const float* from, std::int64_t rows, std::int64_t cols, float* to,
                    std::int64_t row_begin, std::int64_t row_end) {
  // Tiles of 32 rows of `to` × 16 of its columns, so that the tile's reads (16 rows of `from`)
  // and writes (32 rows of `to`) stay in L1; within a tile, 4 × 4 blocks transposed in
  // registers (3× faster than element by element, measured on a 784 × 500 float matrix).
  constexpr std::int64_t kTileRows = 32, kTileCols = 16;
  for (std::int64_t j0 = row_begin; j0 < row_end; j0 += kTileRows) {
    const std::int64_t j1 = std::min(row_end, j0 + kTileRows);
    for (std::int64_t i0 = 0; i0 < rows; i0 += kTileCols) {
      const std::int64_t i1 = std::min(rows, i0 + kTileCols);
      std::int64_t j = j0;
#if defined(__SSE2__)
      for (; j + 4 <= j1; j += 4) {
        std::int64_t i = i0;
        for (; i + 4 <= i1; i += 4) {
          __m128 r0 = _mm_loadu_ps(from + i * cols + j);
          __m128 r1 = _mm_loadu_ps(from + (i + 1) * cols + j);
          __m128 r2 = _mm_loadu_ps(from + (i + 2) * cols + j);
          __m128 r3 = _mm_loadu_ps(from + (i + 3) * cols + j);
          _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
          _mm_storeu_ps(to + j * rows + i, r0);
          _mm_storeu_ps(to + (j + 1) * rows + i, r1);
          _mm_storeu_ps(to + (j + 2) * rows + i, r2);
          _mm_storeu_ps(to + (j + 3) * rows + i, r3);
        }
        for (; i < i1; ++i)
          for (std::int64_t l = j; l < j + 4; ++l) to[l * rows + i] = from[i * cols + l];
      }
#endif
      for (; j < j1; ++j)
        for (std::int64_t i = i0; i < i1; ++i) to[j * rows + i] = from[i * cols + j];
    }
  }
}

}  // namespace dgm::engine
