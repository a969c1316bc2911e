#include "engine/model_io.h"

#include <google/protobuf/io/tokenizer.h>
#include <google/protobuf/stubs/logging.h>
#include <google/protobuf/text_format.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/evidence_file.h"
#include "engine/resource_limits.h"
#include "engine/uai.h"

namespace dgm::engine {

namespace fs = std::filesystem;
using google::protobuf::TextFormat;

namespace {

// Collects protobuf's parse errors as "file:line:col: message" (protobuf counts from 0).
class FirstErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit FirstErrorCollector(std::string name) : name_(std::move(name)) {}
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!first_.empty()) return;
    first_ =
        name_ + ":" + std::to_string(line + 1) + ":" + std::to_string(column + 1) + ": " + message;
    line_ = line + 1;
    column_ = column + 1;
  }
  const std::string& first() const { return first_; }
  ErrorDetails details() const {
    return error_details(ErrorCode::kParse, "", {}, name_, line_, column_);
  }

 private:
  std::string name_;
  std::string first_;
  int line_ = 0, column_ = 0;
};

std::string lower_extension(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return ext;
}

// The path of the first field the schema does not know ("factors[2].isng"), or "". A binary
// file written by a newer or different schema would otherwise be read with parts ignored.
std::string first_unknown_field(const google::protobuf::Message& message, const std::string& path) {
  const auto* reflection = message.GetReflection();
  if (reflection->GetUnknownFields(message).field_count() > 0)
    return (path.empty() ? std::string("the model") : path) + " has a field number " +
           std::to_string(reflection->GetUnknownFields(message).field(0).number()) +
           " that the schema does not define";
  std::vector<const google::protobuf::FieldDescriptor*> fields;
  reflection->ListFields(message, &fields);
  for (const auto* field : fields) {
    if (field->cpp_type() != google::protobuf::FieldDescriptor::CPPTYPE_MESSAGE) continue;
    const std::string name = (path.empty() ? "" : path + ".") + field->name();
    if (field->is_repeated()) {
      for (int i = 0; i < reflection->FieldSize(message, field); ++i) {
        std::string found = first_unknown_field(reflection->GetRepeatedMessage(message, field, i),
                                                name + "[" + std::to_string(i) + "]");
        if (!found.empty()) return found;
      }
    } else {
      std::string found = first_unknown_field(reflection->GetMessage(message, field), name);
      if (!found.empty()) return found;
    }
  }
  return "";
}

// What the first bytes of a model file rule out, before the rest is read (a device such as
// /dev/zero given as a model is refused at once, not after reading up to the size cap).
std::string text_start(std::string_view start) {
  const std::size_t nul = start.find('\0');
  if (nul == std::string_view::npos) return "";
  return "byte " + std::to_string(nul) + " is a NUL: not a text model file";
}
std::string binary_start(std::string_view start) {
  // A protobuf message starts with a field's tag, and field number 0 does not exist.
  if (!start.empty() && static_cast<unsigned char>(start[0]) < 8)
    return "not a valid binary dgm model (its first byte is no field tag)";
  return "";
}

}  // namespace

ModelFormat format_from_path(const std::string& path) {
  const std::string ext = lower_extension(path);
  if (ext == ".pbtxt" || ext == ".textproto" || ext == ".txt" || ext == ".prototxt")
    return ModelFormat::kText;
  if (ext == ".pb" || ext == ".binpb") return ModelFormat::kBinary;
  if (ext == ".uai") return ModelFormat::kUai;
  throw Error(
      path + ": unknown model file extension '" + ext +
          "'; use .pbtxt (text), .pb (binary) or .uai",
      error_details(ErrorCode::kUnsupported, ext,
                    {".pbtxt", ".textproto", ".txt", ".prototxt", ".pb", ".binpb", ".uai"}, path));
}

std::shared_ptr<const void> parse_text_message(const std::string& text, const std::string& name,
                                               google::protobuf::Message& out) {
  auto tree = std::make_shared<TextFormat::ParseInfoTree>();
  FirstErrorCollector errors(name);
  TextFormat::Parser parser;
  parser.RecordErrorsTo(&errors);
  parser.WriteLocationsTo(tree.get());
  if (!parser.ParseFromString(text, &out))
    throw Error(errors.first().empty() ? name + ": cannot parse" : errors.first(),
                errors.details());
  return std::shared_ptr<const void>(tree, tree.get());
}

