#pragma once
// A block: the contiguous run of factors one factor group expanded to. All factors of a block
// share a kind, a way of reading parameters and (except logical blocks) an arity and the
// cardinalities of their scope positions, so backends dispatch once per block.
#include <cstdint>
#include <string>
#include <vector>

#include "factors/factor_kind.h"

namespace dgm::factors {

struct FactorBlock {
  std::string name;  // the factor group's name
  FactorKind kind = FactorKind::kTable;
  Potential potential = Potential::kNone;
  std::int64_t first_factor = 0;  // factor ids [first_factor, first_factor + num_factors)
  std::int64_t num_factors = 0;
  // Scope size of every factor, or -1 when it varies (logical factors with explicit scopes).
  std::int32_t arity = 0;
  // Cardinality of each scope position (size arity); empty when arity varies (all binary).
  std::vector<std::int32_t> cards;
  // Entries of one factor's dense table (product of cards); 0 when arity varies.
  std::int64_t table_size = 0;
  // Parameter read by the factors: index in Params, the offset of factor 0's values in the
  // value buffer, and the distance between consecutive factors' values (0 = shared, tied).
  std::int32_t param = -1;
  std::int64_t param_offset = 0;
  std::int64_t param_stride = 0;
  // Enumeration: configurations [config_offset, config_offset + num_configs·arity) of
  // Graph::enum_configs; row-major, one row of `arity` states per configuration.
  std::int64_t config_offset = 0;
  std::int64_t num_configs = 0;
  // Bipartite: the two variable ranges; factor r connects left_begin + r / right_count and
  // right_begin + r % right_count and reads weight param_offset + r.
  std::int32_t left_begin = 0, left_count = 0, right_begin = 0, right_count = 0;

  std::int64_t end_factor() const { return first_factor + num_factors; }
};

// How many parameter values one factor of the block reads, from param_offset + r·param_stride:
// its dense table (kTable), one per listed configuration (kEnumerated), one weight (log-odds,
// spin, Potts), none (logical kinds).
inline std::int64_t values_per_factor(const FactorBlock& block) {
  switch (block.potential) {
    case Potential::kTable:
      return block.table_size;
    case Potential::kEnumerated:
      return block.num_configs;
    case Potential::kLogOdds:
    case Potential::kSpin:
    case Potential::kPotts:
      return 1;
    case Potential::kNone:
      break;
  }
  return 0;
}

}  // namespace dgm::factors
