#pragma once
// Reading and writing model files, chosen by extension:
//   .pbtxt / .textproto / .txt   protobuf text format (errors as file:line:col)
//   .pb / .binpb                 protobuf binary
//   .uai                         UAI competition format (MARKOV or BAYES)
#include <memory>
#include <string>

#include "dgm/model.pb.h"
#include "engine/compiled_model.h"
#include "engine/compiler.h"
#include "engine/resource_limits.h"
#include "engine/source_map.h"

namespace dgm::engine {

struct LoadedModel {
  proto::Model model;
  SourceMap source;
  std::string base_dir;  // directory of the file, for .npy references
};

enum class ModelFormat { kText, kBinary, kUai };

// The format implied by the file name's extension; throws dgm::Error listing the known ones.
ModelFormat format_from_path(const std::string& path);

// Refuses files over limits.max_file_bytes by name, before reading them.
LoadedModel load_model(const std::string& path, const ResourceLimits& limits = {});

// Parses any protobuf message from text; errors become dgm::Error as "name:line:col: message".
// Returns the parse-location tree (for SourceMap).
std::shared_ptr<const void> parse_text_message(const std::string& text, const std::string& name,
                                               google::protobuf::Message& out);

// Parses protobuf text; `name` is used in messages.
LoadedModel parse_model_text(const std::string& text, const std::string& name);
// Parses a binary model (.pb); a field the schema does not know is an error.
LoadedModel parse_model_binary(const std::string& bytes, const std::string& name);

// Loads, compiles and applies an evidence file (.evid, UAI format; `evidence_sample` picks
// the sample of a multi-sample file) on top of the model's own evidence.
CompiledModel load_compiled(const std::string& path, const CompileOptions& options = {},
                            const std::string& evidence_path = "", int evidence_sample = 0);

// Applies sample `sample` of the evidence file at `path` (UAI .evid, either layout).
// Files over `max_file_bytes` are refused by name.
void apply_evidence_file(CompiledModel& model, const std::string& path, int sample = 0,
                         std::int64_t max_file_bytes = ResourceLimits{}.max_file_bytes);

// Writes `model` in the format implied by `path`'s extension. For .uai the model is compiled
// (relative .npy paths resolved against `base_dir`) and every factor written as a table.
void save_model(const proto::Model& model, const std::string& path, const std::string& base_dir);

}  // namespace dgm::engine
