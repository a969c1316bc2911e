// dgm::exact, dgm::bp_marginals, dgm::bp_map: the public results of inference/exact and
// inference/bp, copied into plain structs.
#include "dgm/inference.h"

#include "api/model_impl.h"
#include "inference/bp/bp_inference.h"
#include "inference/bp/bp_params.h"
#include "inference/exact/junction_tree.h"

namespace dgm {

namespace {

BpStatus status_of(const inference::bp::BpStatus& s, const inference::bp::BpParams& params,
                   const engine::Graph& graph) {
  BpStatus out;
  out.iterations = s.iterations;
  out.max_change = s.max_change;
  out.converged = s.converged;
  out.oscillating = s.oscillating;
  out.description = inference::bp::describe(s, params, graph);
  return out;
}

}  // namespace

ExactResult exact(const Model& model, const ExactOptions& options) {
  inference::ExactOptions o;
  o.max_table_entries = options.max_table_entries;
  o.log_z = options.log_z;
  o.marginals = options.marginals;
  o.map = options.map;
  inference::ExactResult r = inference::exact_inference(ModelAccess::compiled(model), o);
  ExactResult out;
  out.log_z = r.log_z;
  out.marginals = std::move(r.marginals);
  out.map_state = std::move(r.map_state);
  out.map_log_potential = r.map_log_potential;
  out.induced_width = r.induced_width;
  out.largest_table = r.largest_table;
  return out;
}

double exact_log_z(const Model& model) {
  return inference::exact_log_z(ModelAccess::compiled(model));
}

BpMarginalsResult bp_marginals(const Model& model, const proto::BeliefPropagationConfig& config) {
  const engine::CompiledModel& m = ModelAccess::compiled(model);
  const auto params = inference::bp::bp_params(config, inference::bp::BpPurpose::kMarginals);
  inference::bp::validate(params);
  inference::bp::BpMarginals r = inference::bp::bp_marginals(m, params);
  BpMarginalsResult out;
  out.marginals = std::move(r.marginals);
  out.log_z = r.log_z;
  out.status = status_of(r.status, params, *m.graph);
  return out;
}

BpMapResult bp_map(const Model& model, const proto::BeliefPropagationConfig& config) {
  const engine::CompiledModel& m = ModelAccess::compiled(model);
  const auto params = inference::bp::bp_params(config, inference::bp::BpPurpose::kMap);
  inference::bp::validate(params);
  inference::bp::BpMap r = inference::bp::bp_map(m, params);
  BpMapResult out;
  out.state = std::move(r.state);
  out.log_potential = r.log_potential;
  out.violation = std::move(r.violation);
  out.status = status_of(r.status, params, *m.graph);
  return out;
}

}  // namespace dgm
