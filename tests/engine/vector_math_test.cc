// The vectorisable elementary functions (engine/vector_math.h) against long-double references
// and libm, at the accuracies the header states: over wide sampled ranges, at 0, at ±700 (the
// ends of the exponentials' range) and beyond (the clamp of exp_neg_abs).
#include "engine/vector_math.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <vector>

namespace dgm::engine {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Sample points of [lo, hi]: the ends, 0 if inside, and uniform draws.
std::vector<double> points(double lo, double hi, int n, std::uint64_t seed) {
  std::vector<double> x = {lo, hi};
  if (lo < 0.0 && hi > 0.0) x.insert(x.end(), {0.0, -0.0, 1e-300, -1e-300, 0.5, -0.5});
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(lo, hi);
  for (int i = 0; i < n; ++i) x.push_back(u(rng));
  return x;
}

double relative_error(double got, long double expected) {
  return static_cast<double>(std::fabs((static_cast<long double>(got) - expected) / expected));
}

TEST(VectorMath, ExpEstimateWithin3e7) {
  for (const double y : points(-700.0, 700.0, 200000, 1))
    ASSERT_LT(relative_error(exp_estimate(y), std::exp(static_cast<long double>(y))), 3e-7)
        << "y = " << y;
  EXPECT_EQ(exp_estimate(0.0), 1.0);
}

TEST(VectorMath, ExpAccurateWithinTwoUlps) {
  std::vector<double> y = points(-700.0, 700.0, 200000, 2);
  for (const double x : points(-1.0, 1.0, 50000, 3)) y.push_back(x);
  for (const double x : y)
    ASSERT_LT(relative_error(exp_accurate(x), std::exp(static_cast<long double>(x))), 4e-16)
        << "y = " << x;
  EXPECT_EQ(exp_accurate(0.0), 1.0);
}

// The vectorisable logarithm: about one ulp over the normal doubles, around 1 (where
// f = m − 1 is tiny), around √2 (the reduction's switch) and at the powers of two.
TEST(VectorMath, LogAccurateWithinOneUlp) {
  std::vector<double> x;
  std::mt19937_64 rng(6);
  std::uniform_real_distribution<double> exponent(-1021.0, 1023.0), unit(0.0, 1.0);
  for (int i = 0; i < 200000; ++i) x.push_back(std::exp2(exponent(rng)));
  for (int i = 0; i < 100000; ++i) x.push_back(0.5 + unit(rng));
  for (int i = 0; i < 20000; ++i) {
    x.push_back(1.0 + (unit(rng) - 0.5) * 1e-9);
    x.push_back(std::sqrt(2.0) * (1.0 + (unit(rng) - 0.5) * 1e-12));
  }
  for (const double p : {0x1p-1022, 0.5, 1.0, 2.0, 0x1p1023, 1e-290, 1e308, DBL_MAX})
    x.push_back(p);
  x.push_back(std::nextafter(1.0, 2.0));
  x.push_back(std::nextafter(1.0, 0.0));
  for (const double v : x) {
    const long double expected = std::log(static_cast<long double>(v));
    if (v == 1.0) {
      EXPECT_EQ(log_accurate(v), 0.0);
      continue;
    }
    ASSERT_LT(relative_error(log_accurate(v), expected), 2.5e-16) << "x = " << v;
  }
}

// The float exponential of the RBM's float paths: two float ulps inside the clamp, the clamp's
// values beyond it (and at ±∞), never a NaN or an infinity.
TEST(VectorMath, ExpFloatClampedWithinTwoFloatUlps) {
  std::vector<double> y = points(-87.0, 87.0, 200000, 4);
  for (const double x : points(-1.0, 1.0, 50000, 5)) y.push_back(x);
  for (const double x : y) {
    const auto f = static_cast<float>(x);
    ASSERT_LT(relative_error(exp_float_clamped(f), std::exp(static_cast<long double>(f))), 2e-7)
        << "y = " << f;
  }
  EXPECT_EQ(exp_float_clamped(0.0f), 1.0f);
  for (const float big : {87.0f, 88.0f, 1e30f, HUGE_VALF}) {
    EXPECT_EQ(exp_float_clamped(big), exp_float_clamped(87.0f));
    EXPECT_EQ(exp_float_clamped(-big), exp_float_clamped(-87.0f));
  }
  EXPECT_TRUE(std::isfinite(exp_float_clamped(87.0f)));
  EXPECT_GT(exp_float_clamped(-87.0f), 0.0f);
  EXPECT_TRUE(std::isnormal(exp_float_clamped(-87.0f)));
}

// Σ softplus over rows of n values by the two-step batch (softplus_parts, softplus_total)
// against long-double sums of log1p(exp(x)) and against libm's std::log1p(std::exp(x)) summed
// in double: rows over [−700, 700] (every magnitude, the clamp's edge), around 0, mixed with
// exact 0, ±700 and ±36, and long enough (2000) for several 512-element product blocks.
double softplus_sum(const std::vector<double>& x) {
  std::vector<double> terms(x.size()), factors(x.size());
  for (std::size_t k = 0; k < x.size(); ++k)
    softplus_parts(x[k], exp_neg_abs(x[k]), terms[k], factors[k]);
  return softplus_total(terms.data(), factors.data(), static_cast<std::int64_t>(x.size()));
}

TEST(VectorMath, SoftplusSumsMatchLibm) {
  auto reference = [](double a) {  // log(1 + e^a) in long double
    const long double x = a;
    return x > 0 ? x + std::log1p(std::exp(-x)) : std::log1p(std::exp(x));
  };
  std::mt19937_64 rng(6);
  double worst = 0.0;
  for (int row = 0; row < 300; ++row) {
    const std::size_t n = row % 3 == 0 ? 2000 : 1 + rng() % 600;
    const double scale = row % 4 == 0 ? 700.0 : row % 4 == 1 ? 40.0 : row % 4 == 2 ? 5.0 : 1e-3;
    std::vector<double> x(n);
    for (double& v : x) v = std::uniform_real_distribution<double>(-scale, scale)(rng);
    if (row % 5 == 0) {
      const double special[] = {0.0, -0.0, 700.0, -700.0, 1e-300, -1e-300, 36.0, -36.0};
      for (std::size_t k = 0; k < std::min<std::size_t>(n, 8); ++k) x[k] = special[k];
    }
    long double expected = 0.0L, magnitude = 0.0L;
    double libm = 0.0;
    for (const double v : x) {
      expected += reference(v);
      magnitude += std::fabs(reference(v));
      libm += std::log1p(std::exp(v));
    }
    const double got = softplus_sum(x);
    const double error = static_cast<double>(std::fabs(got - expected));
    // The stated bound, and the practical one: about as close as libm's own sum.
    ASSERT_LE(error, 1.2e-16 * static_cast<double>(n) * (1 + static_cast<double>(magnitude)))
        << "row " << row;
    const double libm_error = static_cast<double>(std::fabs(libm - expected));
    ASSERT_LE(error, 4 * libm_error + 4e-16 * (1 + static_cast<double>(magnitude)))
        << "row " << row << ", n = " << n;
    worst = std::max(worst, error / (1 + static_cast<double>(magnitude)));
  }
  std::printf("softplus sums: worst error %.2g relative to 1 + the sum\n", worst);
  // Single values, including the clamp below −700 (e^{−700} ≈ 1e−304 instead of e^a).
  EXPECT_EQ(softplus_sum({0.0}), std::log(2.0));
  EXPECT_EQ(softplus_sum({700.0}), 700.0);
  EXPECT_EQ(softplus_sum({750.0}), 750.0);
  for (const double x : {-700.0, -705.0, -1e300, -kInf}) {
    EXPECT_GE(softplus_sum({x}), 0.0) << x;
    EXPECT_LE(softplus_sum({x}), 1e-303) << x;
  }
  EXPECT_EQ(softplus_sum({}), 0.0);
}

TEST(VectorMath, SigmoidFromTheSharedExponential) {
  for (const double a : points(-700.0, 700.0, 200000, 8)) {
    const long double expected = 1.0L / (1.0L + std::exp(-static_cast<long double>(a)));
    ASSERT_LT(relative_error(sigmoid(a, exp_neg_abs(a)), expected), 1e-15) << "a = " << a;
  }
  EXPECT_EQ(sigmoid(0.0, exp_neg_abs(0.0)), 0.5);
  EXPECT_EQ(sigmoid(kInf, exp_neg_abs(kInf)), 1.0);
  EXPECT_LE(sigmoid(-kInf, exp_neg_abs(-kInf)), 1e-303);
}

TEST(VectorMath, IfNegativeReadsTheSignBit) {
  EXPECT_EQ(if_negative(-1.0, 2.0, 3.0), 2.0);
  EXPECT_EQ(if_negative(-0.0, 2.0, 3.0), 2.0);
  EXPECT_EQ(if_negative(0.0, 2.0, 3.0), 3.0);
  EXPECT_EQ(if_negative(-kInf, 2.0, 3.0), 2.0);
  EXPECT_EQ(if_negative(kInf, -kInf, kInf), kInf);
}

}  // namespace
}  // namespace dgm::engine
