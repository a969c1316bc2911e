// The graph analyses: the colouring is proper, components, bipartiteness and forest tests.
#include "engine/analysis.h"

#include <gtest/gtest.h>

#include "tests/support/test_models.h"

namespace dgm::engine {
namespace {

using testing::compile_text;

void expect_proper_colouring(const Graph& g) {
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    EXPECT_GE(g.analysis.colour[v], 0);
    EXPECT_LT(g.analysis.colour[v], g.analysis.num_colours);
    for (std::int32_t u : g.neighbours_of(v))
      EXPECT_NE(g.analysis.colour[v], g.analysis.colour[u]) << v << " and " << u;
  }
}

TEST(Analysis, LatticeIsTwoColouredCheckerboard) {
  const auto m = compile_text(R"(
    variables { name: "s" shape: [8, 8] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" periodic: true } })");
  const Graph& g = *m.graph;
  expect_proper_colouring(g);
  EXPECT_EQ(g.analysis.num_colours, 2);
  EXPECT_TRUE(g.analysis.bipartite);
  EXPECT_FALSE(g.analysis.forest);
  EXPECT_EQ(g.analysis.num_components, 1);
}

TEST(Analysis, OddTorusAndEightNeighbourhoodNeedMoreColours) {
  const auto odd = compile_text(R"(
    variables { name: "s" shape: [5, 5] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" periodic: true } })");
  expect_proper_colouring(*odd.graph);
  EXPECT_FALSE(odd.graph->analysis.bipartite);
  const auto eight = compile_text(R"(
    variables { name: "s" shape: [6, 6] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" neighbourhood: 8 } })");
  expect_proper_colouring(*eight.graph);
  EXPECT_EQ(eight.graph->analysis.num_colours, 4);
}

TEST(Analysis, DenseAndHigherOrderColouring) {
  const auto m = compile_text(R"(
    variables { name: "x" shape: [7] cardinality: 3 }
    variables { name: "b" shape: [4] cardinality: 2 }
    parameters { name: "J" value: 1 }
    parameters { name: "T" shape: [3, 3, 3] init { constant: 0 } }
    factors { name: "full" potts { coupling: "J" } all_pairs: "x" }
    factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[2]" }
    factors { name: "or" logical_or { } scope: "b[0] b[1] b[2] b[3]" })");
  const Graph& g = *m.graph;
  expect_proper_colouring(g);
  EXPECT_EQ(g.analysis.num_colours, 7);
  EXPECT_EQ(g.analysis.num_components, 2);
  EXPECT_FALSE(g.analysis.bipartite);
}

TEST(Analysis, ForestDetection) {
  const auto chain = compile_text(R"(
    variables { name: "s" shape: [10] cardinality: 2 }
    variables { name: "lonely" cardinality: 4 }
    parameters { name: "J" value: 1 }
    parameters { name: "h" value: 0.1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "f" unary { field: "h" } each: "s" })");
  EXPECT_TRUE(chain.graph->analysis.forest);
  EXPECT_TRUE(chain.graph->analysis.factor_graph_forest);
  EXPECT_TRUE(chain.graph->analysis.bipartite);
  EXPECT_EQ(chain.graph->analysis.num_components, 2);
  // A triangle factor is a tree in the factor graph but a cycle in the interaction graph.
  const auto triangle = compile_text(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "T" shape: [2, 2, 2] init { constant: 0 } }
    factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[2]" })");
  EXPECT_FALSE(triangle.graph->analysis.forest);
  EXPECT_TRUE(triangle.graph->analysis.factor_graph_forest);
  const auto cycle = compile_text(R"(
    variables { name: "s" shape: [4] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" periodic: true } })");
  EXPECT_FALSE(cycle.graph->analysis.forest);
  EXPECT_FALSE(cycle.graph->analysis.factor_graph_forest);
}

TEST(Analysis, RbmIsBipartiteWithSidesByLayer) {
  const auto m = compile_text(R"(
    variables { name: "v" shape: [6] cardinality: 2 }
    variables { name: "h" shape: [3] cardinality: 2 }
    parameters { name: "W" shape: [6, 3] init { normal { stddev: 0.1 } seed: 1 } }
    factors { name: "rbm" bipartite { left: "v" right: "h" weights: "W" } })");
  const auto& a = m.graph->analysis;
  ASSERT_TRUE(a.bipartite);
  for (int v = 1; v < 6; ++v) EXPECT_EQ(a.side[v], a.side[0]);
  for (int h = 6; h < 9; ++h) EXPECT_NE(a.side[h], a.side[0]);
  EXPECT_EQ(a.num_colours, 2);
}

}  // namespace
}  // namespace dgm::engine
