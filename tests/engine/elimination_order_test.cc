// Elimination orders: min-fill's known widths (grids, chains, cliques), restriction to a
// subset of variables, tie-breaking, table sizes with mixed cardinalities, and early
// abandonment on graphs far too wide for exact inference; every heuristic against a
// from-scratch reference; the best-of order (width L on L×L grids, never worse than min-fill,
// the same as the best of the heuristics run one by one).
#include "engine/elimination_order.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>
#include <string>
#include <utility>

#include "engine/error.h"

namespace dgm::engine {
namespace {

using ::testing::ElementsAre;

constexpr std::int64_t kNoLimit = std::numeric_limits<std::int64_t>::max();

// A Graph with only what elimination orders read: cardinalities and the interaction graph.
Graph graph_from_edges(std::int32_t n,
                       const std::vector<std::pair<std::int32_t, std::int32_t>>& edges,
                       std::vector<std::int32_t> cards = {}) {
  Graph g;
  g.cardinality = cards.empty() ? std::vector<std::int32_t>(n, 2) : std::move(cards);
  g.state_offset.assign(n + 1, 0);
  for (std::int32_t v = 0; v < n; ++v) g.state_offset[v + 1] = g.state_offset[v] + g.cardinality[v];
  std::vector<std::vector<std::int32_t>> adj(n);
  for (auto [a, b] : edges) {
    adj[a].push_back(b);
    adj[b].push_back(a);
  }
  g.neighbour_offsets.push_back(0);
  for (auto& list : adj) {
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    g.neighbours.insert(g.neighbours.end(), list.begin(), list.end());
    g.neighbour_offsets.push_back(static_cast<std::int64_t>(g.neighbours.size()));
  }
  VariableGroupInfo group;
  group.name = "x";
  group.shape = {n};
  group.size = n;
  g.groups.push_back(group);
  return g;
}

// rows×cols 4-neighbour lattice, open or periodic (a torus; rows, cols ≥ 3), row-major ids,
// built straight into CSR (a million variables must not cost much).
Graph lattice(std::int32_t rows, std::int32_t cols, bool periodic = false) {
  Graph g;
  const std::int32_t n = rows * cols;
  g.cardinality.assign(n, 2);
  g.state_offset.resize(n + 1);
  for (std::int32_t v = 0; v <= n; ++v) g.state_offset[v] = 2 * static_cast<std::int64_t>(v);
  g.neighbour_offsets.reserve(n + 1);
  g.neighbours.reserve(4 * static_cast<std::size_t>(n));
  g.neighbour_offsets.push_back(0);
  for (std::int32_t r = 0; r < rows; ++r) {
    for (std::int32_t c = 0; c < cols; ++c) {
      const auto first = static_cast<std::ptrdiff_t>(g.neighbours.size());
      if (r > 0 || periodic) g.neighbours.push_back(((r + rows - 1) % rows) * cols + c);
      if (c > 0 || periodic) g.neighbours.push_back(r * cols + (c + cols - 1) % cols);
      if (c + 1 < cols || periodic) g.neighbours.push_back(r * cols + (c + 1) % cols);
      if (r + 1 < rows || periodic) g.neighbours.push_back(((r + 1) % rows) * cols + c);
      std::sort(g.neighbours.begin() + first, g.neighbours.end());
      g.neighbour_offsets.push_back(static_cast<std::int64_t>(g.neighbours.size()));
    }
  }
  VariableGroupInfo group;
  group.name = "s";
  group.shape = {rows, cols};
  group.size = n;
  g.groups.push_back(group);
  return g;
}

std::vector<std::int32_t> all_variables(const Graph& g) {
  std::vector<std::int32_t> v(g.num_variables());
  std::iota(v.begin(), v.end(), 0);
  return v;
}

// The order is a permutation of the requested variables.
void expect_permutation(std::vector<std::int32_t> order, std::vector<std::int32_t> variables) {
  std::sort(order.begin(), order.end());
  std::sort(variables.begin(), variables.end());
  EXPECT_EQ(order, variables);
}

// Each heuristic by definition: recompute every fill and degree from scratch at every step
// (O(n·d²) per step), the same tie-breaking. The fast implementation must produce the same
// order.
EliminationOrder naive_order(const Graph& g, OrderHeuristic heuristic) {
  const std::int32_t n = g.num_variables();
  std::vector<std::vector<bool>> adj(n, std::vector<bool>(n, false));
  for (std::int32_t v = 0; v < n; ++v)
    for (std::int32_t u : g.neighbours_of(v)) adj[v][u] = true;
  std::vector<bool> gone(n, false);
  EliminationOrder result;
  result.heuristic = heuristic;
  for (std::int32_t step = 0; step < n; ++step) {
    // Smallest (fill, degree, id) for min-fill, (degree, id) for min-degree, id for natural.
    std::pair<std::int64_t, std::int32_t> best_key{0, 0};
    std::int32_t best = -1;
    for (std::int32_t v = 0; v < n; ++v) {
      if (gone[v]) continue;
      std::vector<std::int32_t> nb;
      for (std::int32_t u = 0; u < n; ++u)
        if (!gone[u] && adj[v][u]) nb.push_back(u);
      std::int64_t fill = 0;
      for (std::size_t i = 0; i < nb.size(); ++i)
        for (std::size_t j = i + 1; j < nb.size(); ++j) fill += !adj[nb[i]][nb[j]];
      const auto degree = static_cast<std::int32_t>(nb.size());
      const std::pair<std::int64_t, std::int32_t> key =
          heuristic == OrderHeuristic::kMinFill     ? std::pair{fill, degree}
          : heuristic == OrderHeuristic::kMinDegree ? std::pair{std::int64_t{degree}, 0}
                                                    : std::pair{std::int64_t{0}, 0};
      if (best < 0 || key < best_key) {
        best = v;
        best_key = key;
      }
    }
    std::vector<std::int32_t> nb;
    for (std::int32_t u = 0; u < n; ++u)
      if (!gone[u] && adj[best][u]) nb.push_back(u);
    std::int64_t table = g.cardinality[best];
    for (std::int32_t u : nb)
      if (__builtin_mul_overflow(table, std::int64_t{g.cardinality[u]}, &table)) table = kNoLimit;
    result.induced_width = std::max(result.induced_width, static_cast<int>(nb.size()));
    result.largest_table = std::max(result.largest_table, table);
    for (std::int32_t a : nb)
      for (std::int32_t b : nb)
        if (a != b) adj[a][b] = true;
    gone[best] = true;
    result.order.push_back(best);
  }
  result.complete = true;
  return result;
}

EliminationOrder naive_min_fill(const Graph& g) { return naive_order(g, OrderHeuristic::kMinFill); }

// A random graph of varied density with cardinalities 2–4.
Graph random_graph(std::mt19937& rng, std::int32_t max_extra_vertices = 40,
                   double min_density = 0.05, double density_range = 0.5) {
  const std::int32_t n = 5 + static_cast<std::int32_t>(rng() % max_extra_vertices);
  const double density = min_density + density_range * (rng() % 100) / 100.0;
  std::vector<std::pair<std::int32_t, std::int32_t>> edges;
  for (std::int32_t a = 0; a < n; ++a)
    for (std::int32_t b = a + 1; b < n; ++b)
      if ((rng() % 1000) / 1000.0 < density) edges.emplace_back(a, b);
  std::vector<std::int32_t> cards(n);
  for (auto& k : cards) k = 2 + static_cast<std::int32_t>(rng() % 3);
  return graph_from_edges(n, edges, cards);
}

void expect_same(const EliminationOrder& a, const EliminationOrder& b, const std::string& what) {
  EXPECT_EQ(a.order, b.order) << what;
  EXPECT_EQ(a.induced_width, b.induced_width) << what;
  EXPECT_EQ(a.largest_table, b.largest_table) << what;
  EXPECT_EQ(a.complete, b.complete) << what;
  EXPECT_EQ(a.heuristic, b.heuristic) << what;
}

TEST(MinFill, SquareGrids) {
  // Min-fill finds the optimal width L up to L = 6; from L = 7 its greedy choices cost more
  // (8 for 7×7, 10 for 8×8 — the same with any tie-breaking rule), a known weakness of the
  // heuristic on grids. The orders equal the from-scratch reference exactly.
  for (int L = 3; L <= 8; ++L) {
    const Graph g = lattice(L, L);
    const EliminationOrder o = min_fill_order(g, all_variables(g), kNoLimit);
    EXPECT_TRUE(o.complete) << L;
    if (L <= 6) {
      EXPECT_EQ(o.induced_width, L) << "L = " << L;
    }
    EXPECT_GE(o.induced_width, L) << "L = " << L;  // the treewidth of the L×L grid is L
    EXPECT_LE(o.induced_width, L + 2) << "L = " << L;
    EXPECT_EQ(o.largest_table, std::int64_t{1} << (o.induced_width + 1)) << L;
    expect_permutation(o.order, all_variables(g));
    const EliminationOrder reference = naive_min_fill(g);
    EXPECT_EQ(o.order, reference.order) << "L = " << L;
    EXPECT_EQ(o.induced_width, reference.induced_width) << "L = " << L;
  }
}

TEST(MinFill, MatchesTheFromScratchDefinitionOnRandomGraphs) {
  // Random graphs of varied density and cardinality: the incremental fill bookkeeping, the
  // bucketed queue (fills beyond its buckets included) and the adjacency pool must reproduce
  // min-fill exactly.
  std::mt19937 rng(12345);
  for (int trial = 0; trial < 60; ++trial) {
    const Graph g = random_graph(rng);
    const EliminationOrder o = min_fill_order(g, all_variables(g), kNoLimit);
    const EliminationOrder reference = naive_min_fill(g);
    ASSERT_TRUE(o.complete);
    expect_same(o, reference,
                "trial " + std::to_string(trial) + ", n = " + std::to_string(g.num_variables()));
  }
}

TEST(MinFill, ChainIsEliminatedFromTheEndsWithTiesBrokenById) {
  // Ends have fill 0; the middle has fill 1. Ties (fill, degree) go to the smaller id.
  const Graph g = graph_from_edges(4, {{0, 1}, {1, 2}, {2, 3}});
  const EliminationOrder o = min_fill_order(g, all_variables(g), kNoLimit);
  EXPECT_TRUE(o.complete);
  EXPECT_THAT(o.order, ElementsAre(0, 1, 2, 3));
  EXPECT_EQ(o.induced_width, 1);
  EXPECT_EQ(o.largest_table, 4);
}

TEST(MinFill, DegreeBreaksFillTies) {
  // A star 1–{0, 2, 3} and an isolated 4: the isolated vertex (fill 0, degree 0) goes first,
  // then leaves (fill 0, degree 1) by id while the centre has fill > 0; once only 1–3 is left
  // both ends tie and the smaller id wins.
  const Graph g = graph_from_edges(5, {{1, 0}, {1, 2}, {1, 3}});
  const EliminationOrder o = min_fill_order(g, all_variables(g), kNoLimit);
  EXPECT_TRUE(o.complete);
  EXPECT_THAT(o.order, ElementsAre(4, 0, 2, 1, 3));
  EXPECT_EQ(o.induced_width, 1);
}

TEST(MinFill, CliqueAndCycle) {
  std::vector<std::pair<std::int32_t, std::int32_t>> k6, c8;
  for (int a = 0; a < 6; ++a)
    for (int b = a + 1; b < 6; ++b) k6.emplace_back(a, b);
  for (int a = 0; a < 8; ++a) c8.emplace_back(a, (a + 1) % 8);
  const Graph clique = graph_from_edges(6, k6);
  EXPECT_EQ(min_fill_order(clique, all_variables(clique), kNoLimit).induced_width, 5);
  const Graph cycle = graph_from_edges(8, c8);
  const EliminationOrder o = min_fill_order(cycle, all_variables(cycle), kNoLimit);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.induced_width, 2);
}

TEST(MinFill, MixedCardinalitiesGiveTableSizes) {
  const Graph g = graph_from_edges(3, {{0, 1}, {1, 2}}, {2, 3, 4});
  const EliminationOrder o = min_fill_order(g, all_variables(g), kNoLimit);
  EXPECT_THAT(o.order, ElementsAre(0, 1, 2));
  EXPECT_EQ(o.largest_table, 12);  // {1, 2}: 3·4
  EXPECT_EQ(o.induced_width, 1);
}

TEST(MinFill, RestrictedToASubset) {
  // Removing the middle row of a 5×5 grid leaves two independent 2×5 strips: width 2.
  const Graph g = lattice(5, 5);
  std::vector<std::int32_t> subset;
  for (std::int32_t v = 0; v < 25; ++v)
    if (v / 5 != 2) subset.push_back(v);
  const EliminationOrder o = min_fill_order(g, subset, kNoLimit);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.induced_width, 2);
  expect_permutation(o.order, subset);
  // No variables: trivially complete.
  const EliminationOrder empty = min_fill_order(g, std::vector<std::int32_t>{}, kNoLimit);
  EXPECT_TRUE(empty.complete);
  EXPECT_TRUE(empty.order.empty());
  EXPECT_EQ(empty.induced_width, 0);
}

