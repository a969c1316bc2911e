#include "factors/messages.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "factors/factor_kind.h"
#include "factors/infinity.h"
#include "factors/logical.h"
#include "factors/table_layout.h"

namespace dgm::factors {
namespace {

// The definition, by enumeration: out_j(x_j) = T-reduce_{x_{-j}} [θ(x) + Σ_{i≠j} in_i(x_i)],
// summed left to right, then normalised.
std::vector<double> brute_force_messages(const std::vector<double>& table,
                                         const std::vector<std::int32_t>& cards,
                                         const std::vector<double>& incoming, double t) {
  const std::size_t k = cards.size();
  std::vector<std::int64_t> offset(k, 0);
  for (std::size_t j = 1; j < k; ++j) offset[j] = offset[j - 1] + cards[j - 1];
  std::vector<std::vector<double>> values(incoming.size());
  std::vector<std::int32_t> x(k);
  for (std::int64_t e = 0; e < static_cast<std::int64_t>(table.size()); ++e) {
    unravel_index(cards, e, x);
    for (std::size_t j = 0; j < k; ++j) {
      double v = table[e];
      for (std::size_t i = 0; i < k; ++i) {
        if (i != j) v += incoming[offset[i] + x[i]];
      }
      values[offset[j] + x[j]].push_back(v);
    }
  }
  std::vector<double> out(incoming.size());
  for (std::size_t m = 0; m < out.size(); ++m) {
    const double hi = *std::max_element(values[m].begin(), values[m].end());
    if (t == 0.0 || hi == kNegInf) {
      out[m] = hi;
      continue;
    }
    double sum = 0.0;
    for (const double v : values[m]) sum += std::exp((v - hi) / t);
    out[m] = hi + t * std::log(sum);
  }
  for (std::size_t j = 0; j < k; ++j) {
    normalize_message(std::span<double>(out).subspan(offset[j], cards[j]));
  }
  return out;
}

// The logical constraint over n parents and a child as a dense table of 0 / −inf.
std::vector<double> logical_table(FactorKind kind, int n) {
  const std::vector<std::int32_t> cards(n + 1, 2);
  std::vector<double> table(std::size_t{1} << (n + 1));
  std::vector<std::int32_t> x(n + 1);
  for (std::size_t e = 0; e < table.size(); ++e) {
    unravel_index(cards, static_cast<std::int64_t>(e), x);
    table[e] = logical_log_potential(kind, x);
  }
  return table;
}

// Random log-domain entries: mostly moderate, some hard zeros and some saturated (±1e6).
double random_entry(std::mt19937_64& rng, bool saturate) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::normal_distribution<double> normal(0.0, 3.0);
  const double r = u(rng);
  if (saturate && r < 0.12) return kNegInf;
  if (saturate && r < 0.2) return 1e6 + normal(rng);
  if (saturate && r < 0.28) return -1e6 + normal(rng);
  return normal(rng);
}

// Equal to `tol` relative (absolute below 1); −inf only equals −inf, and NaN never appears.
void expect_messages_near(const std::vector<double>& actual, const std::vector<double>& expected,
                          double tol) {
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t m = 0; m < actual.size(); ++m) {
    ASSERT_FALSE(std::isnan(actual[m])) << "entry " << m;
    if (expected[m] == kNegInf || actual[m] == kNegInf) {
      EXPECT_EQ(actual[m], expected[m]) << "entry " << m;
    } else {
      EXPECT_NEAR(actual[m], expected[m], tol * std::max(1.0, std::abs(expected[m])))
          << "entry " << m;
    }
  }
}

TEST(DenseTableMessages, MatchesBruteForceOnRandomTables) {
  std::mt19937_64 rng(20261126);
  std::uniform_int_distribution<int> arity(1, 4), card(1, 4), coin(0, 1);
  for (const double t : {0.0, 0.3, 1.0}) {
    for (int trial = 0; trial < 300; ++trial) {
      const int k = arity(rng);
      std::vector<std::int32_t> cards(k);
      for (auto& c : cards) c = card(rng);
      const bool saturate = coin(rng) == 1;
      std::vector<double> table(table_size(cards));
      for (double& v : table) v = random_entry(rng, saturate);
      std::vector<double> incoming;
      for (const auto c : cards) {
        for (int s = 0; s < c; ++s) incoming.push_back(random_entry(rng, saturate));
      }
      std::vector<double> out(incoming.size());
      dense_table_messages(table, cards, incoming, t, out);
      const auto expected = brute_force_messages(table, cards, incoming, t);
      SCOPED_TRACE(::testing::Message() << "T=" << t << " trial " << trial << " k=" << k);
      expect_messages_near(out, expected, 1e-9);
    }
  }
}

