#include "engine/graph.h"

#include <algorithm>

namespace dgm::engine {

int Graph::group_of(std::int32_t v) const {
  auto it =
      std::upper_bound(groups.begin(), groups.end(), v,
                       [](std::int32_t x, const VariableGroupInfo& g) { return x < g.first; });
  return static_cast<int>(it - groups.begin()) - 1;
}

std::string Graph::variable_name(std::int32_t v) const {
  const VariableGroupInfo& g = groups[group_of(v)];
  if (g.shape.empty()) return g.name;
  std::int64_t index = v - g.first;
  std::vector<std::int64_t> multi(g.shape.size());
  for (std::size_t d = g.shape.size(); d-- > 0;) {
    multi[d] = index % g.shape[d];
    index /= g.shape[d];
  }
  std::string name = g.name + "[";
  for (std::size_t d = 0; d < multi.size(); ++d) {
    if (d > 0) name += ",";
    name += std::to_string(multi[d]);
  }
  return name + "]";
}

std::vector<std::int32_t> Graph::scope_cards(std::int64_t f) const {
  auto s = scope(f);
  std::vector<std::int32_t> cards(s.size());
  for (std::size_t j = 0; j < s.size(); ++j) cards[j] = cardinality[s[j]];
  return cards;
}

namespace {
template <typename T>
std::size_t bytes(const std::vector<T>& v) {
  return v.capacity() * sizeof(T);
}
}  // namespace

std::size_t Graph::memory_bytes() const {
  std::size_t total = bytes(cardinality) + bytes(state_offset) + bytes(factor_block) +
                      bytes(factor_offsets) + bytes(factor_vars) + bytes(enum_configs) +
                      bytes(var_factor_offsets) + bytes(var_factors) + bytes(var_slots) +
                      bytes(neighbour_offsets) + bytes(neighbours) + bytes(analysis.colour) +
                      bytes(analysis.component) + bytes(analysis.side);
  total += blocks.size() * sizeof(factors::FactorBlock);
  return total;
}

}  // namespace dgm::engine
