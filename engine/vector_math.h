#pragma once
// Elementary functions written to vectorise: plain arithmetic and bit operations, without calls
// or branches, so that GCC and Clang turn a loop of them into SIMD code (libm's exp and log are
// a call per value; Eigen's double log on SSE2 costs ~10 ns). Used where a sampler applies
// them to whole rows: the batched binary Gibbs updates (inference/gibbs/binary_batch.cc) and the
// RBM visible-marginal target (inference/gradient/rbm_marginal.cc).
//
// A loop vectorises only if nothing in it is a branch: with GCC's default -ftrapping-math, a
// ternary, std::min or std::max whose result feeds further arithmetic stays a branch, hence
// if_negative below; std::abs and std::bit_cast are fine. Check with -fopt-info-vec-missed
// when changing a caller's loop.
//
// Accuracy (checked in tests/engine/vector_math_test.cc):
//   exp_estimate   relative error < 3e−7 for |y| ≤ 700 (for decisions that check a margin);
//   exp_accurate   relative error < 4e−16 (about two ulps) for |y| ≤ 700, like libm's exp;
//   sigmoid        relative error < 1e−15 for |a| ≤ 700, absolute error < 1e−304 beyond;
//   softplus sums  the order of the rounding of a plain sum (softplus_total).
// No input check: outside the stated ranges the exponentials return garbage (callers clamp,
// as exp_neg_abs does).
#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>

