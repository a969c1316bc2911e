// The run-time dispatch layer (engine/cpu_dispatch.h): the batched Philox gives the words of
// CounterRng::bits on every level the CPU supports, and the dense products agree with a plain
// triple loop on every level and in every transpose combination.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/cpu_dispatch.h"
#include "engine/dense_product.h"
#include "engine/error.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "engine/vector_kernels.h"
#include "engine/vector_math.h"

namespace dgm::engine {
namespace {

// Every level this CPU can run, the lowest first; restores the active level on destruction.
class EveryLevel {
 public:
  EveryLevel() : saved_(simd_level()) {
    for (int l = 0; l <= static_cast<int>(supported_simd_level()); ++l)
      levels_.push_back(static_cast<SimdLevel>(l));
  }
  ~EveryLevel() { set_simd_level(saved_); }
  const std::vector<SimdLevel>& levels() const { return levels_; }

 private:
  SimdLevel saved_;
  std::vector<SimdLevel> levels_;
};

TEST(Dispatch, LevelsParseAndCannotExceedTheCpu) {
  EXPECT_EQ(parse_simd_level("portable"), SimdLevel::kPortable);
  EXPECT_EQ(parse_simd_level("avx2"), SimdLevel::kAvx2);
  EXPECT_EQ(parse_simd_level("avx512"), SimdLevel::kAvx512);
  EXPECT_THROW(parse_simd_level("sse9"), Error);
  EveryLevel guard;
  if (supported_simd_level() != SimdLevel::kAvx512) {
    EXPECT_THROW(set_simd_level(SimdLevel::kAvx512), Error);
  }
  set_simd_level(SimdLevel::kPortable);
  EXPECT_FALSE(blas_products());
  EXPECT_NE(dispatch_description().find("simd portable"), std::string::npos);
}

TEST(PhiloxBatch, EveryLevelGivesRandom123sWords) {
  EveryLevel guard;
  const CounterRng rng(0x0123456789abcdefull, stream_id(StreamPurpose::kSweep, 77));
  // Lengths around the vector widths (8, 16), offsets that are not multiples of them, and a
  // run whose low counter word would carry (scalar fallback).
  const std::vector<std::uint64_t> firsts = {0, 5, sweep_counter(3, 17), 0xfffffff0ull};
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    for (std::uint64_t first : firsts)
      for (std::int64_t count : {0, 1, 7, 8, 9, 15, 16, 17, 33, 100, 130}) {
        std::vector<std::uint32_t> words(static_cast<std::size_t>(4 * count));
        std::vector<float> floats(words.size());
        std::vector<double> doubles(words.size()), wide(static_cast<std::size_t>(2 * count));
        philox_words(rng, first, count, words.data());
        philox_uniform_floats(rng, first, count, floats.data());
        philox_uniform_doubles(rng, first, count, doubles.data());
        philox_uniform_doubles_wide(rng, first, count, wide.data());
        for (std::int64_t q = 0; q < count; ++q) {
          const auto expected = rng.bits(first + static_cast<std::uint64_t>(q));
          for (int h = 0; h < 2; ++h)
            ASSERT_EQ(wide[static_cast<std::size_t>(2 * q + h)],
                      r123::u01<double>((static_cast<std::uint64_t>(expected[2 * h]) << 32) |
                                        expected[2 * h + 1]))
                << simd_level_name(level) << " first " << first << " count " << count;
          for (int w = 0; w < 4; ++w) {
            const auto k = static_cast<std::size_t>(4 * q + w);
            ASSERT_EQ(words[k], expected[w]) << simd_level_name(level) << " first " << first
                                             << " count " << count << " draw " << q;
            ASSERT_EQ(floats[k], CounterRng::uniform_word(expected[w]));
            ASSERT_EQ(doubles[k], r123::u01<double>(expected[w]));
          }
        }
      }
  }
}

// The float conversion is the delicate part of the vector paths (AVX2 has no unsigned
// conversion): words near the rounding boundaries of a float.
TEST(PhiloxBatch, FloatUniformsAreCorrectlyRoundedForEveryWord) {
  EveryLevel guard;
  // Search draws whose words fall in the top range (≥ 2^24, where float rounds) until a few
  // thousand such words were compared; every draw's words count anyway.
  const CounterRng rng(99, 5);
  constexpr std::int64_t kDraws = 1 << 14;
  std::vector<float> reference(4 * kDraws), floats(4 * kDraws);
  set_simd_level(SimdLevel::kPortable);
  philox_uniform_floats(rng, 0, kDraws, reference.data());
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    philox_uniform_floats(rng, 0, kDraws, floats.data());
    EXPECT_EQ(floats, reference) << simd_level_name(level);
  }
  for (float u : reference) {
    ASSERT_GT(u, 0.0f);
    ASSERT_LE(u, 1.0f);
  }
}