TEST(MinFill, StopsAtTheTableLimit) {
  const Graph g = lattice(8, 8);  // min-fill width 10: tables of 2^11
  const EliminationOrder o = min_fill_order(g, all_variables(g), 1 << 6);
  EXPECT_FALSE(o.complete);
  EXPECT_GT(o.largest_table, 1 << 6);
  EXPECT_EQ(o.largest_table, std::int64_t{1} << (o.induced_width + 1));
  EXPECT_LT(o.order.size(), 64u);
  // The same limit as a width cap.
  const EliminationOrder w = min_fill_order(g, 5);
  EXPECT_FALSE(w.complete);
  EXPECT_GT(w.induced_width, 5);
  EXPECT_TRUE(min_fill_order(g, 10).complete);  // min-fill's width on 8×8
}

TEST(MinFill, DenseGraphIsRefusedAtOnce) {
  // Every vertex of K_40 has a clique table of 2^40 from the start.
  std::vector<std::pair<std::int32_t, std::int32_t>> edges;
  for (int a = 0; a < 40; ++a)
    for (int b = a + 1; b < 40; ++b) edges.emplace_back(a, b);
  const Graph g = graph_from_edges(40, edges);
  const EliminationOrder o = min_fill_order(g, all_variables(g), 1 << 20);
  EXPECT_FALSE(o.complete);
  EXPECT_TRUE(o.order.empty());
  EXPECT_EQ(o.induced_width, 39);
  EXPECT_EQ(o.largest_table, std::int64_t{1} << 40);
}

