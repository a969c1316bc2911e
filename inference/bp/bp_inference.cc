#include "inference/bp/bp_inference.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <span>
#include <sstream>

#include "engine/log_potential.h"
#include "factors/factor_eval.h"
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
  const bool max_product = params.temperature == 0.0;
  bool stopped = result.status.interrupted || result.status.contradiction_variable >= 0;
  // Variables that decimation may not clamp: the evidence, then those already clamped.
  std::vector<std::uint8_t> fixed(g.num_variables(), 0);
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    fixed[v] = !model.evidence.empty() && model.evidence[v] != engine::kFree;
  }
  // Decimation on ties: max-marginals that tie (symmetric models, several optima) make
  // independent argmax decisions inconsistent. Clamp the first tied variable to its decoded
  // state, continue max-product, decode again; at most 64 rounds.
  if (max_product && params.decimate_ties && !stopped) {
    const double tolerance = std::max(params.tolerance, 1e-9);
    for (int round = 0; round < 64; ++round) {
      const std::int32_t v = first_tied_variable(bp, fixed, tolerance);
      if (v < 0) break;
      fixed[v] = 1;
      bp.clamp(v, result.state[v], 0);
      const BpStatus status = bp.run(params, observer);
      ++result.decimation_rounds;
      bp.decode(0, result.state);
      if (status.interrupted) {
        stopped = true;
        break;
      }
    }
  }
  // Near-ties that the tolerance above does not catch (damped or unconverged messages) can
  // still break a hard factor: repair by decimation on the violated factor's variables. Each
  // round is a whole max-product run, hence the bound.
  if (max_product && params.repair_violations && !stopped &&
      first_violated_factor(model, result.state) >= 0) {
    const std::int32_t max_rounds = std::min<std::int32_t>(g.num_variables(), 256);
    result.repair_rounds =
        repair_by_decimation(model, bp, params, fixed, result.state, max_rounds, observer).rounds;
  }
  result.log_potential = engine::total_log_potential(model, result.state);
  if (result.log_potential == -std::numeric_limits<double>::infinity()) {
    result.violated_factor = first_violated_factor(model, result.state);
    result.violation = engine::zero_probability_reason(model, result.state);
  }
  return result;
}

std::int64_t first_violated_factor(const engine::CompiledModel& model,
                                   std::span<const std::int32_t> x) {
  const engine::Graph& graph = *model.graph;
  std::vector<std::int32_t> scope_states;
  for (const factors::FactorBlock& block : graph.blocks) {
    for (std::int64_t r = 0; r < block.num_factors; ++r) {
      const auto scope = graph.scope(block.first_factor + r);
      scope_states.resize(scope.size());
      for (std::size_t j = 0; j < scope.size(); ++j) scope_states[j] = x[scope[j]];
      if (factors::log_potential(block, r, model.params.values, graph.enum_configs, scope_states) ==
          -std::numeric_limits<double>::infinity()) {
        return block.first_factor + r;
      }
    }
  }
  return -1;
}

std::int32_t first_evidence_violation(const engine::CompiledModel& model,
                                      std::span<const std::int32_t> x) {
  for (std::size_t v = 0; v < model.evidence.size(); ++v) {
    if (model.evidence[v] != engine::kFree && x[v] != model.evidence[v]) {
      return static_cast<std::int32_t>(v);
    }
  }
  return -1;
}

RepairResult repair_by_decimation(const engine::CompiledModel& model, BeliefPropagation& bp,
                                  const BpParams& params, std::span<std::uint8_t> fixed,
                                  std::span<std::int32_t> x, std::int32_t max_rounds,
                                  const BpObserver& observer) {
  const engine::Graph& graph = *model.graph;
  RepairResult result;
  std::vector<double> belief;
  while (result.rounds < max_rounds) {
    const std::int64_t f = first_violated_factor(model, x);
    if (f < 0) return result;
    std::int32_t pick = -1;
    double smallest = std::numeric_limits<double>::infinity();
    for (const std::int32_t v : graph.scope(f)) {
      if (fixed[v]) continue;
      belief.resize(graph.cardinality[v]);
      bp.log_belief(v, 0, belief, false);
      // Margin between the chosen state (max-normalised belief 0) and the runner-up.
      double runner_up = -std::numeric_limits<double>::infinity();
      for (std::int32_t k = 0; k < graph.cardinality[v]; ++k) {
        if (k != x[v]) runner_up = std::max(runner_up, belief[k]);
      }
      const double margin = belief[x[v]] - runner_up;
      if (margin < smallest) {
        smallest = margin;
        pick = v;
      }
    }
    if (pick < 0) {
      result.violated_factor = f;
      return result;
    }
    fixed[pick] = 1;
    bp.clamp(pick, x[pick], 0);
    const BpStatus status = bp.run(params, observer);
    ++result.rounds;
    bp.decode(0, x);
    if (status.interrupted) {
      result.interrupted = true;
      break;
    }
  }
  result.violated_factor = first_violated_factor(model, x);
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