TEST(DenseTableMessages, OutputIsNormalisedAndKeepsHardZeros) {
  // θ forbids x_0 = 1 entirely; the message to x_0 must say −inf there, not a floor.
  const std::vector<std::int32_t> cards = {2, 3};
  const std::vector<double> table = {0.5, -1.0, 2.0, kNegInf, kNegInf, kNegInf};
  const std::vector<double> incoming = {0.0, -1e32, 0.0, -1e32, 1.0};  // a finite floor
  for (const double t : {0.0, 0.5, 1.0}) {
    std::vector<double> out(incoming.size());
    dense_table_messages(table, cards, incoming, t, out);
    EXPECT_EQ(out[1], kNegInf);
    EXPECT_EQ(out[0], 0.0);
    // The floor stays finite: x_1 = 1 is possible, only very unlikely.
    EXPECT_TRUE(std::isfinite(out[3]));
    EXPECT_EQ(std::max({out[2], out[3], out[4]}), 0.0);
  }
}

TEST(DenseTableMessages, AllImpossibleMessageStaysNegInfWithoutNaN) {
  const std::vector<std::int32_t> cards = {2, 2};
  const std::vector<double> table = {0.0, 1.0, 2.0, 3.0};
  const std::vector<double> incoming = {kNegInf, kNegInf, 0.0, 0.0};
  for (const double t : {0.0, 0.5, 1.0}) {
    std::vector<double> out(incoming.size());
    dense_table_messages(table, cards, incoming, t, out);
    EXPECT_EQ(out[2], kNegInf);
    EXPECT_EQ(out[3], kNegInf);
    EXPECT_FALSE(std::isnan(out[0]) || std::isnan(out[1]));
  }
}

TEST(DenseTableMessages, BinaryPairwiseLogRatio) {
  // θ = w on (1, 1) only; with in_0 = (0, λ), the message to x_1 has log-ratio
  // max(0, λ + w) − max(0, λ) (max-product) or log(1 + e^{λ+w}) − log(1 + e^λ) (sum-product).
  const std::vector<std::int32_t> cards = {2, 2};
  for (const double w : {-3.0, -0.25, 0.0, 0.7, 4.0}) {
    for (const double lambda : {-5.0, -1.0, 0.0, 0.3, 2.5}) {
      const std::vector<double> table = {0.0, 0.0, 0.0, w};
      const std::vector<double> incoming = {0.0, lambda, 0.4, -0.9};
      std::vector<double> out(4);
      dense_table_messages(table, cards, incoming, 0.0, out);
      EXPECT_NEAR(out[3] - out[2], std::max(0.0, lambda + w) - std::max(0.0, lambda), 1e-12);
      dense_table_messages(table, cards, incoming, 1.0, out);
      EXPECT_NEAR(out[3] - out[2], std::log1p(std::exp(lambda + w)) - std::log1p(std::exp(lambda)),
                  1e-12);
    }
  }
}

TEST(SoftMax2, InterpolatesBetweenMaxAndLogSumExp) {
  EXPECT_EQ(soft_max2(1.0, 2.0, 0.0), 2.0);
  EXPECT_NEAR(soft_max2(1.0, 2.0, 1.0), std::log(std::exp(1.0) + std::exp(2.0)), 1e-12);
  EXPECT_NEAR(soft_max2(1.0, 2.0, 0.5), 0.5 * std::log(std::exp(2.0) + std::exp(4.0)), 1e-12);
  EXPECT_EQ(soft_max2(kNegInf, kNegInf, 0.5), kNegInf);
  EXPECT_EQ(soft_max2(kNegInf, 3.0, 1.0), 3.0);
}

class LogicalMessages : public ::testing::TestWithParam<FactorKind> {};