// Timings of the 1000×1000 lattice live in tools/bench (dgm_bench_compile); here a 300×300
// lattice checks that the search stops at its limit instead of triangulating the whole graph.
TEST(MinFill, LargeLatticeIsAbandonedAtTheLimit) {
  const Graph g = lattice(300, 300);
  const EliminationOrder o = min_fill_order(g, all_variables(g), std::int64_t{1} << 16);
  EXPECT_FALSE(o.complete);
  EXPECT_GE(o.induced_width, 16);
  EXPECT_GT(o.largest_table, std::int64_t{1} << 16);
  EXPECT_LT(o.order.size(), 300u * 300u);
}

TEST(MinFill, OverflowingTablesSaturate) {
  const Graph g = graph_from_edges(3, {{0, 1}, {1, 2}, {0, 2}}, {1 << 30, 1 << 30, 1 << 30});
  const EliminationOrder limited = min_fill_order(g, all_variables(g), std::int64_t{1} << 40);
  EXPECT_FALSE(limited.complete);
  EXPECT_EQ(limited.largest_table, kNoLimit);
  const EliminationOrder unlimited = min_fill_order(g, all_variables(g), kNoLimit);
  EXPECT_TRUE(unlimited.complete);
  EXPECT_EQ(unlimited.induced_width, 2);
}

