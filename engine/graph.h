#pragma once
// The compiled model structure (the IR every backend reads). Flat arrays throughout:
//   * variables: cardinality and state offsets per variable, grouped as declared;
//   * factors: numbered 0..F−1, one contiguous block per factor group (FactorBlock), each
//     factor's block index, scopes in CSR form (factor_offsets / factor_vars);
//   * the reverse adjacency variable → factors in CSR form, with each variable's position
//     (slot) in the factor's scope;
//   * the interaction graph (variables sharing a factor) in CSR form, sorted and deduplicated;
//   * the graph analyses computed once at compile time.
// A Graph is immutable after compilation and shared read-only across threads.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "factors/factor_block.h"

namespace dgm::engine {

struct VariableGroupInfo {
  std::string name;
  std::vector<std::int64_t> shape;  // empty = one variable
  std::int32_t cardinality = 2;
  std::int32_t first = 0;  // variable ids [first, first + size)
  std::int32_t size = 0;
  std::vector<std::string> state_names;  // empty or `cardinality` names
};

// Results of the graph analyses (Boost.Graph), done once when the model is compiled.
struct GraphAnalysis {
  std::vector<std::int32_t> colour;  // proper vertex colouring of the interaction graph
  std::int32_t num_colours = 0;
  std::vector<std::int32_t> component;  // connected component of each variable
  std::int32_t num_components = 0;
  bool bipartite = false;
  std::vector<std::uint8_t> side;    // bipartition (0/1) when bipartite
  bool forest = false;               // interaction graph has no cycle (BP is exact there)
  bool factor_graph_forest = false;  // the factor graph itself has no cycle
};

struct Graph {
  // --- variables ---
  std::vector<VariableGroupInfo> groups;
  std::vector<std::int32_t> cardinality;   // per variable
  std::vector<std::int64_t> state_offset;  // size N+1: prefix sums of cardinality

  // --- factors ---
  std::vector<factors::FactorBlock> blocks;  // one per factor group, in declaration order
  std::vector<std::int32_t> factor_block;    // per factor: the index of its block in `blocks`
  std::vector<std::int64_t> factor_offsets;  // size F+1
  std::vector<std::int32_t> factor_vars;     // scope of factor f: [offsets[f], offsets[f+1])
  std::vector<std::int32_t> enum_configs;    // rows of enumeration factors, all blocks
  double log_constant = 0.0;                 // zero-arity factors

  // --- variable → factor adjacency ---
  std::vector<std::int64_t> var_factor_offsets;  // size N+1
  std::vector<std::int32_t> var_factors;         // factor ids
  std::vector<std::int32_t> var_slots;           // position of the variable in that scope

  // --- interaction graph (variables sharing at least one factor) ---
  std::vector<std::int64_t> neighbour_offsets;  // size N+1
  std::vector<std::int32_t> neighbours;         // sorted, no duplicates, no self loops

  GraphAnalysis analysis;

  std::int32_t num_variables() const { return static_cast<std::int32_t>(cardinality.size()); }
  std::int64_t num_factors() const {
    return factor_offsets.empty() ? 0 : static_cast<std::int64_t>(factor_offsets.size()) - 1;
  }
  std::span<const std::int32_t> scope(std::int64_t f) const {
    return {factor_vars.data() + factor_offsets[f],
            static_cast<std::size_t>(factor_offsets[f + 1] - factor_offsets[f])};
  }
  std::span<const std::int32_t> factors_of(std::int32_t v) const {
    return {var_factors.data() + var_factor_offsets[v],
            static_cast<std::size_t>(var_factor_offsets[v + 1] - var_factor_offsets[v])};
  }
  std::span<const std::int32_t> slots_of(std::int32_t v) const {
    return {var_slots.data() + var_factor_offsets[v],
            static_cast<std::size_t>(var_factor_offsets[v + 1] - var_factor_offsets[v])};
  }
  std::span<const std::int32_t> neighbours_of(std::int32_t v) const {
    return {neighbours.data() + neighbour_offsets[v],
            static_cast<std::size_t>(neighbour_offsets[v + 1] - neighbour_offsets[v])};
  }

  // The block that factor f belongs to, and its index in `blocks`: the one factor → block map
  // (backends index their per-block dispatch tables with block_index).
  std::int32_t block_index(std::int64_t f) const { return factor_block[f]; }
  const factors::FactorBlock& block_of(std::int64_t f) const { return blocks[factor_block[f]]; }
  // Index of the group of variable v.
  int group_of(std::int32_t v) const;
  // "s[3,4]" (multi-index in the group's shape), or "s" for a scalar group.
  std::string variable_name(std::int32_t v) const;
  // Cardinalities of the scope of factor f.
  std::vector<std::int32_t> scope_cards(std::int64_t f) const;
  // Bytes held by the IR's arrays (not counting parameter values).
  std::size_t memory_bytes() const;
};

}  // namespace dgm::engine
