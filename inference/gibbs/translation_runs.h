#pragma once
// Translation runs of a list of sites: stretches sites[i], sites[i + 1], … that step through
// the variable ids by a constant stride s and whose neighbour lists step with them, i.e.
//   sites[i + t] = sites[i] + t·s  and  neighbours_of(sites[i + t])[d] = neighbours_of(sites[i])[d]
//   + t·s
// for every d. A colour class of a lattice (every second site of a row of a checkerboard, every
// site of a row of a 3-D grid's class, …) is made of such runs, broken only at the lattice's
// edges. Along a run the neighbours of site i + t are found from the first site's by
// arithmetic, so the binary fast path (BinaryPairwise::log_odds_run) reads the states without
// the per-site neighbour lists: a third fewer loads per update on a 512×512 Ising lattice.
//
// The runs depend on the structure only (the graph and the list), so they are computed once
// per sampler; whether the sites of a run also share their numbers (the same row of the affine
// form) is the fast path's own check, since numbers can change (refresh_parameters).
#include <cstdint>
#include <span>
#include <vector>

#include "engine/graph.h"

namespace dgm::inference {

// For every i, the length of the longest run that starts at sites[i] (at least 1; runs are
// suffix-closed, so the run from i covers i .. i + length − 1 and any run from inside it ends
// where it ends). Runs have a positive stride.
std::vector<std::int32_t> translation_runs(const engine::Graph& graph,
                                           std::span<const std::int32_t> sites);

}  // namespace dgm::inference
