#pragma once
// Runs fn(t) for every tile t in [0, tiles): one oneTBB task per tile, or serially when the
// work is too small to pay for the tasks. Tiles must write disjoint outputs, so the result
// never depends on the number of threads. Used by the blocked matrix products of the RBM
// paths (block Gibbs, the gradient samplers' visible marginal).
#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/partitioner.h>

#include <cstdint>

namespace dgm::engine {

template <class Fn>
void run_tiles(std::int32_t tiles, bool parallel, Fn&& fn) {
  if (!parallel) {
    for (std::int32_t t = 0; t < tiles; ++t) fn(t);
    return;
  }
  tbb::parallel_for(
      tbb::blocked_range<std::int32_t>(0, tiles, 1),
      [&](const tbb::blocked_range<std::int32_t>& r) {
        for (std::int32_t t = r.begin(); t < r.end(); ++t) fn(t);
      },
      tbb::simple_partitioner());
}

}  // namespace dgm::engine