LoadedModel parse_model_text(const std::string& text, const std::string& name) {
  LoadedModel loaded;
  loaded.source = SourceMap(name, parse_text_message(text, name, loaded.model));
  return loaded;
}

LoadedModel parse_model_binary(const std::string& bytes, const std::string& name) {
  LoadedModel loaded;
  bool parsed = false;
  {
    google::protobuf::LogSilencer quiet;  // our message replaces libprotobuf's log line
    parsed = loaded.model.ParseFromString(bytes);
  }
  if (!parsed)
    throw Error(name +
                ": not a valid binary dgm model (protobuf parse failed; a text "
                "model needs the .pbtxt extension)");
  const std::string unknown = first_unknown_field(loaded.model, "");
  if (!unknown.empty()) throw Error(name + ": " + unknown);
  loaded.source = SourceMap(name);
  return loaded;
}

LoadedModel load_model(const std::string& path, const ResourceLimits& limits) {
  const ModelFormat format = format_from_path(path);
  // The file-size cap is checked before reading (a regular file) or while reading (a pipe, a
  // device such as /dev/zero), so that nothing larger than the cap is ever held.
  const std::string text =
      read_file_capped(path, limits.max_file_bytes, "model file",
                       format == ModelFormat::kBinary ? binary_start : text_start);
  LoadedModel loaded;
  switch (format) {
    case ModelFormat::kText:
      loaded = parse_model_text(text, path);
      break;
    case ModelFormat::kBinary:
      loaded = parse_model_binary(text, path);
      break;
    case ModelFormat::kUai:
      loaded.model = parse_uai(text, path);
      loaded.source = SourceMap(path);
      break;
  }
  loaded.base_dir = fs::path(path).parent_path().string();
  return loaded;
}

CompiledModel load_compiled(const std::string& path, const CompileOptions& options,
                            const std::string& evidence_path, int evidence_sample) {
  const LoadedModel loaded = load_model(path, options);
  CompiledModel model = compile(loaded.model, loaded.source, loaded.base_dir, options);
  if (!evidence_path.empty())
    apply_evidence_file(model, evidence_path, evidence_sample, options.max_file_bytes);
  return model;
}

void apply_evidence_file(CompiledModel& model, const std::string& path, int sample,
                         std::int64_t max_file_bytes) {
  const auto samples =
      parse_evidence(read_file_capped(path, max_file_bytes, "evidence file"), path);
  if (sample < 0 || sample >= static_cast<int>(samples.size()))
    throw Error(path + ": evidence sample " + std::to_string(sample) +
                " requested but the file has " + std::to_string(samples.size()));
  apply_evidence(model, samples[sample], path);
}

void save_model(const proto::Model& model, const std::string& path, const std::string& base_dir) {
  const ModelFormat format = format_from_path(path);
  if (format == ModelFormat::kUai) {
    const CompiledModel compiled = compile(model, SourceMap(path), base_dir);
    write_uai(compiled, path);  // opens the file only once the whole text is built
    return;
  }
  // .npy references are relative to the model file: rewrite them for the new location.
  proto::Model copy = model;
  const fs::path out_dir = fs::absolute(fs::path(path)).parent_path();
  for (auto& p : *copy.mutable_parameters()) {
    if (p.npy().empty() || fs::path(p.npy()).is_absolute()) continue;
    const fs::path target = fs::absolute(fs::path(base_dir) / p.npy()).lexically_normal();
    p.set_npy(target.lexically_relative(out_dir).string());
  }
  std::string bytes;
  if (format == ModelFormat::kText) {
    TextFormat::Printer printer;
    printer.PrintToString(copy, &bytes);
  } else if (!copy.SerializeToString(&bytes)) {
    throw Error(path + ": serialisation failed");
  }
  write_file_atomically(path, bytes);  // the old file or the whole new one, never half
}

}  // namespace dgm::engine