TEST_P(LogicalMessages, EqualTheDenseTableKernel) {
  const FactorKind kind = GetParam();
  std::mt19937_64 rng(kind == FactorKind::kOr ? 7 : 11);
  std::uniform_int_distribution<int> coin(0, 1);
  for (int n = 1; n <= 6; ++n) {
    const std::vector<std::int32_t> cards(n + 1, 2);
    const std::vector<double> table = logical_table(kind, n);
    for (const double t : {0.0, 0.5, 1.0}) {
      for (int trial = 0; trial < 400; ++trial) {
        const bool saturate = trial % 4 != 0;
        std::vector<double> incoming(2 * (n + 1));
        for (double& v : incoming) v = random_entry(rng, saturate);
        if (trial % 7 == 0) {  // saturated log-ratios with one side exactly 0
          for (double& v : incoming) v = coin(rng) == 1 ? 0.0 : (coin(rng) ? 1e6 : -1e6);
        }
        std::vector<double> fast(incoming.size()), dense(incoming.size());
        if (kind == FactorKind::kOr) {
          or_messages(incoming, t, fast);
        } else {
          and_messages(incoming, t, fast);
        }
        dense_table_messages(table, cards, incoming, t, dense);
        SCOPED_TRACE(::testing::Message()
                     << kind_name(kind) << " n=" << n << " T=" << t << " trial " << trial);
        expect_messages_near(fast, dense, 1e-9);
      }
    }
  }
}

TEST(OrMessages, MaxProductMatchesTheClosedForm) {
  // The closed form of max-product OR messages, in log-ratios λ_j = in_j(1) − in_j(0): to the
  // child Σ_j max(0, λ_j) + min(0, max_j λ_j); to parent i, with R_i = Σ_{j≠i} max(0, λ_j),
  // (λ_c + R_i) − max(0, λ_c + R_i + min(0, max_{j≠i} λ_j)).
  std::mt19937_64 rng(3);
  std::normal_distribution<double> normal(0.0, 2.0);
  for (int n = 1; n <= 6; ++n) {
    for (int trial = 0; trial < 100; ++trial) {
      std::vector<double> incoming(2 * (n + 1));
      for (double& v : incoming) v = normal(rng);
      std::vector<double> out(incoming.size());
      or_messages(incoming, 0.0, out);
      std::vector<double> lambda(n + 1);
      for (int j = 0; j <= n; ++j) lambda[j] = incoming[2 * j + 1] - incoming[2 * j];
      double sum_pos = 0.0, max_all = kNegInf;
      for (int j = 0; j < n; ++j) {
        sum_pos += std::max(0.0, lambda[j]);
        max_all = std::max(max_all, lambda[j]);
      }
      EXPECT_NEAR(out[2 * n + 1] - out[2 * n], sum_pos + std::min(0.0, max_all), 1e-12);
      for (int i = 0; i < n; ++i) {
        double rest = 0.0, max_rest = kNegInf;
        for (int j = 0; j < n; ++j) {
          if (j == i) continue;
          rest += std::max(0.0, lambda[j]);
          max_rest = std::max(max_rest, lambda[j]);
        }
        const double expected =
            (lambda[n] + rest) - std::max(0.0, lambda[n] + rest + std::min(0.0, max_rest));
        EXPECT_NEAR(out[2 * i + 1] - out[2 * i], expected, 1e-12) << "n=" << n << " i=" << i;
      }
    }
  }
}

TEST_P(LogicalMessages, TinyLogRatiosDoNotUnderflow) {
  // Every parent is almost surely 0 (log-ratio −1000, so e^{λ} underflows): the chance that the
  // child is 1 is ≈ n·e^{−1000}, whose log must come out ≈ −1000 + log n, not −inf.
  const FactorKind kind = GetParam();
  const int n = 3;
  std::vector<double> incoming(2 * (n + 1), 0.0);
  for (int j = 0; j < n; ++j) incoming[2 * j + (kind == FactorKind::kOr ? 1 : 0)] = -1000.0;
  std::vector<double> fast(incoming.size()), dense(incoming.size());
  for (const double t : {0.5, 1.0}) {
    if (kind == FactorKind::kOr) {
      or_messages(incoming, t, fast);
    } else {
      and_messages(incoming, t, fast);
    }
    dense_table_messages(logical_table(kind, n), std::vector<std::int32_t>(n + 1, 2), incoming, t,
                         dense);
    expect_messages_near(fast, dense, 1e-9);
    const int rare = kind == FactorKind::kOr ? 1 : 0;
    EXPECT_NEAR(fast[2 * n + rare], -1000.0 + t * std::log(n), 1e-9);
  }
}

