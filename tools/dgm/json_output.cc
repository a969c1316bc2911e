#include "tools/dgm/json_output.h"

#include <cmath>
#include <vector>

namespace dgm::cli {

Json json_document(const std::string& command, const std::string& model_path) {
  Json j;
  j["schema_version"] = kJsonSchemaVersion;
  j["command"] = command;
  j["model"] = model_path;
  return j;
}

Json number_or_null(double x) {
  if (std::isfinite(x)) return x;
  return nullptr;
}

const char* number_status(double x) {
  if (std::isfinite(x)) return "finite";
  if (std::isnan(x)) return "nan";
  return x > 0 ? "plus_infinity" : "minus_infinity";
}

Json variable_json(const engine::Graph& graph, std::int32_t v) {
  const engine::VariableGroupInfo& group = graph.groups[graph.group_of(v)];
  std::vector<std::int64_t> index(group.shape.size());
  std::int64_t rest = v - group.first;
  for (std::size_t d = group.shape.size(); d-- > 0;) {
    index[d] = rest % group.shape[d];
    rest /= group.shape[d];
  }
  return {{"id", v}, {"group", group.name}, {"index", index}, {"name", graph.variable_name(v)}};
}

Json groups_json(const engine::Graph& graph) {
  Json groups = Json::array();
  for (const engine::VariableGroupInfo& group : graph.groups) {
    groups.push_back(
        {{"name", group.name},
         {"shape", group.shape},
         {"cardinality", group.cardinality},
         {"size", group.size},
         {"first_id", group.first},
         {"state_names", group.state_names.empty() ? Json(nullptr) : Json(group.state_names)}});
  }
  return groups;
}

Json warning_json(const std::string& code, const std::string& message) {
  return {{"code", code}, {"message", message}};
}

std::string sampler_approximation(const std::string& sampler) {
  if (sampler == "pmp")
    return "PMP (perturb-and-MAP with noise on the unaries only) is an approximate sampler, even "
           "on trees";
  if (sampler == "dula")
    return "DULA (unadjusted Langevin, no Metropolis-Hastings correction) is an approximate "
           "sampler for every step size";
  return "";
}

}  // namespace dgm::cli
