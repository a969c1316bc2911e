#pragma once
// Parametrisations of dense factors (unary, pairwise, table, bipartite): how the numbers of
// one factor, starting at `w` in the parameter buffer, give θ for a configuration.
//
//   table     θ(x) = w[flat_index(x)]        (last variable fastest, factors/table_layout.h)
//   log-odds  θ(x) = w·Π_j x_j, x ∈ {0, 1}    (unary log-odds, bipartite weights)
//   spin      θ(x) = J·Π_j s_j, s = 2x − 1    (unary field, Ising coupling)
//   Potts     θ(x_a, x_b) = J·[x_a = x_b]
//
// Each is linear in its numbers, θ(x) = Σ_i w_i·φ_i(x), and this file is the one place that
// knows them: θ itself (evaluate_potential), its gradient φ(x) = ∂θ/∂w, which learning needs
// (add_potential_statistics), and θ along one variable, θ(x with x_v = k) for every state k,
// which is the factor's term in v's single-site conditional (the add_*_term functions). The
// affine form of the binary ones is derived in factors/binary_affine.h.
//
// The conditional terms read the states of the other scope positions through `state_at(j)`
// (the state of scope position j ≠ slot), so callers pass them without copying.
#include <cstdint>
#include <span>

#include "factors/factor_kind.h"
#include "factors/table_layout.h"

namespace dgm::factors {

inline double evaluate_potential(Potential potential, const double* w,
                                 std::span<const std::int32_t> cards,
                                 std::span<const std::int32_t> states) {
  switch (potential) {
    case Potential::kTable:
      return w[flat_index(cards, states)];
    case Potential::kLogOdds: {  // w·Π x_j, x ∈ {0, 1}
      for (std::int32_t x : states)
        if (x == 0) return 0.0;
      return w[0];
    }
    case Potential::kSpin: {  // J·Π s_j, s = 2x − 1
      int sign = 1;
      for (std::int32_t x : states)
        if (x == 0) sign = -sign;
      return sign * w[0];
    }
    case Potential::kPotts:
      return states[0] == states[1] ? w[0] : 0.0;
    case Potential::kNone:
    case Potential::kEnumerated:
      break;
  }
  return 0.0;
}

// Adds weight·φ(states) to `phi`, the entries of the factor's numbers (as `w` above).
inline void add_potential_statistics(Potential potential, std::span<const std::int32_t> cards,
                                     std::span<const std::int32_t> states, double weight,
                                     double* phi) {
  switch (potential) {
    case Potential::kTable:
      phi[flat_index(cards, states)] += weight;
      return;
    case Potential::kLogOdds:
      for (std::int32_t x : states)
        if (x == 0) return;
      phi[0] += weight;
      return;
    case Potential::kSpin: {
      int sign = 1;
      for (std::int32_t x : states)
        if (x == 0) sign = -sign;
      phi[0] += sign * weight;
      return;
    }
    case Potential::kPotts:
      if (states[0] == states[1]) phi[0] += weight;
      return;
    case Potential::kNone:
    case Potential::kEnumerated:
      return;
  }
}

// --- The factor's term in the conditional of the variable at scope position `slot`:
// out[k] += θ(x with x_slot = k) for k < out.size().

// Unary table: out[k] += w[k].
inline void add_unary_table_term(const double* w, std::span<double> out) {
  for (std::size_t k = 0; k < out.size(); ++k) out[k] += w[k];
}

// K_0 × K_1 table (second_card = K_1); the other variable is in state `other`.
inline void add_pair_table_term(const double* w, std::int32_t second_card, std::int32_t slot,
                                std::int32_t other, std::span<double> out) {
  if (slot == 0) {
    for (std::size_t k = 0; k < out.size(); ++k) out[k] += w[k * second_card + other];
  } else {
    const double* row = w + static_cast<std::int64_t>(other) * second_card;
    for (std::size_t k = 0; k < out.size(); ++k) out[k] += row[k];
  }
}

// Any table: the entries base + k·step, with base the flat index of the configuration with
// x_slot = 0 and step the stride of the slot (factors/table_layout.h).
inline void add_table_line_term(const double* w, std::int64_t base, std::int64_t step,
                                std::span<double> out) {
  for (std::size_t k = 0; k < out.size(); ++k)
    out[k] += w[base + static_cast<std::int64_t>(k) * step];
}

// Log-odds w·x_slot·Π_{j≠slot} x_j: w for state 1 when every other variable is 1.
template <class StateAt>
inline void add_log_odds_term(double w, std::size_t arity, std::size_t slot, StateAt state_at,
                              std::span<double> out) {
  bool others = true;
  for (std::size_t j = 0; j < arity; ++j) others = others && (j == slot || state_at(j) != 0);
  if (others) out[1] += w;
}

// Spin J·s_slot·Π_{j≠slot} s_j: ∓J·Π_{j≠slot} s_j for states 0 and 1.
template <class StateAt>
inline void add_spin_term(double w, std::size_t arity, std::size_t slot, StateAt state_at,
                          std::span<double> out) {
  double sign = 1.0;
  for (std::size_t j = 0; j < arity; ++j)
    if (j != slot && state_at(j) == 0) sign = -sign;
  out[0] -= sign * w;
  out[1] += sign * w;
}

// Potts J·[x_slot = other]: J for the other variable's state (when the slot has that state).
inline void add_potts_term(double w, std::int32_t other, std::span<double> out) {
  if (other < static_cast<std::int32_t>(out.size())) out[other] += w;
}

}  // namespace dgm::factors
