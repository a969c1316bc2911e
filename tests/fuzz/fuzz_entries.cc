#include "tests/fuzz/fuzz_entries.h"

#include <sstream>
#include <string>

#include "dgm/model.pb.h"
#include "engine/error.h"
#include "engine/evidence_file.h"
#include "engine/model_io.h"
#include "engine/npy.h"
#include "engine/uai.h"

namespace dgm::fuzz {

namespace {

// Relative .npy references resolve here, where nothing exists.
constexpr const char* kNoDir = "/nonexistent-dgm-fuzz-dir";

template <typename F>
void expecting_errors(F&& f) {
  try {
    f();
  } catch (const Error&) {
    // The reader refused the input with a message: the expected outcome.
  }
}

// A small model with groups of several cardinalities for the evidence reader.
const engine::CompiledModel& evidence_model() {
  static const engine::CompiledModel model = [] {
    const engine::LoadedModel loaded = engine::parse_model_text(
        R"(variables { name: "a" shape: [4] cardinality: 2 }
           variables { name: "b" shape: [3] cardinality: 3 }
           variables { name: "c" cardinality: 5 }
           parameters { name: "w" value: 0.5 }
           factors { name: "f" ising { coupling: "w" } lattice { group: "a" } })",
        "evidence_model.pbtxt");
    return engine::compile(loaded.model, loaded.source, "");
  }();
  return model;
}

}  // namespace

engine::CompileOptions fuzz_limits() {
  engine::CompileOptions o;
  o.max_variables = 1 << 16;
  o.max_factors = 1 << 18;
  o.max_table_entries = 1 << 20;
  o.max_parameter_elements = 1 << 20;
  o.max_enumeration_rows = 1 << 18;
  o.max_interaction_entries = 1 << 22;
  o.max_memory_bytes = std::int64_t{256} << 20;
  o.max_file_bytes = std::int64_t{1} << 20;
  return o;
}

void model_text(std::string_view data) {
  expecting_errors([&] {
    const engine::LoadedModel loaded = engine::parse_model_text(std::string(data), "fuzz.pbtxt");
    engine::compile(loaded.model, loaded.source, kNoDir, fuzz_limits());
  });
}

void model_binary(std::string_view data) {
  expecting_errors([&] {
    const engine::LoadedModel loaded = engine::parse_model_binary(std::string(data), "fuzz.pb");
    engine::compile(loaded.model, loaded.source, kNoDir, fuzz_limits());
  });
}

void uai(std::string_view data) {
  expecting_errors([&] {
    const proto::Model model = engine::parse_uai(data, "fuzz.uai");
    engine::compile(model, engine::SourceMap("fuzz.uai"), kNoDir, fuzz_limits());
  });
}

void evidence(std::string_view data) {
  expecting_errors([&] {
    const std::vector<engine::EvidenceSample> samples = engine::parse_evidence(data, "fuzz.evid");
    for (const engine::EvidenceSample& sample : samples) {
      engine::CompiledModel model = evidence_model();
      expecting_errors([&] { engine::apply_evidence(model, sample, "fuzz.evid"); });
    }
  });
}

void npy(std::string_view data) {
  for (const bool integers : {false, true}) {
    expecting_errors([&] {
      std::istringstream in{std::string(data)};
      engine::read_npy(in, "fuzz.npy", integers);
    });
  }
}

Entry entry_named(std::string_view name) {
  if (name == "model_text") return &model_text;
  if (name == "model_binary") return &model_binary;
  if (name == "uai") return &uai;
  if (name == "evidence") return &evidence;
  if (name == "npy") return &npy;
  return nullptr;
}

}  // namespace dgm::fuzz