// A sparse enumeration factor gives the same messages as its dense table (unlisted rows −inf),
// with work proportional to the listed rows.
TEST(EnumerationMessages, EqualTheDenseTableKernel) {
  std::mt19937_64 rng(7);
  std::uniform_int_distribution<int> arity(1, 4), card(2, 4), coin(0, 1);
  for (const double t : {0.0, 0.5, 1.0}) {
    for (int trial = 0; trial < 200; ++trial) {
      const int k = arity(rng);
      std::vector<std::int32_t> cards(k);
      for (auto& c : cards) c = card(rng);
      const std::int64_t size = table_size(cards);
      // A random subset of the configurations, in random order, with random weights.
      std::vector<std::int32_t> configs;
      std::vector<double> weights;
      std::vector<double> table(size, kNegInf);
      std::vector<std::int32_t> x(k);
      for (std::int64_t e = 0; e < size; ++e) {
        if (coin(rng) == 0 && e > 0) continue;
        unravel_index(cards, e, x);
        configs.insert(configs.end(), x.begin(), x.end());
        weights.push_back(random_entry(rng, false));
        table[e] = weights.back();
      }
      const bool saturate = coin(rng) == 1;
      std::vector<double> incoming;
      for (const auto c : cards) {
        for (int s = 0; s < c; ++s) incoming.push_back(random_entry(rng, saturate));
      }
      const std::int64_t rows = static_cast<std::int64_t>(weights.size());
      std::vector<double> sparse(incoming.size()), dense(incoming.size());
      enumeration_messages(configs, rows, weights, cards, incoming, t, sparse);
      dense_table_messages(table, cards, incoming, t, dense);
      SCOPED_TRACE(::testing::Message() << "T=" << t << " trial " << trial);
      expect_messages_near(sparse, dense, 1e-9);
      const double a = enumeration_log_partition(configs, rows, weights, cards, incoming);
      const double b = dense_table_log_partition(table, cards, incoming);
      if (a != b) {
        EXPECT_NEAR(a, b, 1e-9 * (1 + std::fabs(b)));
      }
    }
  }
}

// log Σ_x exp(θ(x) + Σ_j in_j(x_j)) by brute force.
double brute_force_log_partition(const std::vector<double>& table,
                                 const std::vector<std::int32_t>& cards,
                                 const std::vector<double>& incoming) {
  std::vector<std::int32_t> x(cards.size());
  double hi = kNegInf;
  std::vector<double> values;
  for (std::int64_t e = 0; e < static_cast<std::int64_t>(table.size()); ++e) {
    unravel_index(cards, e, x);
    double v = table[e];
    std::int64_t offset = 0;
    for (std::size_t j = 0; j < cards.size(); ++j) {
      v += incoming[offset + x[j]];
      offset += cards[j];
    }
    values.push_back(v);
    hi = std::max(hi, v);
  }
  if (hi == kNegInf) return kNegInf;
  double sum = 0.0;
  for (const double v : values) sum += std::exp(v - hi);
  return hi + std::log(sum);
}

TEST_P(LogicalMessages, LogPartitionEqualsBruteForce) {
  const FactorKind kind = GetParam();
  std::mt19937_64 rng(kind == FactorKind::kOr ? 3 : 4);
  std::normal_distribution<double> normal(0.0, 2.0);
  for (int n = 1; n <= 6; ++n) {
    for (int trial = 0; trial < 20; ++trial) {
      std::vector<double> incoming(2 * (n + 1));
      for (double& v : incoming) v = normal(rng);
      if (trial % 5 == 0) incoming[0] = kNegInf;          // a hard zero on parent 0's state 0
      if (trial % 7 == 0) incoming[2 * n + 1] = kNegInf;  // the child cannot be 1
      const double fast =
          kind == FactorKind::kOr ? or_log_partition(incoming) : and_log_partition(incoming);
      const double expected = brute_force_log_partition(
          logical_table(kind, n), std::vector<std::int32_t>(n + 1, 2), incoming);
      if (fast != expected) {
        EXPECT_NEAR(fast, expected, 1e-9) << "n=" << n << " trial " << trial;
      }
    }
  }
}

TEST(DenseTableLogPartition, EqualsBruteForce) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 100; ++trial) {
    const std::vector<std::int32_t> cards = {2, 3, 2};
    std::vector<double> table(12), incoming(7);
    for (double& v : table) v = random_entry(rng, true);
    for (double& v : incoming) v = random_entry(rng, false);
    const double a = dense_table_log_partition(table, cards, incoming);
    const double b = brute_force_log_partition(table, cards, incoming);
    if (a != b) {
      EXPECT_NEAR(a, b, 1e-9 * (1 + std::fabs(b)));
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OrAnd, LogicalMessages,
                         ::testing::Values(FactorKind::kOr, FactorKind::kAnd),
                         [](const auto& info) { return std::string(kind_name(info.param)); });

}  // namespace
}  // namespace dgm::factors