// C = alpha·op(A)·op(B) + beta·C against a loop in long double.
TEST(DenseProduct, AgreesWithALoopOnEveryLevelAndTranspose) {
  EveryLevel guard;
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> unit(-1.0, 1.0);
  const std::int64_t m = 13, n = 37, k = 70;
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (double beta : {0.0, 1.0, -0.5}) {
          const std::int64_t lda = (ta ? m : k) + 3, ldb = (tb ? k : n) + 1, ldc = n + 2;
          std::vector<double> a(static_cast<std::size_t>((ta ? k : m) * lda));
          std::vector<double> b(static_cast<std::size_t>((tb ? n : k) * ldb));
          std::vector<double> c(static_cast<std::size_t>(m * ldc));
          for (double& x : a) x = unit(gen);
          for (double& x : b) x = unit(gen);
          for (double& x : c) x = unit(gen);
          std::vector<float> af(a.begin(), a.end()), bf(b.begin(), b.end()), cf(c.begin(), c.end());
          std::vector<double> cd = c;
          gemm(ta, tb, m, n, k, 0.75, a.data(), lda, b.data(), ldb, beta, cd.data(), ldc);
          gemm(ta, tb, m, n, k, 0.75f, af.data(), lda, bf.data(), ldb, static_cast<float>(beta),
               cf.data(), ldc);
          for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = 0; j < n; ++j) {
              long double sum = 0;
              for (std::int64_t l = 0; l < k; ++l) {
                const double x = ta ? a[l * lda + i] : a[i * lda + l];
                const double y = tb ? b[j * ldb + l] : b[l * ldb + j];
                sum += static_cast<long double>(x) * y;
              }
              const double expected = 0.75 * static_cast<double>(sum) + beta * c[i * ldc + j];
              ASSERT_NEAR(cd[i * ldc + j], expected, 1e-12)
                  << simd_level_name(level) << " ta " << ta << " tb " << tb;
              ASSERT_NEAR(cf[i * ldc + j], expected, 1e-4);
            }
          // The padding between rows is never written.
          for (std::int64_t i = 0; i < m; ++i)
            for (std::int64_t j = n; j < ldc; ++j) ASSERT_EQ(cd[i * ldc + j], c[i * ldc + j]);
        }
  }
}

// beta = 0 must not read C: NaN there must not leak into the result.
TEST(DenseProduct, BetaZeroIgnoresWhatCHeld) {
  EveryLevel guard;
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    const std::vector<float> a = {1, 2, 3, 4}, b = {5, 6, 7, 8};
    std::vector<float> c(4, std::nanf(""));
    gemm(false, false, 2, 2, 2, 1.0f, a.data(), 2, b.data(), 2, 0.0f, c.data(), 2);
    EXPECT_EQ(c, (std::vector<float>{19, 22, 43, 50})) << simd_level_name(level);
  }
}

