#include "inference/bp/bp_inference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>

#include "engine/log_potential.h"
#include "inference/bp/bethe.h"

namespace dgm::inference::bp {

BpMarginals bp_marginals(const engine::CompiledModel& model, const BpParams& params,
                         const BpObserver& observer) {
  validate(params);
  BeliefPropagation bp(build_message_graph(model, params.generic_only), 1);
  BpMarginals result;
  result.mode = bp.graph().mode;
  result.status = bp.run(params, observer);
  const engine::Graph& g = *model.graph;
  result.marginals.assign(g.state_offset.back(), 0.0);
  std::vector<double> belief;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    belief.resize(g.cardinality[v]);
    bp.log_belief(v, 0, belief, true);
    for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
      result.marginals[g.state_offset[v] + k] = std::exp(belief[k]);
    }
  }
  result.log_z =
      params.temperature == 1.0 ? bethe_log_z(bp, 0) : std::numeric_limits<double>::quiet_NaN();
  return result;
}

namespace {

// Variables whose max-marginals tie (the two best states within `tolerance`), lowest id first.
std::int32_t first_tied_variable(const BeliefPropagation& bp, std::span<const std::uint8_t> fixed,
                                 double tolerance) {
  const engine::Graph& g = *bp.graph().graph;
  std::vector<double> belief;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    if (fixed[v]) continue;
    belief.resize(g.cardinality[v]);
    bp.log_belief(v, 0, belief, false);  // max-normalised: the best state is at 0
    int at_top = 0;
    for (const double b : belief) at_top += b >= -tolerance;
    if (at_top > 1) return v;
  }
  return -1;
}

}  // namespace

BpMap bp_map(const engine::CompiledModel& model, const BpParams& params,
             const BpObserver& observer) {
  validate(params);
  BeliefPropagation bp(build_message_graph(model, params.generic_only), 1);
  BpMap result;
  result.mode = bp.graph().mode;
  result.status = bp.run(params, observer);
  const engine::Graph& g = *model.graph;
  result.state.resize(g.num_variables());
  bp.decode(0, result.state);
  // Decimation on ties: max-marginals that tie (symmetric models, several optima) make
  // independent argmax decisions inconsistent. Clamp the first tied variable to its decoded
  // state, continue max-product, decode again; at most 64 rounds.
  if (params.temperature == 0.0 && params.decimate_ties && !result.status.interrupted &&
      result.status.contradiction_variable < 0) {
    std::vector<std::uint8_t> fixed(g.num_variables(), 0);
    const double tolerance = std::max(params.tolerance, 1e-9);
    for (int round = 0; round < 64; ++round) {
      const std::int32_t v = first_tied_variable(bp, fixed, tolerance);
      if (v < 0) break;
      fixed[v] = 1;
      bp.clamp(v, result.state[v], 0);
      const BpStatus status = bp.run(params, observer);
      ++result.decimation_rounds;
      bp.decode(0, result.state);
      if (status.interrupted) break;
    }
  }
  result.log_potential = engine::total_log_potential(model, result.state);
  if (result.log_potential == -std::numeric_limits<double>::infinity()) {
    result.violation = engine::zero_probability_reason(model, result.state);
  }
  return result;
}

std::string describe(const BpStatus& status, const BpParams& params, const engine::Graph& graph) {
  std::ostringstream out;
  out.precision(3);
  if (status.converged) {
    out << "converged after " << status.iterations
        << (status.iterations == 1 ? " iteration" : " iterations") << " (largest message change "
        << status.max_change << " < tolerance " << params.tolerance << ")";
  } else if (status.interrupted) {
    out << "interrupted after " << status.iterations << " iterations (largest message change "
        << status.max_change << ")";
  } else if (params.tolerance == 0.0) {
    out << "ran " << status.iterations
        << " iterations (largest message change in the last: " << status.max_change << ")";
  } else {
    out << "did not converge in " << status.iterations << " iterations: the largest message "
        << "change is " << status.max_change << " (tolerance " << params.tolerance << ")";
    if (status.oscillating) {
      out << "; it is not decreasing: the messages oscillate"
          << (params.damping < 0.5 ? " (try damping 0.5 or more)" : " (try more damping)");
    }
  }
  if (status.contradiction_variable >= 0) {
    out << "; variable " << graph.variable_name(status.contradiction_variable)
        << " has no possible state: the evidence contradicts the hard constraints";
  }
  return out.str();
}

}  // namespace dgm::inference::bp
