#pragma once
// Belief propagation as an inference method: marginals and the Bethe log Z (sum-product),
// and MAP decoding (max-product), for one compiled model with its evidence.
// `dgm marginals|map|logz MODEL --method bp` call these.
#include <cstdint>
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
  // Empty, or which factor the decoded state violates (loopy max-product need not satisfy
  // every constraint).
  std::string violation;
  BpStatus status;  // of the first max-product run
  // Rounds of decimation on tied max-marginals (BpParams::decimate_ties).
  std::int32_t decimation_rounds = 0;
  MessageMode mode = MessageMode::kFull;
};

BpMap bp_map(const engine::CompiledModel& model, const BpParams& params,
             const BpObserver& observer = {});

// A one-line description of how a run ended ("converged after 12 iterations (largest
// change 3.1e-07)", "did not converge in 200 iterations: ... oscillating ...").
std::string describe(const BpStatus& status, const BpParams& params, const engine::Graph& graph);

}  // namespace dgm::inference::bp