TEST(MinFill, RejectsBadVariableLists) {
  const Graph g = lattice(2, 2);
  EXPECT_THROW(min_fill_order(g, std::vector<std::int32_t>{0, 4}, kNoLimit), Error);
  EXPECT_THROW(min_fill_order(g, std::vector<std::int32_t>{1, 1}, kNoLimit), Error);
}

TEST(MinFill, WidthLimitToTableLimit) {
  const Graph binary = lattice(2, 2);
  EXPECT_EQ(width_limit_to_table_limit(binary, 3), 16);
  EXPECT_EQ(width_limit_to_table_limit(binary, 100), kNoLimit);
  const Graph mixed = graph_from_edges(2, {{0, 1}}, {2, 3});
  EXPECT_EQ(width_limit_to_table_limit(mixed, 1), 9);
}

TEST(Heuristics, MatchTheFromScratchDefinitionsOnRandomGraphs) {
  // Min-degree and the natural order share min-fill's elimination graph but not its fill
  // bookkeeping; each must reproduce its definition exactly.
  std::mt19937 rng(2024);
  for (int trial = 0; trial < 60; ++trial) {
    const Graph g = random_graph(rng);
    for (OrderHeuristic h : {OrderHeuristic::kMinDegree, OrderHeuristic::kNatural}) {
      const EliminationOrder o = elimination_order(h, g, all_variables(g), kNoLimit);
      expect_same(o, naive_order(g, h),
                  std::string(heuristic_name(h)) + ", trial " + std::to_string(trial));
    }
  }
}

