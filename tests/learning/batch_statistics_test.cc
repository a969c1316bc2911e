// Batch statistics: the fast paths (matrix product for bipartite blocks, enumeration lookups,
// chunked sums for tied parameters) against the per-state definition, Rao–Blackwellised
// (soft) statistics against brute-force expectations, and independence of the thread count.
#include "learning/batch_statistics.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <random>

#include "engine/compiler.h"
#include "learning/sufficient_statistics.h"
#include "tests/support/random_models.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

std::vector<std::int32_t> random_states(const engine::CompiledModel& m, std::int64_t rows,
                                        std::uint64_t seed) {
  std::mt19937_64 gen(seed);
  const engine::Graph& g = *m.graph;
  std::vector<std::int32_t> x(static_cast<std::size_t>(rows * g.num_variables()));
  for (std::int64_t b = 0; b < rows; ++b)
    for (std::int32_t v = 0; v < g.num_variables(); ++v)
      x[static_cast<std::size_t>(b * g.num_variables() + v)] =
          static_cast<std::int32_t>(gen() % static_cast<std::uint64_t>(g.cardinality[v]));
  return x;
}

// (1/n) Σ_b φ(x_b) with the per-state function.
std::vector<double> reference(const engine::CompiledModel& m, const std::vector<std::int32_t>& x,
                              std::int64_t rows) {
  std::vector<double> out(m.params.values.size(), 0.0);
  const auto n = static_cast<std::size_t>(m.graph->num_variables());
  for (std::int64_t b = 0; b < rows; ++b)
    accumulate_statistics(m, std::span<const std::int32_t>(x).subspan(b * n, n), 1.0 / rows, out);
  return out;
}

void expect_near(const std::vector<double>& a, const std::vector<double>& b, double tol) {
  ASSERT_EQ(a.size(), b.size());
  // Relative: sums over thousands of factors are added in another order.
  for (std::size_t i = 0; i < a.size(); ++i)
    EXPECT_NEAR(a[i], b[i], tol * std::max(1.0, std::abs(b[i]))) << "entry " << i;
}

TEST(BatchStatistics, EqualThePerStateDefinitionOnRandomModels) {
  for (std::uint64_t seed = 0; seed < 30; ++seed) {
    const proto::Model p = seed % 3 == 0   ? testing::random_rbm(seed, 5, 4)
                           : seed % 3 == 1 ? testing::random_mixed(seed)
                                           : testing::random_with_evidence(seed);
    SCOPED_TRACE(testing::describe(p));
    const engine::CompiledModel m = engine::compile(p, engine::SourceMap("random.pbtxt"), "");
    const std::vector<std::int32_t> x = random_states(m, 37, seed);
    const BatchStatistics stats(m);
    std::vector<double> fast(m.params.values.size()), generic(m.params.values.size());
    stats.mean({x, 37, {}, {}}, fast);
    stats.mean_generic({x, 37, {}, {}}, generic);
    const std::vector<double> expected = reference(m, x, 37);
    expect_near(fast, expected, 1e-12);
    expect_near(generic, expected, 1e-12);
  }
}

TEST(BatchStatistics, TiedParametersAcrossChunksAndThreadsGiveTheSameNumbers) {
  const engine::CompiledModel m = testing::compile_text(R"(
    variables { name: "s" shape: [64, 64] cardinality: 2 }
    parameters { name: "J" value: 0.3 learnable: true }
    parameters { name: "h" value: 0.1 learnable: true }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" periodic: true } }
    factors { name: "field" unary { log_odds: "h" } each: "s" })");
  const std::vector<std::int32_t> x = random_states(m, 9, 3);
  const BatchStatistics stats(m);
  std::vector<double> one(2), two(2);
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 1);
    stats.mean({x, 9, {}, {}}, one);
  }
  {
    tbb::global_control c(tbb::global_control::max_allowed_parallelism, 2);
    stats.mean({x, 9, {}, {}}, two);
  }
  EXPECT_EQ(one, two);
  expect_near(one, reference(m, x, 9), 1e-12);
}