// Inputs for the row kernels: ordinary values, the edges of the exponentials' clamps, ±0, ±∞
// and values whose sigmoid is within rounding of a uniform (the boundary of a draw).
std::vector<double> kernel_inputs(std::size_t n, std::uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0.0, 4.0);
  const std::vector<double> edges = {0.0,   -0.0,   1e-300,   -1e-300,  86.9,  -86.9,
                                     87.5,  -87.5,  699.0,    -699.0,   701.0, -701.0,
                                     1e308, -1e308, HUGE_VAL, -HUGE_VAL};
  std::vector<double> x(n);
  for (std::size_t i = 0; i < n; ++i) x[i] = i < edges.size() ? edges[i] : normal(gen);
  return x;
}

template <class T>
bool same_bits(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

// Every row kernel on every level, bit for bit against the portable level, on rows whose
// lengths are not multiples of any vector width.
TEST(VectorKernels, EveryLevelGivesThePortableBits) {
  EveryLevel guard;
  constexpr std::size_t n = 1003;
  const std::vector<double> a = kernel_inputs(n, 1), d = kernel_inputs(n, 2);
  std::vector<double> uniforms(n), mask(n), offset(n), bias(n);
  std::vector<float> af(n), biasf(n), uf(n), freef(n), valuef(n), gf(n);
  std::vector<std::int32_t> v(n);
  std::mt19937 gen(3);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  for (std::size_t i = 0; i < n; ++i) {
    uniforms[i] = unit(gen);
    mask[i] = i % 7 == 0 ? 0.0 : 1.0;
    offset[i] = mask[i] == 0.0 ? -HUGE_VAL : 0.0;
    bias[i] = unit(gen) - 0.5;
    af[i] = static_cast<float>(a[i]);
    biasf[i] = static_cast<float>(bias[i]);
    // Uniforms at the probabilities themselves for some elements: a draw on its boundary.
    uf[i] = i % 5 == 0 ? static_cast<float>(1.0 / (1.0 + std::exp(-(af[i] + biasf[i]))))
                       : static_cast<float>(uniforms[i]);
    if (!(uf[i] > 0.0f)) uf[i] = 0.5f;
    freef[i] = i % 11 == 0 ? 0.0f : 1.0f;
    valuef[i] = i % 22 == 0 ? 1.0f : 0.0f;
    gf[i] = static_cast<float>(d[i] / 3);
    v[i] = static_cast<std::int32_t>(i % 3 == 0);
  }
  struct Outputs {
    std::vector<float> x, sigma;
    std::vector<std::int32_t> state;
    std::vector<double> thresholds, terms, factors, scores, weights, e, lterms, lfactors, flips;
    std::vector<double> moved_one, moved_four, soft_plus, soft_minus, exotic_plus, exotic_minus;
    std::vector<double> annealed, t1, f1, t0, f0;
    std::vector<float> annealed_v, summed_three, summed_four, logistic;
    std::int64_t changed = 0;
    double max_score = 0;
  };
  auto run = [&] {
    Outputs o;
    o.x.resize(n);
    o.state = v;
    o.changed = bernoulli_logistic_row(af.data(), biasf.data(), uf.data(), freef.data(),
                                       valuef.data(), o.x.data(), o.state.data(), n);
    // exp_estimate holds for |a| ≤ 700 only: the thresholds of the rest are not compared.
    std::vector<double> bounded(a);
    for (double& x : bounded) x = std::abs(x) <= 700.0 ? x : 0.0;
    o.thresholds.resize(n);
    logistic_thresholds_row(bounded.data(), uniforms.data(), o.thresholds.data(), n);
    o.sigma.resize(n);
    o.terms.resize(n);
    o.factors.resize(n);
    sigmoid_softplus_row(a.data(), o.sigma.data(), o.terms.data(), o.factors.data(), n);
    o.scores.resize(n);
    o.max_score =
        first_order_scores_row(v.data(), bias.data(), gf.data(), offset.data(), o.scores.data(), n);
    const double* rows[4] = {d.data(), bias.data(), uniforms.data(), mask.data()};
    const double signs[4] = {1.0, -1.0, -1.0, 1.0};
    o.moved_one.resize(n);
    o.moved_four.resize(n);
    add_signed_rows(a.data(), rows, signs, 3, o.moved_one.data(), n);
    add_signed_rows(o.moved_one.data(), rows, signs, 4, o.moved_four.data(), n);
    o.weights.resize(n);
    gwg_weights_row(o.scores.data(), mask.data(), 3.5, o.weights.data(), n);
    o.e.resize(n);
    o.lterms.resize(n);
    o.lfactors.resize(n);
    langevin_terms_row(d.data(), mask.data(), 2.5, o.e.data(), o.lterms.data(), o.lfactors.data(),
                       n);
    for (auto* v : {&o.soft_plus, &o.soft_minus, &o.exotic_plus, &o.exotic_minus}) v->resize(n);
    soft_coupling_row(a.data(), 0.5, 2.0, 1.5, std::exp(-1.5), o.soft_plus.data(),
                      o.exotic_plus.data(), n);
    soft_coupling_row(a.data(), 0.5, 2.0, -1.5, std::exp(-1.5), o.soft_minus.data(),
                      o.exotic_minus.data(), n);
    // AIS passes on log-odds within exp_neg_abs's range.
    o.annealed = bounded;
    for (auto* v : {&o.t1, &o.f1, &o.t0, &o.f0}) v->resize(n);
    annealed_hidden_row(o.annealed.data(), bias.data(), 0.3, 0.29, uniforms.data(), o.t1.data(),
                        o.f1.data(), o.t0.data(), o.f0.data(), n);
    o.annealed_v.resize(n);
    annealed_visible_row(gf.data(), bias.data(), d.data(), 0.4, uniforms.data(), mask.data(),
                         uniforms.data(), o.annealed_v.data(), n);
    // Rows of a 4 × n matrix [af; biasf; uf; gf], selected in a scrambled order with repeats.
    std::vector<float> table;
    for (const auto* row : {&af, &biasf, &uf, &gf})
      table.insert(table.end(), row->begin(), row->end());
    const std::int32_t three[3] = {3, 0, 1}, seven[7] = {2, 0, 3, 1, 3, 2, 0};
    o.summed_three.resize(n);
    o.summed_four.resize(n);
    sum_selected_rows_float(table.data(), n, three, 3, o.summed_three.data(), n);
    sum_selected_rows_float(table.data(), n, seven, 7, o.summed_four.data(), n);
    o.logistic.resize(n);
    logistic_row(af.data(), biasf.data(), o.logistic.data(), n);
    o.flips.resize(n);
    langevin_flips_row(uniforms.data(), o.e.data(), d.data(), 2.5, o.flips.data(), n);
    return o;
  };
  set_simd_level(SimdLevel::kPortable);
  const Outputs reference = run();
  // The portable results are the scalar functions of vector_math.h, element by element.
  for (std::size_t i = 0; i < n; ++i) {
    const double e = exp_neg_abs(a[i]);
    ASSERT_EQ(reference.sigma[i], static_cast<float>(sigmoid(a[i], e))) << a[i];
    const float draw =
        uf[i] * (1.0f + exp_float_clamped(-(af[i] + biasf[i]))) <= 1.0f ? 1.0f : 0.0f;
    ASSERT_EQ(reference.x[i], draw * freef[i] + valuef[i]);
    // The rows summed in order, one rounding each, and σ in float (inputs include ±∞ and NaN:
    // compared as bits).
    const float three = (gf[i] + af[i]) + biasf[i];
    const float four = (((((uf[i] + af[i]) + gf[i]) + biasf[i]) + gf[i]) + uf[i]) + af[i];
    const float logistic = 1.0f / (1.0f + exp_float_clamped(-(af[i] + biasf[i])));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(reference.summed_three[i]),
              std::bit_cast<std::uint32_t>(three));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(reference.summed_four[i]),
              std::bit_cast<std::uint32_t>(four));
    ASSERT_EQ(std::bit_cast<std::uint32_t>(reference.logistic[i]),
              std::bit_cast<std::uint32_t>(logistic));
  }
  // The sum-product coupling message against its definition T·log((1 + e^{u+v})/(1 + e^u)),
  // u = μ/T, where the row says it applies.
  for (std::size_t i = 0; i < n; ++i)
    for (const double v : {1.5, -1.5}) {
      const double out = v > 0 ? reference.soft_plus[i] : reference.soft_minus[i];
      const double exotic = v > 0 ? reference.exotic_plus[i] : reference.exotic_minus[i];
      const long double u = 0.5L * a[i];
      if (!std::isfinite(a[i]) || std::abs(u) > 700) {
        EXPECT_EQ(exotic, 1.0) << a[i];
        continue;
      }
      ASSERT_EQ(exotic, 0.0) << a[i];
      const long double expected = 2.0L * (std::log1p(std::exp(u + v)) - std::log1p(std::exp(u)));
      ASSERT_NEAR(out, static_cast<double>(expected), 1e-13 * (1.0 + std::abs(out))) << a[i];
    }
  EXPECT_EQ(reference.max_score,
            *std::max_element(reference.scores.begin(), reference.scores.end()));
  for (std::size_t i = 0; i < n; ++i) {  // the rows in order, one rounding per row
    const double one = ((a[i] + d[i]) - bias[i]) - uniforms[i];
    const double four = (((one + d[i]) - bias[i]) - uniforms[i]) + mask[i];
    if (std::isfinite(four)) {
      ASSERT_EQ(reference.moved_one[i], one);
      ASSERT_EQ(reference.moved_four[i], four);
    }
  }
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    const Outputs o = run();
    EXPECT_EQ(o.max_score, reference.max_score);
    EXPECT_TRUE(same_bits(o.moved_one, reference.moved_one));
    EXPECT_TRUE(same_bits(o.moved_four, reference.moved_four));
    const char* name = simd_level_name(level);
    EXPECT_EQ(o.changed, reference.changed) << name;
    EXPECT_TRUE(same_bits(o.x, reference.x)) << name;
    EXPECT_TRUE(same_bits(o.state, reference.state)) << name;
    EXPECT_TRUE(same_bits(o.thresholds, reference.thresholds)) << name;
    EXPECT_TRUE(same_bits(o.sigma, reference.sigma)) << name;
    EXPECT_TRUE(same_bits(o.terms, reference.terms)) << name;
    EXPECT_TRUE(same_bits(o.factors, reference.factors)) << name;
    EXPECT_TRUE(same_bits(o.scores, reference.scores)) << name;
    EXPECT_TRUE(same_bits(o.weights, reference.weights)) << name;
    EXPECT_TRUE(same_bits(o.e, reference.e)) << name;
    EXPECT_TRUE(same_bits(o.lterms, reference.lterms)) << name;
    EXPECT_TRUE(same_bits(o.lfactors, reference.lfactors)) << name;
    EXPECT_TRUE(same_bits(o.flips, reference.flips)) << name;
    EXPECT_TRUE(same_bits(o.annealed, reference.annealed)) << name;
    EXPECT_TRUE(same_bits(o.t1, reference.t1)) << name;
    EXPECT_TRUE(same_bits(o.f1, reference.f1)) << name;
    EXPECT_TRUE(same_bits(o.t0, reference.t0)) << name;
    EXPECT_TRUE(same_bits(o.f0, reference.f0)) << name;
    EXPECT_TRUE(same_bits(o.annealed_v, reference.annealed_v)) << name;
    EXPECT_TRUE(same_bits(o.summed_three, reference.summed_three)) << name;
    EXPECT_TRUE(same_bits(o.summed_four, reference.summed_four)) << name;
    EXPECT_TRUE(same_bits(o.logistic, reference.logistic)) << name;
    EXPECT_TRUE(same_bits(o.soft_plus, reference.soft_plus)) << name;
    EXPECT_TRUE(same_bits(o.soft_minus, reference.soft_minus)) << name;
    EXPECT_TRUE(same_bits(o.exotic_plus, reference.exotic_plus)) << name;
    EXPECT_TRUE(same_bits(o.exotic_minus, reference.exotic_minus)) << name;
  }
}