TEST(Heuristics, MatchTheDefinitionsOnLargerSparseGraphs) {
  // Long elimination runs in which adjacency lists outgrow their slots many times over, so
  // the pool reuses free slots and compacts itself.
  std::mt19937 rng(99);
  for (int trial = 0; trial < 12; ++trial) {
    const Graph g = random_graph(rng, 150, 0.01, 0.05);
    for (OrderHeuristic h :
         {OrderHeuristic::kMinFill, OrderHeuristic::kMinDegree, OrderHeuristic::kNatural}) {
      const EliminationOrder o = elimination_order(h, g, all_variables(g), kNoLimit);
      expect_same(o, naive_order(g, h),
                  std::string(heuristic_name(h)) + ", trial " + std::to_string(trial));
    }
  }
}

TEST(Heuristics, NaturalOrderIsByIdWhateverTheListOrder) {
  const Graph g = lattice(3, 3);
  const EliminationOrder o = elimination_order(OrderHeuristic::kNatural, g,
                                               std::vector<std::int32_t>{8, 2, 5, 0}, kNoLimit);
  EXPECT_TRUE(o.complete);
  EXPECT_THAT(o.order, ElementsAre(0, 2, 5, 8));
  EXPECT_EQ(o.induced_width, 1);  // 2–5 and 5–8 are edges; 0 is isolated in the subset
  EXPECT_EQ(o.heuristic, OrderHeuristic::kNatural);
}

TEST(Heuristics, Names) {
  EXPECT_EQ(heuristic_name(OrderHeuristic::kMinFill), "min-fill");
  EXPECT_EQ(heuristic_name(OrderHeuristic::kMinDegree), "min-degree");
  EXPECT_EQ(heuristic_name(OrderHeuristic::kNatural), "natural");
  EXPECT_EQ(min_fill_order(lattice(2, 2), 10).heuristic, OrderHeuristic::kMinFill);
}

TEST(BestOrder, SquareGridsHaveWidthL) {
  // The treewidth of the L×L grid is L; the row-by-row (natural) sweep attains it where
  // min-fill alone gives 8 on 7×7, 10 on 8×8 and 16 on 12×12.
  for (int L = 3; L <= 12; ++L) {
    const Graph g = lattice(L, L);
    const EliminationOrder o = best_elimination_order(g, all_variables(g), kNoLimit);
    ASSERT_TRUE(o.complete) << L;
    EXPECT_EQ(o.induced_width, L) << "L = " << L;
    EXPECT_EQ(o.largest_table, std::int64_t{1} << (L + 1)) << "L = " << L;
    expect_permutation(o.order, all_variables(g));
    EXPECT_EQ(best_elimination_order(g, 100).induced_width, L) << "L = " << L;
  }
  const Graph g12 = lattice(12, 12);
  EXPECT_EQ(min_fill_order(g12, 100).induced_width, 16);
  EXPECT_EQ(best_elimination_order(g12, 100).heuristic, OrderHeuristic::kNatural);
}

TEST(BestOrder, PeriodicTorusIsWithinTwiceL) {
  // Cutting the L×L torus open along a row leaves an L×L-like strip whose frontier holds two
  // rows: width at most 2L (and at least L, the treewidth of the grid it contains).
  for (int L = 3; L <= 12; ++L) {
    const Graph g = lattice(L, L, /*periodic=*/true);
    ASSERT_EQ(g.neighbours.size(), 4u * L * L);
    const EliminationOrder o = best_elimination_order(g, all_variables(g), kNoLimit);
    ASSERT_TRUE(o.complete) << L;
    EXPECT_LE(o.induced_width, 2 * L) << "L = " << L;
    EXPECT_GE(o.induced_width, L) << "L = " << L;
    expect_permutation(o.order, all_variables(g));
  }
}

// The best of the heuristics run one by one, by the documented rules.
EliminationOrder best_one_by_one(const Graph& g, std::span<const std::int32_t> variables,
                                 std::int64_t max_table, int max_width) {
  EliminationOrder best;
  bool first = true;
  for (OrderHeuristic h :
       {OrderHeuristic::kMinFill, OrderHeuristic::kMinDegree, OrderHeuristic::kNatural}) {
    EliminationOrder o = elimination_order(h, g, variables, max_table, max_width);
    const bool better = first || (o.complete != best.complete
                                      ? o.complete
                                      : std::pair{o.largest_table, o.induced_width} <
                                            std::pair{best.largest_table, best.induced_width});
    if (better) best = std::move(o);
    first = false;
  }
  return best;
}

