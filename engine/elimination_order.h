#pragma once
// Greedy min-fill elimination orders on the interaction graph. The order decides the cost of
// exact inference (variable elimination, junction trees): eliminating a variable builds a
// table over it and its current neighbours, so the largest such table is what exact inference
// must afford. Min-fill (eliminate the variable whose elimination adds the fewest edges among
// its neighbours) is the classical heuristic that does best in practice (Kjærulff 1990,
// "Triangulation of graphs — algorithms giving small total state space"; Koller & Friedman
// 2009, §9.4.3.2).
//
// The search stops as soon as the next clique would exceed a table-size (or width) limit, so
// asking about a model far too wide for exact inference (a 1000×1000 lattice) costs about one
// pass over the graph rather than a full triangulation.
#include <cstdint>
#include <limits>
#include <span>
#include <vector>

#include "engine/graph.h"

namespace dgm::engine {

struct EliminationOrder {
  // Variables in elimination order: every requested variable when `complete`, otherwise the
  // prefix chosen before the search stopped.
  std::vector<std::int32_t> order;
  // Largest clique size − 1 seen, including the clique that stopped the search (so when not
  // `complete`, the min-fill order's width is at least this). 0 when there are no variables.
  int induced_width = 0;
  // Entries of the largest clique table seen (product of the cardinalities of the eliminated
  // variable and its neighbours); saturates at INT64_MAX on overflow. 0 with no variables.
  std::int64_t largest_table = 0;
  // Whether every requested variable was ordered within the limits.
  bool complete = false;
};

// Min-fill order of `variables` (distinct variable ids; the free, non-evidence ones) on the
// interaction graph restricted to them. Ties are broken by smaller current degree, then by
// smaller variable id, so the order is deterministic. The search stops (complete = false) at
// the first chosen variable whose clique table would have more than `max_table_entries`
// entries (a size that overflows int64 counts as INT64_MAX, so INT64_MAX means "no limit") or
// whose clique would have more than `max_induced_width` + 1 variables. Throws dgm::Error if a
// variable id is out of range or repeated.
EliminationOrder min_fill_order(const Graph& graph, std::span<const std::int32_t> variables,
                                std::int64_t max_table_entries,
                                int max_induced_width = std::numeric_limits<int>::max());

// All variables of the graph, stopping once the induced width would exceed
// `max_induced_width` (what `dgm check` reports).
EliminationOrder min_fill_order(const Graph& graph, int max_induced_width);

// The table limit that admits every clique of at most `max_induced_width` + 1 variables:
// (largest cardinality)^(max_induced_width + 1), saturating at INT64_MAX. For models whose
// variables share one cardinality, a table limit of this size stops the search exactly when
// the width exceeds the cap.
std::int64_t width_limit_to_table_limit(const Graph& graph, int max_induced_width);

}  // namespace dgm::engine
