#pragma once
// Belief propagation as an inference method: marginals and the Bethe log Z (sum-product),
// and MAP decoding (max-product), for one compiled model with its evidence.
// `dgm marginals|map|logz MODEL --method bp` call these.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/bp/belief_propagation.h"
#include "inference/bp/bp_params.h"

namespace dgm::inference::bp {

struct BpMarginals {
  // P(x_v = k) at state_offset[v] + k (T = 1; at other temperatures the normalised beliefs).
  std::vector<double> marginals;
  // The Bethe estimate (T = 1 only; NaN otherwise).
  double log_z = 0.0;
  BpStatus status;
  MessageMode mode = MessageMode::kFull;
};

BpMarginals bp_marginals(const engine::CompiledModel& model, const BpParams& params,
                         const BpObserver& observer = {});

struct BpMap {
  std::vector<std::int32_t> state;  // argmax of the max-marginals, evidence respected
  double log_potential = 0.0;       // f(state); −inf when it violates a hard factor
  // Empty, or which factor the decoded state still violates after repair (loopy or
  // unconverged max-product need not satisfy every constraint, and repair can fail).
  std::string violation;
  std::int64_t violated_factor = -1;  // its factor id, or −1
  BpStatus status;                    // of the first max-product run
  // Rounds of decimation on tied max-marginals (BpParams::decimate_ties).
  std::int32_t decimation_rounds = 0;
  // Rounds of decimation that repaired a violated hard factor (BpParams::repair_violations).
  std::int32_t repair_rounds = 0;
  MessageMode mode = MessageMode::kFull;
};

BpMap bp_map(const engine::CompiledModel& model, const BpParams& params,
             const BpObserver& observer = {});

// The first factor (by id) under which `x` has log-potential −inf, or −1.
std::int64_t first_violated_factor(const engine::CompiledModel& model,
                                   std::span<const std::int32_t> x);

// The first clamped variable whose state in `x` is not its evidence, or −1. The evidence is
// not a factor, so first_violated_factor does not see it.
std::int32_t first_evidence_violation(const engine::CompiledModel& model,
                                      std::span<const std::int32_t> x);

// Repair by decimation of a max-product decoding that violates a hard factor (as in
// survey-propagation-guided decimation, Braunstein et al. 2005). Loopy or unconverged
// max-product around a hard constraint can end with (nearly) tied max-marginals whose
// independent argmax breaks it (y = z forced, both at b(0) ≈ b(1)). Each round clamps, among
// the variables of the first violated factor not yet in `fixed`, the one whose decision is
// least certain (smallest margin to its runner-up state) to its decoded state, continues
// max-product on lane 0 of `bp` from its current messages, and decodes `x` again; until `x`
// is valid, every variable of the violated factor is fixed, `max_rounds` rounds, or the
// observer stops a run. `fixed` (1 per variable: evidence, earlier decimation) is updated.
struct RepairResult {
  std::int32_t rounds = 0;
  std::int64_t violated_factor = -1;  // the factor x still violates, or −1: repaired
  bool interrupted = false;
};
RepairResult repair_by_decimation(const engine::CompiledModel& model, BeliefPropagation& bp,
                                  const BpParams& params, std::span<std::uint8_t> fixed,
                                  std::span<std::int32_t> x, std::int32_t max_rounds,
                                  const BpObserver& observer = {});

// A one-line description of how a run ended ("converged after 12 iterations (largest
// change 3.1e-07)", "did not converge in 200 iterations: ... oscillating ...").
std::string describe(const BpStatus& status, const BpParams& params, const engine::Graph& graph);

}  // namespace dgm::inference::bp