TEST(BestOrder, IsTheBestOfTheHeuristicsAndNeverWorseThanMinFill) {
  // With and without limits: stopping a candidate once it cannot beat a completed one must
  // not change the answer.
  std::mt19937 rng(777);
  for (int trial = 0; trial < 200; ++trial) {
    const Graph g = random_graph(rng);
    const std::vector<std::int32_t> all = all_variables(g);
    const std::int64_t max_table = trial % 2 == 0 ? kNoLimit : std::int64_t{1} << (3 + rng() % 14);
    const int max_width = trial % 3 == 0 ? 3 + static_cast<int>(rng() % 10) : 1000;
    const std::string what = "trial " + std::to_string(trial);
    const EliminationOrder best = best_elimination_order(g, all, max_table, max_width);
    expect_same(best, best_one_by_one(g, all, max_table, max_width), what);
    const EliminationOrder min_fill = min_fill_order(g, all, max_table, max_width);
    if (min_fill.complete) {
      ASSERT_TRUE(best.complete) << what;
      EXPECT_LE(best.largest_table, min_fill.largest_table) << what;
      if (best.largest_table == min_fill.largest_table) {
        EXPECT_LE(best.induced_width, min_fill.induced_width) << what;
      }
    }
    if (best.complete) expect_permutation(best.order, all);
  }
}

TEST(BestOrder, ACompletingOrderBeatsAStoppedOne) {
  const Graph g = lattice(8, 8);  // min-fill width 10, natural width 8
  const std::int64_t limit = std::int64_t{1} << 9;
  EXPECT_FALSE(min_fill_order(g, all_variables(g), limit).complete);
  const EliminationOrder o = best_elimination_order(g, all_variables(g), limit);
  EXPECT_TRUE(o.complete);
  EXPECT_EQ(o.heuristic, OrderHeuristic::kNatural);
  EXPECT_EQ(o.induced_width, 8);
  EXPECT_FALSE(min_fill_order(g, 9).complete);
  EXPECT_TRUE(best_elimination_order(g, 8).complete);
  // Nothing fits: the stopped search with the smallest clique is reported.
  const EliminationOrder none = best_elimination_order(g, all_variables(g), 1 << 6);
  EXPECT_FALSE(none.complete);
  EXPECT_EQ(none.largest_table, 1 << 7);
}

TEST(BestOrder, TiesGoToMinFill) {
  // On a chain every heuristic has width 1 and tables of 4.
  const Graph g = graph_from_edges(5, {{0, 1}, {1, 2}, {2, 3}, {3, 4}});
  const EliminationOrder o = best_elimination_order(g, all_variables(g), kNoLimit);
  EXPECT_EQ(o.heuristic, OrderHeuristic::kMinFill);
  EXPECT_EQ(o.order, min_fill_order(g, all_variables(g), kNoLimit).order);
  EXPECT_EQ(o.induced_width, 1);
  // No variables.
  const EliminationOrder empty = best_elimination_order(g, std::vector<std::int32_t>{}, kNoLimit);
  EXPECT_TRUE(empty.complete);
  EXPECT_TRUE(empty.order.empty());
}

TEST(BestOrder, RejectsBadVariableLists) {
  const Graph g = lattice(2, 2);
  EXPECT_THROW(best_elimination_order(g, std::vector<std::int32_t>{0, 4}, kNoLimit), Error);
  EXPECT_THROW(best_elimination_order(g, std::vector<std::int32_t>{1, 1}, kNoLimit), Error);
  EXPECT_THROW(
      elimination_order(OrderHeuristic::kNatural, g, std::vector<std::int32_t>{-1}, kNoLimit),
      Error);
}

TEST(BestOrder, LargeLatticeIsAbandonedAtTheLimit) {
  for (const bool periodic : {false, true}) {
    const Graph g = lattice(300, 300, periodic);
    const EliminationOrder o =
        periodic ? best_elimination_order(g, all_variables(g), kNoLimit, 24)
                 : best_elimination_order(g, all_variables(g), std::int64_t{1} << 16);
    EXPECT_FALSE(o.complete) << periodic;
    if (periodic) {
      EXPECT_GT(o.induced_width, 24);
    } else {
      EXPECT_GT(o.largest_table, std::int64_t{1} << 16);
    }
  }
}

}  // namespace
}  // namespace dgm::engine