namespace dgm::engine {

// e^y for |y| ≤ 700 to a relative error below 3e−7: e^y = 2^n·e^g with n = round(y·log2 e),
// g = (y·log2 e − n)·ln 2 ∈ [−0.35, 0.35], e^g by its Taylor polynomial of degree 6
// (truncation ≤ 0.35^7/7!·e^0.35 < 2e−7; rounding adds ~1e−15 per operation) and 2^n written
// into the exponent bits.
inline double exp_estimate(double y) {
  constexpr double kLog2e = 1.4426950408889634, kLn2 = 0.6931471805599453;
  constexpr double kShifter = 0x1.8p52;  // adding it rounds to an integer, kept in the low bits
  const double t = y * kLog2e;
  const double shifted = t + kShifter;
  const double g = (t - (shifted - kShifter)) * kLn2;
  const double p =
      1.0 + g * (1.0 + g * (1.0 / 2 +
                            g * (1.0 / 6 + g * (1.0 / 24 + g * (1.0 / 120 + g * (1.0 / 720))))));
  // The low bits of `shifted` hold n (|n| ≤ 1010) in two's complement; shifting n + 1023
  // into the exponent field drops the shifter's own bits.
  const auto scale = std::bit_cast<double>((std::bit_cast<std::uint64_t>(shifted) + 1023) << 52);
  return p * scale;
}

// e^y for |y| ≤ 700 to a relative error below 4e−16: the reduction of exp_estimate with ln 2
// split in two (Cody and Waite: n·ln2_hi is exact, so r = y − n·ln 2 is exact up to one
// rounding of n·ln2_lo), |r| ≤ 0.347, and e^r by its Taylor polynomial of degree 13
// (truncation ≤ 0.347^14/14!·e^0.347 < 6e−18): Horner's scheme for the terms up to r^4, which
// carry the rounding, and Estrin's for the small rest (shorter dependency chains, ~10% faster).
inline double exp_accurate(double y) {
  constexpr double kLog2e = 1.4426950408889634;
  constexpr double kLn2Hi = 6.93147180369123816490e-01;  // 32 significant bits
  constexpr double kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kShifter = 0x1.8p52;
  const double shifted = y * kLog2e + kShifter;
  const double n = shifted - kShifter;
  const double r = (y - n * kLn2Hi) - n * kLn2Lo;
  const double r2 = r * r, r4 = r2 * r2;
  // 1/4! + r/5! + … + r^9/13!
  const double rest =
      ((1.0 / 24 + r * (1.0 / 120)) + r2 * (1.0 / 720 + r * (1.0 / 5040))) +
      r4 * (((1.0 / 40320 + r * (1.0 / 362880)) + r2 * (1.0 / 3628800 + r * (1.0 / 39916800))) +
            r4 * (1.0 / 479001600 + r * (1.0 / 6227020800)));
  const double p = 1.0 + r * (1.0 + r * (1.0 / 2 + r * (1.0 / 6 + r * rest)));
  const auto scale = std::bit_cast<double>((std::bit_cast<std::uint64_t>(shifted) + 1023) << 52);
  return p * scale;
}

// e^y in float for any y but NaN, clamped to [e^−87, e^87] (both finite normal floats), to
// a relative error below 2e−7 (about two float ulps): the reduction of exp_accurate in
// float (ln 2 split so that n·ln2_hi is exact for |n| ≤ 126) and e^r, |r| ≤ 0.347, by its
// Taylor polynomial of degree 7 (truncation ≤ 0.347^8/8!·e^0.347 < 8e−9). For the float
// paths of the RBM, whose log-odds come from float products anyway.
inline float exp_float_clamped(float y) {
  constexpr float kLog2e = 1.44269504f;
  constexpr float kLn2Hi = 0.693145752f;  // 0x1.62e4p-1: 17 significant bits
  constexpr float kLn2Lo = 1.42860677e-06f;
  constexpr float kShifter = 0x1.8p23f;
  // Clamp to ±87 with selects on the sign of the difference (vectorises, unlike std::clamp).
  const auto below = [](float a, float x, float z) {  // x where a < 0, else z
    const std::uint32_t mask = 0u - (std::bit_cast<std::uint32_t>(a) >> 31);
    return std::bit_cast<float>((std::bit_cast<std::uint32_t>(x) & mask) |
                                (std::bit_cast<std::uint32_t>(z) & ~mask));
  };
  y = below(y - 87.0f, y, 87.0f);
  y = below(y + 87.0f, -87.0f, y);
  const float shifted = y * kLog2e + kShifter;
  const float n = shifted - kShifter;
  const float r = (y - n * kLn2Hi) - n * kLn2Lo;
  const float p =
      1.0f +
      r * (1.0f +
           r * (1.0f / 2 +
                r * (1.0f / 6 +
                     r * (1.0f / 24 + r * (1.0f / 120 + r * (1.0f / 720 + r * (1.0f / 5040)))))));
  const auto scale = std::bit_cast<float>((std::bit_cast<std::uint32_t>(shifted) + 127) << 23);
  return p * scale;
}

// log x for positive normal x (≥ 2^−1022, finite), to a relative error below 2.5e−16 (about one
// ulp); garbage otherwise (callers check their range). The algorithm of fdlibm's
// __ieee754_log (Sun Microsystems, 1993) without its branches: x = 2^k·m with m ∈ [√½, √2),
// f = m − 1, s = f/(2 + f), log m = f − (f²/2 − s·(f²/2 + R(s²))) with fdlibm's minimax
// polynomial R, and k·ln 2 added in two parts (ln2_hi·k exact).
inline double log_accurate(double x) {
  constexpr double kLn2Hi = 6.93147180369123816490e-01, kLn2Lo = 1.90821492927058770002e-10;
  constexpr double kLg1 = 6.666666666666735130e-01, kLg2 = 3.999999999940941908e-01,
                   kLg3 = 2.857142874366239149e-01, kLg4 = 2.222219843214978396e-01,
                   kLg5 = 1.818357216161805012e-01, kLg6 = 1.531383769920937332e-01,
                   kLg7 = 1.479819860511658591e-01;
  const std::uint64_t bits = std::bit_cast<std::uint64_t>(x);
  // m in [1, 2) from the mantissa bits; halved when ≥ √2 (whose mantissa bits are
  // 0x6a09e667f3bcd), with k raised by one, both without a branch.
  const std::uint64_t mantissa = bits & 0x000fffffffffffffull;
  const std::uint64_t high = (mantissa + 0x95f619980c433ull) >> 52;  // 1 iff m ≥ √2
  const double m = std::bit_cast<double>(mantissa | ((1023 - high) << 52));
  const auto k = static_cast<double>(static_cast<std::int64_t>(bits >> 52) - 1023 +
                                     static_cast<std::int64_t>(high));
  const double f = m - 1.0;
  const double s = f / (2.0 + f);
  const double z = s * s, w = z * z;
  const double t1 = w * (kLg2 + w * (kLg4 + w * kLg6));
  const double t2 = z * (kLg1 + w * (kLg3 + w * (kLg5 + w * kLg7)));
  const double r = t2 + t1;
  const double half_f2 = 0.5 * f * f;
  return k * kLn2Hi - ((half_f2 - (s * (half_f2 + r) + k * kLn2Lo)) - f);
}

// x where a < 0 (sign bit set, so −0 included), else y: a select in bit operations, since a
// ternary on doubles, std::min or std::max feeding arithmetic stays a branch.
inline double if_negative(double a, double x, double y) {
  const std::uint64_t mask = 0 - (std::bit_cast<std::uint64_t>(a) >> 63);
  return std::bit_cast<double>((std::bit_cast<std::uint64_t>(x) & mask) |
                               (std::bit_cast<std::uint64_t>(y) & ~mask));
}

// e^{−|a|} for any a but NaN, clamped to e^{−700} ≈ 1e−304 below: the shared first step of
//   softplus(a) = log(1 + e^a) = max(a, 0) + log(1 + e^{−|a|}) and
//   σ(a) = 1/(1 + e^{−a}) = (a ≥ 0 ? 1 : e^{−|a|})/(1 + e^{−|a|}),
// so that a pass over a row computes both with one exponential per element.
inline double exp_neg_abs(double a) {
  const double m = std::abs(a);
  return exp_accurate(-if_negative(m - 700.0, m, 700.0));
}

// σ(a) = 1/(1 + e^{−a}), given e = exp_neg_abs(a); relative error below 1e−15 for |a| ≤ 700.
inline double sigmoid(double a, double e) { return if_negative(a, e, 1.0) / (1.0 + e); }
// σ(a) for one value.
inline double sigmoid(double a) { return sigmoid(a, exp_neg_abs(a)); }

// Σ_k softplus(x_k) = Σ_k log(1 + e^{x_k}) over a row, with one log per 512 elements instead
// of one per element, in two steps: a per-element part that a caller's vectorised pass
// computes (fused with its own work on the same e_k, such as σ), and the total.
//
// softplus_parts(x, e, term, factor), e = exp_neg_abs(x) (or 0 where x = −∞): the factor
// u = 1 + e rounded, in [1, 2], and the term max(x, 0) + c, c = e − (u − 1) the rounding error
// of u (exact: both subtractions are). log(1 + e) = log u + log(1 + c/u) = log u + c within
// |c|·(1 − 1/u) ≤ 2^−54.
inline void softplus_parts(double x, double e, double& term, double& factor) {
  const double u = 1.0 + e;
  factor = u;
  term = if_negative(x, 0.0, x) + (e - (u - 1.0));
}

// Σ_k terms_k + Σ_k log factors_k, the latter as the log of the product of each block of 512
// factors (≤ 2^512). In four interleaved partial sums and products (so that they vectorise
// without reassociation by the compiler, in an order that does not depend on the SIMD width).
// Error: below 1.2e−16·n·(1 + Σ_k |term_k|) for n elements, the classical bound for the
// rounding of a plain sum of n softplus values (the product's rounding adds at most n
// roundings of 1.1e−16 to the log; typically both are ~√n times smaller); the clamp in
// exp_neg_abs adds at most 1e−304 per element.
inline double softplus_total(const double* terms, const double* factors, std::int64_t n) {
  constexpr std::int64_t kLanes = 4, kBlock = 512;
  double sum[kLanes] = {0.0, 0.0, 0.0, 0.0};
  std::int64_t k = 0;
  for (; k + kLanes <= n; k += kLanes)
    for (std::int64_t l = 0; l < kLanes; ++l) sum[l] += terms[k + l];
  double total = (sum[0] + sum[1]) + (sum[2] + sum[3]);
  for (; k < n; ++k) total += terms[k];
  for (std::int64_t b = 0; b < n; b += kBlock) {
    const std::int64_t end = std::min(n, b + kBlock);
    double product[kLanes] = {1.0, 1.0, 1.0, 1.0};
    std::int64_t j = b;
    for (; j + kLanes <= end; j += kLanes)
      for (std::int64_t l = 0; l < kLanes; ++l) product[l] *= factors[j + l];
    double block = (product[0] * product[1]) * (product[2] * product[3]);
    for (; j < end; ++j) block *= factors[j];
    total += std::log(block);
  }
  return total;
}

}  // namespace dgm::engine