// An RBM's data statistics with p(h | v) in place of sampled hidden units: expectations over
// every hidden configuration, brute force.
TEST(BatchStatistics, SoftHiddenUnitsGiveExpectedStatistics) {
  const engine::CompiledModel m =
      engine::compile(testing::random_rbm(4, 5, 3), engine::SourceMap("rbm.pbtxt"), "");
  const engine::Graph& g = *m.graph;
  const std::int32_t n = g.num_variables();
  const std::int64_t rows = 6;
  std::vector<std::int32_t> x = random_states(m, rows, 8);
  std::vector<std::uint8_t> soft_vars(static_cast<std::size_t>(n), 0);
  std::vector<double> q(static_cast<std::size_t>(rows * n), 0.0);
  std::mt19937_64 gen(5);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  const std::int32_t hidden = g.groups[1].first;  // random_rbm: groups v then h
  for (std::int32_t j = 0; j < 3; ++j) soft_vars[static_cast<std::size_t>(hidden + j)] = 1;
  for (double& p : q) p = u(gen);
  std::vector<double> expected(m.params.values.size(), 0.0);
  for (std::int64_t b = 0; b < rows; ++b)
    for (int mask = 0; mask < 8; ++mask) {
      std::vector<std::int32_t> state(x.begin() + b * n, x.begin() + (b + 1) * n);
      double p = 1.0 / rows;
      for (std::int32_t j = 0; j < 3; ++j) {
        const bool on = (mask >> j) & 1;
        state[static_cast<std::size_t>(hidden + j)] = on;
        const double qj = q[static_cast<std::size_t>(b * n + hidden + j)];
        p *= on ? qj : 1 - qj;
      }
      accumulate_statistics(m, state, p, expected);
    }
  const BatchStatistics stats(m);
  std::vector<double> fast(expected.size()), generic(expected.size());
  stats.mean({x, rows, q, soft_vars}, fast);
  stats.mean_generic({x, rows, q, soft_vars}, generic);
  expect_near(fast, expected, 1e-12);
  expect_near(generic, expected, 1e-12);
}

// The bipartite block's two routes: sums of selected rows where the left side's states are
// sparse (learning/binary_products.h), the dense product otherwise; with hidden probabilities
// (soft) and with states on the right; both against the per-state definition. Densities on
// both sides of kMaxSparseDensity, a row with no ones and a column with no ones.
TEST(BatchStatistics, SparseAndDenseStatesGiveTheDefinitionsNumbers) {
  const engine::CompiledModel m = testing::compile_text(R"(
      variables { name: "v" shape: [40] cardinality: 2 }
      variables { name: "h" shape: [7] cardinality: 2 }
      parameters { name: "W" shape: [40, 7] init { normal { stddev: 0.3 } } learnable: true }
      parameters { name: "b" shape: [40] init { normal { stddev: 0.3 } } learnable: true }
      parameters { name: "c" shape: [7] init { normal { stddev: 0.3 } } learnable: true }
      factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } }
      factors { name: "vb" unary { log_odds: "b" } each: "v" }
      factors { name: "hb" unary { log_odds: "c" } each: "h" })");
  const engine::Graph& g = *m.graph;
  const std::int32_t n = g.num_variables();
  const std::int32_t visible = g.groups[0].first, hidden = g.groups[1].first;
  const std::int64_t rows = 23;
  for (const double density : {0.0, 0.05, 0.2, 0.29, 0.31, 0.7}) {
    SCOPED_TRACE(density);
    std::mt19937_64 gen(static_cast<std::uint64_t>(density * 1000) + 1);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    std::vector<std::int32_t> x = random_states(m, rows, 4);
    for (std::int64_t b = 0; b < rows; ++b)
      for (std::int32_t i = 0; i < 40; ++i)
        x[static_cast<std::size_t>(b * n + visible + i)] = b != 3 && i != 5 && u(gen) < density;
    const BatchStatistics stats(m);
    std::vector<double> fast(m.params.values.size()), generic(fast.size());
    stats.mean({x, rows, {}, {}}, fast);
    const std::vector<double> expected = reference(m, x, rows);
    expect_near(fast, expected, 1e-12);
    // Soft hidden units: expectations, against the generic path (itself checked above).
    std::vector<std::uint8_t> soft_vars(static_cast<std::size_t>(n), 0);
    std::vector<double> q(static_cast<std::size_t>(rows * n), 0.0);
    for (std::int32_t j = 0; j < 7; ++j) soft_vars[static_cast<std::size_t>(hidden + j)] = 1;
    for (double& p : q) p = u(gen);
    stats.mean({x, rows, q, soft_vars}, fast);
    stats.mean_generic({x, rows, q, soft_vars}, generic);
    expect_near(fast, generic, 1e-12);
  }
}

}  // namespace
}  // namespace dgm::learning
