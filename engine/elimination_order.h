#pragma once
// Elimination orders on the interaction graph. The order decides the cost of exact inference
// (variable elimination, junction trees): eliminating a variable builds a table over it and
// its current neighbours, so the largest such table is what exact inference must afford.
// Finding the best order is NP-hard, so exact inference uses greedy heuristics (Koller &
// Friedman 2009, §9.4.3):
//   * min-fill: eliminate the variable whose elimination adds the fewest edges among its
//     neighbours. The classical heuristic that does best in practice (Kjærulff 1990,
//     "Triangulation of graphs — algorithms giving small total state space"; Koller &
//     Friedman 2009, §9.4.3.2), but greedy: on square grids it loses to the simple sweep
//     below from 7×7 on (width 8 on 7×7, 10 on 8×8, 16 on 12×12, 22 on 16×16, where the
//     treewidth is L).
//   * min-degree (K&F's "min-neighbors"): eliminate the variable with the fewest current
//     neighbours. Cheaper (no fill counts to maintain) and sometimes better than min-fill.
//   * natural order: the variables by increasing id. Model variables are numbered in
//     declaration order, row-major within a group, so on a row-major L×L lattice this is the
//     row-by-row sweep whose cliques are one row plus a site: width L, the grid's treewidth;
//     on chains and sequence models it is the optimal left-to-right sweep.
// No heuristic dominates, so best_elimination_order tries all three and keeps the best.
//
// Every candidate order is evaluated by simulating the elimination, and the simulation stops
// as soon as a clique exceeds a table-size (or width) limit, so asking about a model far too
// wide for exact inference (a 1000×1000 lattice) costs about one pass over the graph per
// heuristic rather than full triangulations.
#include <cstdint>
#include <limits>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "engine/graph.h"

namespace dgm::engine {

// The heuristics, in order of preference when two orders are equally good.
enum class OrderHeuristic { kMinFill, kMinDegree, kNatural };

// "min-fill", "min-degree", "natural".
std::string_view heuristic_name(OrderHeuristic heuristic);

struct EliminationOrder {
  // Variables in elimination order: every requested variable when `complete`, otherwise the
  // prefix chosen before the search stopped.
  std::vector<std::int32_t> order;
  // Largest clique size − 1 seen, including the clique that stopped the search (so when not
  // `complete`, the order's width is at least this). 0 when there are no variables.
  int induced_width = 0;
  // Entries of the largest clique table seen (product of the cardinalities of the eliminated
  // variable and its neighbours); saturates at INT64_MAX on overflow. 0 with no variables.
  std::int64_t largest_table = 0;
  // Whether every requested variable was ordered within the limits.
  bool complete = false;
  // The heuristic that produced the order.
  OrderHeuristic heuristic = OrderHeuristic::kMinFill;
};

// The order of `variables` (distinct variable ids; the free, non-evidence ones) that
// `heuristic` picks on the interaction graph restricted to them. Greedy ties are broken by
// smaller current degree (min-fill only), then by smaller variable id, so orders are
// deterministic. The search stops (complete = false) at the first chosen variable whose clique
// table would have more than `max_table_entries` entries (a size that overflows int64 counts
// as INT64_MAX, so INT64_MAX means "no limit") or whose clique would have more than
// `max_induced_width` + 1 variables. If every variable's clique is too large from the start,
// the search stops before choosing any, reporting the smallest clique. Throws dgm::Error if a
// variable id is out of range or repeated.
EliminationOrder elimination_order(OrderHeuristic heuristic, const Graph& graph,
                                   std::span<const std::int32_t> variables,
                                   std::int64_t max_table_entries,
                                   int max_induced_width = std::numeric_limits<int>::max());

// elimination_order(OrderHeuristic::kMinFill, ...).
EliminationOrder min_fill_order(const Graph& graph, std::span<const std::int32_t> variables,
                                std::int64_t max_table_entries,
                                int max_induced_width = std::numeric_limits<int>::max());

// All variables of the graph by min-fill, stopping once the induced width would exceed
// `max_induced_width`.
EliminationOrder min_fill_order(const Graph& graph, int max_induced_width);

// The best of the min-fill, min-degree and natural orders under the same limits: an order
// that completes within the limits beats one that does not; then the smaller largest clique
// table wins, then the smaller induced width, then the heuristic listed first in
// OrderHeuristic. When none completes, the result is the stopped search with the smallest
// (table, width), by the same rules; its `order` is only that heuristic's prefix. The cheap
// candidates are simulated first, and once one completes the later ones also stop as soon as
// they can no longer beat it, so the cost is at most that of the three searches. Throws
// dgm::Error as elimination_order does.
EliminationOrder best_elimination_order(const Graph& graph, std::span<const std::int32_t> variables,
                                        std::int64_t max_table_entries,
                                        int max_induced_width = std::numeric_limits<int>::max());

// All variables of the graph, the best order stopping once the induced width would exceed
// `max_induced_width`.
EliminationOrder best_elimination_order(const Graph& graph, int max_induced_width);

// The width up to which the searches whose result users see are followed (dgm check's
// default --width-cap, and exact inference's plan): every candidate order runs until it
// completes or passes this width. No affordable order is cut short by it, since a clique of
// 65 binary variables already has 2^65 entries.
inline constexpr int kReportedWidthCap = 64;

// What `order`, the result of best_elimination_order with no table limit and width cap
// `width_cap`, says about the width, in the words dgm check and exact inference both use:
//   complete: "induced width 32 (natural order, the best of the min-fill, min-degree and
//             natural orders; an upper bound on the treewidth)";
//   stopped:  "induced width > 64 (the min-fill, min-degree and natural orders all pass it;
//             a bound on these orders only: the treewidth may be smaller)".
std::string describe_width(const EliminationOrder& order, int width_cap);

// The table limit that admits every clique of at most `max_induced_width` + 1 variables:
// (largest cardinality)^(max_induced_width + 1), saturating at INT64_MAX. For models whose
// variables share one cardinality, a table limit of this size stops the search exactly when
// the width exceeds the cap.
std::int64_t width_limit_to_table_limit(const Graph& graph, int max_induced_width);

}  // namespace dgm::engine
