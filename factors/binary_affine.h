#pragma once
// Binary unary and pairwise factors as affine functions of their variables' states. With
// x ∈ {0, 1} every such factor is exactly
//   unary:     θ(x_a)      = θ(0) + l·x_a                       (l: its log-odds)
//   pairwise:  θ(x_a, x_b) = c + a·x_a + b·x_b + W·x_a·x_b
// so in a model made of them the conditional log-odds of x_v = 1 is b_v + Σ_j W_vj·x_j, b_v
// and W_vj being sums of these contributions. The Gibbs and gradient fast paths
// (inference/model_views/binary_pairwise.h), the RBM biases (inference/model_views/
// rbm_layout.h) and BP's log-ratio messages (inference/bp/message_graph.h) all read them here.
//
// From each parametrisation (factors/potential.h; a at scope position 0, b at 1, s = 2x − 1):
//   unary table [t0, t1]:  l = t1 − t0
//   unary log-odds w:      l = w                      (θ = w·x)
//   unary field h:         l = 2h                     (θ = h·s = 2h·x − h)
//   2×2 table M:           W = M11 − M01 − M10 + M00,  a = M10 − M00,  b = M01 − M00,  c = M00
//   log-odds w:            W = w,  a = b = c = 0      (θ = w·x_a·x_b, bipartite weights)
//   spin J (Ising):        W = 4J,  a = b = −2J,  c = J
//                          (J·s_a·s_b = J·(2x_a − 1)(2x_b − 1))
//   Potts J:               W = 2J,  a = b = −J,  c = J
//                          (J·[x_a = x_b] = J·(x_a·x_b + (1 − x_a)(1 − x_b)))
// Each coefficient is computed in this one order, so every backend gets the same bits.
#include <cstdint>

#include "factors/factor_block.h"
#include "factors/factor_kind.h"

namespace dgm::factors {

// Whether the factors of `block` have the affine form: a dense kind (unary, pairwise, table,
// bipartite) over one or two binary variables, read as a table, log-odds, spin or (pairwise)
// Potts parametrisation.
inline bool has_binary_affine_form(const FactorBlock& block) {
  const bool dense = block.kind == FactorKind::kUnary || block.kind == FactorKind::kPairwise ||
                     block.kind == FactorKind::kTable || block.kind == FactorKind::kBipartite;
  if (!dense || block.arity < 1 || block.arity > 2) return false;
  if (block.cards.size() != static_cast<std::size_t>(block.arity)) return false;
  for (const std::int32_t k : block.cards)
    if (k != 2) return false;
  switch (block.potential) {
    case Potential::kTable:
    case Potential::kLogOdds:
    case Potential::kSpin:
      return true;
    case Potential::kPotts:
      return block.arity == 2;
    case Potential::kNone:
    case Potential::kEnumerated:
      break;
  }
  return false;
}

// l = θ(1) − θ(0) of a binary unary factor whose numbers start at `w`.
inline double unary_log_odds(Potential potential, const double* w) {
  switch (potential) {
    case Potential::kTable:
      return w[1] - w[0];
    case Potential::kLogOdds:
      return w[0];
    case Potential::kSpin:
      return 2.0 * w[0];
    case Potential::kPotts:
    case Potential::kNone:
    case Potential::kEnumerated:
      break;
  }
  return 0.0;
}

// θ(x_a, x_b) = constant + bias_a·x_a + bias_b·x_b + coupling·x_a·x_b.
struct PairwiseAffine {
  double constant = 0.0;
  double bias_a = 0.0;
  double bias_b = 0.0;
  double coupling = 0.0;
};

// The affine form of a binary pairwise factor whose numbers start at `w`.
inline PairwiseAffine pairwise_affine(Potential potential, const double* w) {
  PairwiseAffine f;
  switch (potential) {
    case Potential::kTable:  // M[x_a][x_b] at w[2·x_a + x_b]
      f.constant = w[0];
      f.bias_a = w[2] - w[0];
      f.bias_b = w[1] - w[0];
      f.coupling = w[3] - w[1] - w[2] + w[0];
      break;
    case Potential::kLogOdds:
      f.coupling = w[0];
      break;
    case Potential::kSpin:
      f.constant = w[0];
      f.bias_a = f.bias_b = -2.0 * w[0];
      f.coupling = 4.0 * w[0];
      break;
    case Potential::kPotts:
      f.constant = w[0];
      f.bias_a = f.bias_b = -w[0];
      f.coupling = 2.0 * w[0];
      break;
    case Potential::kNone:
    case Potential::kEnumerated:
      break;
  }
  return f;
}

}  // namespace dgm::factors
