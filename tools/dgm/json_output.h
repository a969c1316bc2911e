#pragma once
// Pieces of the --format json outputs shared by the commands, as docs/json.md documents them:
// numbers that may be undefined, variables as {group, index}, groups, warnings.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "dgm.h"

namespace dgm::cli {

// Objects keep their fields in the order written (schema_version, command, model first).
using Json = nlohmann::ordered_json;

// Version of the JSON documents (docs/json.md); bumped when a field changes meaning or goes.
inline constexpr int kJsonSchemaVersion = 1;

// {"schema_version": 1, "command": command, "model": path}: the start of every document.
Json json_document(const std::string& command, const std::string& model_path);

// x when finite, null otherwise (JSON has no NaN or infinities; a status field says why).
Json number_or_null(double x);

// "finite", "minus_infinity", "plus_infinity" or "nan".
const char* number_status(double x);

// Variable v: {"id": v, "group": "s", "index": [i, j], "name": "s[i,j]"} (index row-major in
// the group's shape; [] for a group of one variable).
Json variable_json(const engine::Graph& graph, std::int32_t v);

// The variable groups: [{"name", "shape", "cardinality", "size", "first_id", "state_names"}].
Json groups_json(const engine::Graph& graph);

// Why the samples of `sampler` do not follow the model even with unlimited sweeps, or "" for
// samplers that do (the Gibbs family, gwg and dmala, which are MH-corrected).
std::string sampler_approximation(const std::string& sampler);

// {"code": code, "message": message}.
Json warning_json(const std::string& code, const std::string& message);

}  // namespace dgm::cli