// The max-product coupling update: on every level and row length, bit for bit the scalar
// update of inference/bp/factor_updates.cc (std::max, +∞ → w), the largest change returned,
// NaN returned when a new message is NaN.
TEST(VectorKernels, MaxCouplingRowIsTheScalarUpdateOnEveryLevel) {
  EveryLevel guard;
  const std::vector<double> b_i = kernel_inputs(1003, 4), b_j = kernel_inputs(1003, 5);
  std::mt19937 gen(6);
  std::uniform_real_distribution<double> message(-2.0, 2.0);
  std::vector<double> m_i(1003), m_j(1003);
  for (std::size_t l = 0; l < m_i.size(); ++l) {
    m_i[l] = message(gen);
    m_j[l] = message(gen);
  }
  std::reverse(m_j.begin(), m_j.begin() + 16);  // ±∞ beliefs meet both ends' messages
  for (const double w : {1.7, -0.9}) {
    for (const double damping : {0.0, 0.5}) {
      for (const std::size_t n : {1u, 3u, 4u, 5u, 8u, 16u, 17u, 37u, 1003u}) {
        std::vector<double> ei(m_i.begin(), m_i.begin() + n), ej(m_j.begin(), m_j.begin() + n);
        double most = 0.0;
        for (std::size_t l = 0; l < n; ++l) {
          auto reduce = [&](double mu) {
            return mu == HUGE_VAL ? w : std::max(0.0, w + mu) - std::max(0.0, mu);
          };
          const double mu_i = b_i[l] - m_i[l], mu_j = b_j[l] - m_j[l];
          ej[l] = damping * m_j[l] + (1.0 - damping) * reduce(mu_i);
          ei[l] = damping * m_i[l] + (1.0 - damping) * reduce(mu_j);
          most = std::max({most, std::fabs(ej[l] - m_j[l]), std::fabs(ei[l] - m_i[l])});
        }
        for (SimdLevel level : guard.levels()) {
          set_simd_level(level);
          std::vector<double> oi(m_i.begin(), m_i.begin() + n), oj(m_j.begin(), m_j.begin() + n);
          const double change = max_coupling_row(oi.data(), oj.data(), b_i.data(), b_j.data(), w,
                                                 damping, static_cast<std::int64_t>(n));
          const std::string where = std::string(simd_level_name(level)) +
                                    " n=" + std::to_string(n) + " w=" + std::to_string(w);
          EXPECT_TRUE(same_bits(oi, ei)) << where;
          EXPECT_TRUE(same_bits(oj, ej)) << where;
          EXPECT_EQ(change, most) << where;
          // A NaN message, in the vector part and in the remainder, is reported.
          for (const std::size_t at : {std::size_t{0}, n - 1}) {
            std::vector<double> ni(m_i.begin(), m_i.begin() + n), nj(m_j.begin(), m_j.begin() + n);
            nj[at] = std::numeric_limits<double>::quiet_NaN();
            EXPECT_TRUE(std::isnan(max_coupling_row(ni.data(), nj.data(), b_i.data(), b_j.data(), w,
                                                    damping, static_cast<std::int64_t>(n))))
                << where << " NaN at " << at;
          }
        }
      }
    }
  }
}

// A NaN log-odds draws 0 on every level, whichever its sign bit (the exponential's clamp reads
// the sign bit, so without the check a NaN with a clear sign bit drew 1).
TEST(VectorKernels, NanLogOddsDrawZero) {
  EveryLevel guard;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  const std::vector<float> a = {nan, -nan, nan, -nan, 0.0f}, bias(5, 0.0f), u(5, 0.25f),
                           free(5, 1.0f), value(5, 0.0f);
  for (SimdLevel level : guard.levels()) {
    set_simd_level(level);
    std::vector<float> x(5);
    std::vector<std::int32_t> state(5, 1);
    bernoulli_logistic_row(a.data(), bias.data(), u.data(), free.data(), value.data(), x.data(),
                           state.data(), 5);
    EXPECT_EQ(x, (std::vector<float>{0, 0, 0, 0, 1})) << simd_level_name(level);
  }
}

}  // namespace
}  // namespace dgm::engine
