// The per-update passes over parameter buffers (engine/value_passes.h): copies and conversions
// that report non-finite values, and the transposed float mirror, against element-by-element
// references, on lengths and shapes that are not multiples of any vector width.
#include "engine/value_passes.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cfloat>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

namespace dgm::engine {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<double> finite_values(std::int64_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, 3.0);
  std::vector<double> x(static_cast<std::size_t>(n));
  for (double& v : x) v = normal(rng);
  return x;
}

// Every finite extreme passes the copy, and every one within float's range the conversion;
// every NaN or infinity, wherever it stands, is reported, and the values are still copied and
// converted as a loop would.
TEST(ValuePasses, CopyAndConversionReportExactlyTheNonFiniteValues) {
  const double within_float[] = {FLT_MAX,  -FLT_MAX,  3.4028235e38, DBL_MIN, -DBL_MIN,
                                 4.9e-324, -4.9e-324, 0.0,          -0.0,    1e-50};
  const double beyond_float[] = {DBL_MAX, -DBL_MAX, 1e300, -3.5e38, 3.4028236e38};
  const double non_finite[] = {kInf, -kInf, std::nan(""), -std::nan(""),
                               std::numeric_limits<double>::signaling_NaN()};
  for (const std::int64_t n : {1, 2, 3, 7, 16, 33, 1000}) {
    SCOPED_TRACE("n = " + std::to_string(n));
    std::vector<double> x = finite_values(n, static_cast<std::uint64_t>(n));
    std::vector<double> copy(x.size());
    std::vector<float> converted(x.size());
    EXPECT_FALSE(copy_reporting_non_finite(x.data(), copy.data(), n));
    EXPECT_FALSE(convert_reporting_non_finite(x.data(), converted.data(), n));
    for (std::size_t i = 0; i < x.size(); ++i) {
      EXPECT_EQ(std::bit_cast<std::uint64_t>(copy[i]), std::bit_cast<std::uint64_t>(x[i]));
      EXPECT_EQ(converted[i], static_cast<float>(x[i]));
    }
    for (const double v : within_float) {
      x[static_cast<std::size_t>(n - 1)] = v;
      EXPECT_FALSE(copy_reporting_non_finite(x.data(), copy.data(), n)) << v;
      EXPECT_FALSE(convert_reporting_non_finite(x.data(), converted.data(), n)) << v;
      EXPECT_EQ(converted.back(), static_cast<float>(v));
    }
    for (const double v : beyond_float) {
      x[static_cast<std::size_t>(n - 1)] = v;
      EXPECT_FALSE(copy_reporting_non_finite(x.data(), copy.data(), n)) << v;
      EXPECT_TRUE(convert_reporting_non_finite(x.data(), converted.data(), n)) << v;
    }
    x[static_cast<std::size_t>(n - 1)] = 1.0;
    for (const double v : non_finite)
      for (const std::int64_t at : {std::int64_t{0}, n / 2, n - 1}) {
        std::vector<double> y = finite_values(n, 7);
        y[static_cast<std::size_t>(at)] = v;
        EXPECT_TRUE(copy_reporting_non_finite(y.data(), copy.data(), n)) << v << " at " << at;
        EXPECT_TRUE(convert_reporting_non_finite(y.data(), converted.data(), n))
            << v << " at " << at;
        EXPECT_EQ(std::bit_cast<std::uint64_t>(copy[static_cast<std::size_t>(at)]),
                  std::bit_cast<std::uint64_t>(v));
      }
  }
  EXPECT_FALSE(copy_reporting_non_finite(nullptr, nullptr, 0));
}

// Any shape and any split of the transpose's rows into ranges give the transpose.
TEST(ValuePasses, TransposeRowsInAnyRangesIsTheTranspose) {
  const std::int64_t shapes[][2] = {{1, 1}, {3, 5}, {4, 4}, {17, 9}, {33, 67}, {784, 500}};
  for (const auto& shape : shapes) {
    const std::int64_t rows = shape[0], cols = shape[1];
    SCOPED_TRACE(std::to_string(rows) + " × " + std::to_string(cols));
    std::vector<float> from(static_cast<std::size_t>(rows * cols));
    for (std::size_t k = 0; k < from.size(); ++k) from[k] = static_cast<float>(k) * 0.5f - 3.0f;
    for (const std::int64_t split : {std::int64_t{1}, std::int64_t{3}, std::int64_t{64}, cols}) {
      std::vector<float> to(from.size(), std::nanf(""));
      for (std::int64_t j0 = 0; j0 < cols; j0 += split)
        transpose_rows(from.data(), rows, cols, to.data(), j0, std::min(cols, j0 + split));
      for (std::int64_t i = 0; i < rows; ++i)
        for (std::int64_t j = 0; j < cols; ++j)
          ASSERT_EQ(to[static_cast<std::size_t>(j * rows + i)],
                    from[static_cast<std::size_t>(i * cols + j)])
              << "split " << split << ", element " << i << "," << j;
    }
  }
}

}  // namespace
}  // namespace dgm::engine
