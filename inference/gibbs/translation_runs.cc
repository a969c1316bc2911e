#include "inference/gibbs/translation_runs.h"

#include <algorithm>

namespace dgm::inference {

namespace {

// Whether w's neighbours are v's shifted by w − v (in the same order).
bool shifted_neighbours(const engine::Graph& graph, std::int32_t v, std::int32_t w) {
  const auto a = graph.neighbours_of(v), b = graph.neighbours_of(w);
  if (a.size() != b.size()) return false;
  const std::int64_t shift = std::int64_t{w} - v;
  for (std::size_t d = 0; d < a.size(); ++d)
    if (std::int64_t{b[d]} - a[d] != shift) return false;
  return true;
}

}  // namespace

std::vector<std::int32_t> translation_runs(const engine::Graph& graph,
                                           std::span<const std::int32_t> sites) {
  const std::size_t n = sites.size();
  std::vector<std::int32_t> length(n, 1);
  // Backwards: the run from i continues the run from i + 1 when i → i + 1 is a translation by
  // the same stride as i + 1 → i + 2 (or when the run from i + 1 is a single site).
  for (std::size_t i = n < 2 ? 0 : n - 1; i-- > 0;) {
    const std::int64_t stride = std::int64_t{sites[i + 1]} - sites[i];
    if (stride <= 0 || !shifted_neighbours(graph, sites[i], sites[i + 1])) continue;
    const bool continues =
        length[i + 1] >= 2 && std::int64_t{sites[i + 2]} - sites[i + 1] == stride;
    length[i] = continues ? std::min(length[i + 1], INT32_MAX - 1) + 1 : 2;
  }
  return length;
}

}  // namespace dgm::inference
