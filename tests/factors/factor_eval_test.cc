// Every parametrisation's table equals its definition, evaluated config by config.
#include "factors/factor_eval.h"

#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/test_models.h"

namespace dgm::factors {
namespace {

using testing::compile_text;

double theta(const engine::CompiledModel& m, std::int64_t f, std::vector<std::int32_t> x) {
  const auto& g = *m.graph;
  const auto& b = g.block_of(f);
  return log_potential(b, f - b.first_factor, m.params.values, g.enum_configs, x);
}

TEST(FactorEval, IsingUsesSpins) {
  const auto m = compile_text(R"(
    variables { name: "s" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 0.7 }
    factors { name: "b" ising { coupling: "J" } scope: "s[0] s[1]" })");
  EXPECT_DOUBLE_EQ(theta(m, 0, {0, 0}), 0.7);
  EXPECT_DOUBLE_EQ(theta(m, 0, {1, 1}), 0.7);
  EXPECT_DOUBLE_EQ(theta(m, 0, {0, 1}), -0.7);
  EXPECT_DOUBLE_EQ(theta(m, 0, {1, 0}), -0.7);
}

TEST(FactorEval, PottsLogOddsFieldAndTables) {
  const auto m = compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 3 }
    variables { name: "b" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 1.5 }
    parameters { name: "w" value: [0.25, -2] }
    parameters { name: "h" value: 0.5 }
    parameters { name: "M" shape: [3, 3] value: [0, 1, 2, 3, 4, 5, 6, 7, 8] }
    factors { name: "potts" potts { coupling: "J" } scope: "x[0] x[1]" }
    factors { name: "odds" unary { log_odds: "w" } each: "b" }
    factors { name: "field" unary { field: "h" } each: "b" }
    factors { name: "pair" pairwise { log_potentials: "M" } scope: "x[1] x[0]" })");
  EXPECT_DOUBLE_EQ(theta(m, 0, {2, 2}), 1.5);
  EXPECT_DOUBLE_EQ(theta(m, 0, {2, 1}), 0.0);
  EXPECT_DOUBLE_EQ(theta(m, 1, {1}), 0.25);  // per-factor log-odds
  EXPECT_DOUBLE_EQ(theta(m, 2, {1}), -2.0);
  EXPECT_DOUBLE_EQ(theta(m, 2, {0}), 0.0);
  EXPECT_DOUBLE_EQ(theta(m, 3, {0}), -0.5);  // field: h·s
  EXPECT_DOUBLE_EQ(theta(m, 3, {1}), 0.5);
  EXPECT_DOUBLE_EQ(theta(m, 5, {2, 1}), 7.0);  // row = first scope variable
}

TEST(FactorEval, LogicalAndEnumeration) {
  const auto m = compile_text(R"(
    variables { name: "p" shape: [2] cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    variables { name: "y" shape: [2] cardinality: 3 }
    parameters { name: "e" value: [0.5, -1] }
    factors { name: "or" logical_or { parents: "p" child: "c" } }
    factors { name: "and" logical_and { } scope: "p[0] p[1] c" }
    factors { name: "enum" enumeration { configurations: [0, 2, 1, 1] log_potentials: "e" }
              scope: "y[0] y[1]" })");
  const double ninf = -INFINITY;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 2; ++b)
      for (int c = 0; c < 2; ++c) {
        EXPECT_EQ(theta(m, 0, {a, b, c}), ((a || b) == c) ? 0.0 : ninf);
        EXPECT_EQ(theta(m, 1, {a, b, c}), ((a && b) == c) ? 0.0 : ninf);
      }
  EXPECT_DOUBLE_EQ(theta(m, 2, {0, 2}), 0.5);
  EXPECT_DOUBLE_EQ(theta(m, 2, {1, 1}), -1.0);
  EXPECT_EQ(theta(m, 2, {1, 2}), ninf);
}

// fill_table equals log_potential entry by entry for every kind (the generic path's two halves).
TEST(FactorEval, FillTableMatchesLogPotential) {
  const auto m = compile_text(R"(
    variables { name: "x" shape: [3] cardinality: 3 }
    variables { name: "b" shape: [3] cardinality: 2 }
    variables { name: "h" shape: [2] cardinality: 2 }
    parameters { name: "T" init { normal { stddev: 1 } seed: 3 } shape: [2, 3, 3, 3] }
    parameters { name: "W" init { normal { stddev: 1 } seed: 4 } shape: [3, 2] }
    parameters { name: "J" value: -0.3 }
    parameters { name: "e" value: [1, 2, 3] }
    factors { name: "t" table { log_potentials: "T" } scope: ["x[0] x[1] x[2]", "x[2] x[0] x[1]"] }
    factors { name: "rbm" bipartite { left: "b" right: "h" weights: "W" } }
    factors { name: "i" ising { coupling: "J" } all_pairs: "b" }
    factors { name: "en" enumeration { configurations: [0,0,1, 1,1,1, 2,2,0] log_potentials: "e" }
              scope: "x[0] x[1] b[0]" }
    factors { name: "or" logical_or { } scope: "b[0] b[1] b[2] h[0]" })");
  const auto& g = *m.graph;
  for (std::int64_t f = 0; f < g.num_factors(); ++f) {
    const auto& b = g.block_of(f);
    const auto cards = g.scope_cards(f);
    std::vector<double> table(table_size(cards));
    fill_table(b, f - b.first_factor, m.params.values, g.enum_configs, cards, table);
    std::vector<std::int32_t> x(cards.size());
    for (std::size_t i = 0; i < table.size(); ++i) {
      unravel_index(cards, static_cast<std::int64_t>(i), x);
      EXPECT_EQ(table[i], theta(m, f, x)) << "factor " << f << " entry " << i;
    }
  }
}

}  // namespace
}  // namespace dgm::factors
