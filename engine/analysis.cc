#include "engine/analysis.h"

#include <boost/graph/bipartite.hpp>
#include <boost/graph/compressed_sparse_row_graph.hpp>
#include <boost/graph/connected_components.hpp>
#include <boost/graph/sequential_vertex_coloring.hpp>
#include <boost/property_map/property_map.hpp>

namespace dgm::engine {

namespace {

// The interaction graph as a Boost CSR graph; both directions of every edge are stored, so the
// directed algorithms below see the undirected graph.
using CsrGraph =
    boost::compressed_sparse_row_graph<boost::directedS, boost::no_property, boost::no_property,
                                       boost::no_property, std::uint32_t, std::uint64_t>;

CsrGraph to_boost(const Graph& g) {
  const std::int32_t n = g.num_variables();
  std::vector<std::uint32_t> sources(g.neighbours.size());
  for (std::int32_t v = 0; v < n; ++v)
    std::fill(sources.begin() + g.neighbour_offsets[v],
              sources.begin() + g.neighbour_offsets[v + 1], static_cast<std::uint32_t>(v));
  std::vector<std::uint32_t> targets(g.neighbours.begin(), g.neighbours.end());
  return CsrGraph(boost::construct_inplace_from_sources_and_targets, sources, targets,
                  static_cast<std::size_t>(n));
}

}  // namespace

GraphAnalysis analyse_graph(const Graph& g) {
  GraphAnalysis a;
  const std::int32_t n = g.num_variables();
  if (n == 0) return a;
  const CsrGraph bg = to_boost(g);
  auto index = boost::get(boost::vertex_index, bg);

  a.component.assign(n, 0);
  auto component_map = boost::make_iterator_property_map(a.component.begin(), index);
  a.num_components = static_cast<std::int32_t>(boost::connected_components(bg, component_map));

  // Greedy colouring in variable order: on row-major lattices this is the checkerboard (2
  // colours for 4-neighbourhoods), which is what chromatic Gibbs wants.
  a.colour.assign(n, 0);
  auto colour_map = boost::make_iterator_property_map(a.colour.begin(), index);
  a.num_colours = static_cast<std::int32_t>(boost::sequential_vertex_coloring(bg, colour_map));

  std::vector<boost::default_color_type> partition(n);
  auto partition_map = boost::make_iterator_property_map(partition.begin(), index);
  a.bipartite = boost::is_bipartite(bg, index, partition_map);
  if (a.bipartite) {
    a.side.resize(n);
    for (std::int32_t v = 0; v < n; ++v)
      a.side[v] = partition[v] == boost::color_traits<boost::default_color_type>::white() ? 0 : 1;
  }

  // A graph is a forest iff edges = vertices − components.
  const std::int64_t undirected_edges = static_cast<std::int64_t>(g.neighbours.size()) / 2;
  a.forest = undirected_edges == n - a.num_components;
  // The factor graph (variables + factors, an edge per scope entry) is a forest iff
  // scope entries = variables + factors − components (every factor touches a variable).
  a.factor_graph_forest =
      static_cast<std::int64_t>(g.factor_vars.size()) == n + g.num_factors() - a.num_components;
  return a;
}

}  // namespace dgm::engine
