// dgm::Model: the public face of engine::CompiledModel.
#include "dgm/model.h"

#include <string>
#include <vector>

#include "api/model_impl.h"
#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/log_potential.h"
#include "engine/model_io.h"
#include "engine/variable_refs.h"

namespace dgm {

namespace {

// The public defaults are the engine's (include/dgm cannot include engine headers).
static_assert(CompileLimits{}.max_variables == engine::CompileOptions{}.max_variables);
static_assert(CompileLimits{}.max_factors == engine::CompileOptions{}.max_factors);
static_assert(CompileLimits{}.max_parameter_elements ==
              engine::CompileOptions{}.max_parameter_elements);
static_assert(CompileLimits{}.max_table_entries == engine::CompileOptions{}.max_table_entries);
static_assert(CompileLimits{}.max_file_bytes == engine::CompileOptions{}.max_file_bytes);
static_assert(CompileLimits{}.max_memory_bytes == engine::CompileOptions{}.max_memory_bytes);

engine::CompileOptions compile_options(const CompileLimits& limits) {
  engine::CompileOptions options;
  options.max_variables = limits.max_variables;
  options.max_factors = limits.max_factors;
  options.max_parameter_elements = limits.max_parameter_elements;
  options.max_table_entries = limits.max_table_entries;
  options.max_cardinality = limits.max_cardinality;
  options.max_file_bytes = limits.max_file_bytes;
  options.max_memory_bytes = limits.max_memory_bytes;
  return options;
}

const engine::CompiledModel& compiled(const Model& model) { return ModelAccess::compiled(model); }

void check_variable(const Model& model, std::int32_t v) {
  if (v < 0 || v >= model.num_variables())
    throw Error("variable id " + std::to_string(v) + " is out of range (the model has " +
                    std::to_string(model.num_variables()) + " variables)",
                error_details(ErrorCode::kBadValue, std::to_string(v)));
}

}  // namespace

Model Model::from_file(const std::string& path, const std::string& evidence_path,
                       int evidence_sample, const CompileLimits& limits) {
  return ModelAccess::wrap(
      engine::load_compiled(path, compile_options(limits), evidence_path, evidence_sample));
}

Model Model::from_text(const std::string& text, const std::string& name,
                       const std::string& base_dir, const CompileLimits& limits) {
  const engine::LoadedModel loaded = engine::parse_model_text(text, name);
  return ModelAccess::wrap(
      engine::compile(loaded.model, loaded.source, base_dir, compile_options(limits)));
}

Model Model::from_proto(const proto::Model& model, const std::string& name,
                        const std::string& base_dir, const CompileLimits& limits) {
  return ModelAccess::wrap(
      engine::compile(model, engine::SourceMap(name), base_dir, compile_options(limits)));
}

proto::Model Model::read_proto(const std::string& path) { return engine::load_model(path).model; }

void Model::write_proto(const proto::Model& model, const std::string& path,
                        const std::string& base_dir) {
  engine::save_model(model, path, base_dir);
}

std::int32_t Model::num_variables() const { return compiled(*this).graph->num_variables(); }

std::int32_t Model::cardinality(std::int32_t v) const {
  check_variable(*this, v);
  return compiled(*this).graph->cardinality[v];
}

std::string Model::variable_name(std::int32_t v) const {
  check_variable(*this, v);
  return compiled(*this).graph->variable_name(v);
}

std::vector<std::int32_t> Model::variables(const std::string& references) const {
  const engine::VariableResolver resolver(compiled(*this).graph->groups);
  std::vector<std::int32_t> out;
  resolver.resolve_list(references, out, source().empty() ? "<model>" : source());
  return out;
}

std::int32_t Model::variable(const std::string& reference) const {
  const std::vector<std::int32_t> ids = variables(reference);
  if (ids.size() != 1)
    throw Error("'" + reference + "' names " + std::to_string(ids.size()) + " variables, not one",
                error_details(ErrorCode::kBadValue, reference));
  return ids[0];
}

std::int64_t Model::state_offset(std::int32_t v) const {
  if (v == num_variables()) return compiled(*this).graph->state_offset[v];
  check_variable(*this, v);
  return compiled(*this).graph->state_offset[v];
}

std::span<const std::int32_t> Model::evidence() const { return compiled(*this).evidence; }

std::int64_t Model::num_factors() const { return compiled(*this).graph->num_factors(); }

std::vector<std::string> Model::parameter_names() const {
  std::vector<std::string> names;
  for (const auto& info : compiled(*this).params.info) names.push_back(info.name);
  return names;
}

std::span<const double> Model::parameter_values() const { return compiled(*this).params.values; }

std::span<const double> Model::parameter(const std::string& name) const {
  const engine::Params& params = compiled(*this).params;
  const int index = params.find(name);
  if (index < 0) {
    std::string list;
    for (const auto& info : params.info) list += (list.empty() ? "'" : ", '") + info.name + "'";
    throw Error("unknown parameter '" + name + "'; parameters are " +
                    (list.empty() ? std::string("(none declared)") : list),
                error_details(ErrorCode::kUnknownName, name, parameter_names()));
  }
  return params.view(index);
}

Model Model::with_parameters(std::span<const double> values) const {
  const engine::CompiledModel& model = compiled(*this);
  if (values.size() != model.params.values.size())
    throw Error("with_parameters: " + std::to_string(values.size()) +
                    " values given, the model has " + std::to_string(model.params.values.size()),
                error_details(ErrorCode::kBadValue, std::to_string(values.size())));
  engine::CompiledModel copy = model;  // shares the Graph
  copy.params.values.assign(values.begin(), values.end());
  ++copy.params.version;
  return ModelAccess::wrap(std::move(copy));
}

double Model::log_potential(std::span<const std::int32_t> state) const {
  if (state.size() != static_cast<std::size_t>(num_variables()))
    throw Error("log_potential: a state of " + std::to_string(state.size()) +
                    " values for a model of " + std::to_string(num_variables()) + " variables",
                error_details(ErrorCode::kBadValue, std::to_string(state.size())));
  for (std::size_t v = 0; v < state.size(); ++v)
    if (state[v] < 0 || state[v] >= compiled(*this).graph->cardinality[v])
      throw Error("log_potential: state " + std::to_string(state[v]) + " of " +
                      variable_name(static_cast<std::int32_t>(v)) + " is out of range",
                  error_details(ErrorCode::kBadValue, std::to_string(state[v])));
  return engine::total_log_potential(compiled(*this), state);
}

const std::string& Model::source() const { return compiled(*this).source; }

}  // namespace dgm
