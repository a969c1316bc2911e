#include "factors/factor_kind.h"

namespace dgm::factors {

std::string_view kind_name(FactorKind kind) {
  switch (kind) {
    case FactorKind::kUnary:
      return "unary";
    case FactorKind::kPairwise:
      return "pairwise";
    case FactorKind::kTable:
      return "table";
    case FactorKind::kEnumeration:
      return "enumeration";
    case FactorKind::kOr:
      return "logical_or";
    case FactorKind::kAnd:
      return "logical_and";
    case FactorKind::kBipartite:
      return "bipartite";
  }
  return "?";
}

std::string_view potential_name(Potential potential) {
  switch (potential) {
    case Potential::kNone:
      return "none";
    case Potential::kTable:
      return "table";
    case Potential::kLogOdds:
      return "log-odds";
    case Potential::kSpin:
      return "spin";
    case Potential::kPotts:
      return "potts";
    case Potential::kEnumerated:
      return "enumerated";
  }
  return "?";
}

std::string_view declared_kind_name(FactorKind kind, Potential potential) {
  if (kind == FactorKind::kPairwise && potential == Potential::kSpin) return "ising";
  if (kind == FactorKind::kPairwise && potential == Potential::kPotts) return "potts";
  return kind_name(kind);
}

}  // namespace dgm::factors
