#pragma once
// Graph analyses done once at compile time (Boost.Graph on the interaction graph): connected
// components, a proper vertex colouring (colour classes are conditionally independent sets:
// one parallel step of chromatic Gibbs each), bipartiteness (block Gibbs) and forest tests
// (BP is exact on trees).
#include "engine/graph.h"

namespace dgm::engine {

GraphAnalysis analyse_graph(const Graph& graph);

}  // namespace dgm::engine
