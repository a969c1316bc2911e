#pragma once
// The factor-to-variable updates of BP over a batch of independent problems ("lanes"): every
// array is laid out [entry][lane], so each kernel's inner loop runs over the lanes with the
// factor's numbers and indices loaded once (PMP's batch of samples vectorises this way).
//
// An update reads the beliefs b_v = unary_v + Σ_{g∋v} m_{g→v} (a snapshot taken before the
// iteration) and the factor's own current messages, forms the variable-to-factor messages
// m_{v→f} = b_v − m_{f→v}, computes the new factor-to-variable messages with the kind's kernel
// (factors/messages.h; the coupling kernels below), damps them and writes them in place.
// Reading only the snapshot and the factor's own messages makes a flooding iteration safe
// to run on all factors at once, whatever the partition into tasks.
#include <cstdint>

#include "inference/bp/message_graph.h"

namespace dgm::inference::bp {

// Views of one BP state (owned by BeliefPropagation).
struct MessageState {
  const MessageGraph* graph = nullptr;
  std::int32_t lanes = 1;
  double* messages = nullptr;       // num_entries() × lanes
  const double* beliefs = nullptr;  // var_offset[N] × lanes
  const double* unary = nullptr;    // var_offset[N] × lanes
  // Full mode: the beliefs' parts, for m_{v→f} where m_{f→v} = −inf (b − (−inf) is NaN):
  // the sum of the finite terms (unary included) and how many terms are −inf.
  const double* finite_sum = nullptr;   // var_offset[N] × lanes
  const double* num_neg_inf = nullptr;  // var_offset[N] × lanes
  // Full mode, per lane: finite message entries are kept ≥ −message_floor[lane] after
  // normalisation (BeliefPropagation::update_message_floor); −inf stays −inf.
  const double* message_floor = nullptr;  // lanes
};

struct UpdateSettings {
  double damping = 0.5;
  double temperature = 1.0;
};

// Updates factors [begin, end) (indices within the block) and returns the largest change of
// a message entry (0 when nothing changed, +inf when an entry became −inf).
double update_factors(const MessageState& state, const UpdateBlock& update, std::int64_t begin,
                      std::int64_t end, const UpdateSettings& settings);

// The largest change the update of factor r would make, without writing (residual BP).
double factor_residual(const MessageState& state, const UpdateBlock& update, std::int64_t r,
                       const UpdateSettings& settings);

// Full mode: the variable-to-factor message of edge e (variable v) in `lane`, entry k:
// b_v(k) − m_{f→v}(k), or, where m_{f→v}(k) = −inf, the sum of the other terms (finite when
// that message is the only −inf term, else −inf). O(1), from the snapshot only.
double variable_to_factor(const MessageState& state, std::int32_t v, std::int64_t e, std::int64_t k,
                          std::int32_t lane);

}  // namespace dgm::inference::bp
