#pragma once
// A compiled model: load it from a file, a text or a dgm::proto::Model message (written by
// hand or by dgm::ModelBuilder, <dgm/builder.h>), then hand it to exact inference, BP or a
// Session.
//
//   dgm::Model model = dgm::Model::from_file("ising.pbtxt");
//   std::int32_t v = model.variable("s[2,3]");
//
// Threads: a Model is immutable after loading. Copies share one compiled structure, and any
// number of threads and sessions may read one Model (or its copies) at the same time. A
// Session takes its own copy of the parameters, so Session::set_parameters never changes the
// Model it was created from.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "dgm/model.pb.h"

namespace dgm {

// Limits that turn absurd inputs into clear errors (ErrorCode::kLimit) before the memory is
// allocated, instead of exhausted memory. The defaults (those of the `dgm` program's
// --max-* flags, docs/hardening.md) take a 1000×1000 lattice or a 784×500 RBM with room to
// spare; raise them for larger models.
struct CompileLimits {
  std::int64_t max_variables = std::int64_t{1} << 21;
  std::int64_t max_factors = std::int64_t{1} << 23;
  std::int64_t max_parameter_elements = std::int64_t{1} << 26;  // per parameter
  std::int64_t max_table_entries = std::int64_t{1} << 24;       // one factor's dense table
  std::int32_t max_cardinality = 1 << 16;
  std::int64_t max_file_bytes = std::int64_t{256} << 20;  // a model or evidence file
  std::int64_t max_memory_bytes = std::int64_t{4} << 30;  // the compiled model's estimate
};

class Model {
 public:
  // A file in the format its extension names: .pbtxt (text), .pb (binary) or .uai. NumPy
  // parameter files are read relative to it. `evidence_path`: a UAI .evid file applied on top
  // of the model's own evidence (`evidence_sample` picks a sample of a multi-sample file).
  static Model from_file(const std::string& path, const std::string& evidence_path = "",
                         int evidence_sample = 0, const CompileLimits& limits = {});
  // Protobuf text; `name` stands for the file in messages ("name:line:col: ...") and
  // `base_dir` is where relative .npy paths are looked up.
  static Model from_text(const std::string& text, const std::string& name = "<text>",
                         const std::string& base_dir = "", const CompileLimits& limits = {});
  // A message built in code; messages name `name` instead of a file:line:col.
  static Model from_proto(const proto::Model& model, const std::string& name = "<code>",
                          const std::string& base_dir = "", const CompileLimits& limits = {});

  // Reads a model file without compiling it (to edit it in code, then from_proto).
  static proto::Model read_proto(const std::string& path);
  // Writes `model` in the format `path`'s extension names (.pbtxt, .pb or .uai).
  static void write_proto(const proto::Model& model, const std::string& path,
                          const std::string& base_dir = "");

  // --- variables: ids 0..N-1, groups in declaration order, each group row-major ---
  std::int32_t num_variables() const;
  std::int32_t cardinality(std::int32_t v) const;
  // "s[2,3]" (a group's element) or "x" (a scalar group).
  std::string variable_name(std::int32_t v) const;
  // The id of a single-variable reference ("s[7]", "s[2,3]", "x"); dgm::Error otherwise.
  std::int32_t variable(const std::string& reference) const;
  // The ids of any reference or space-separated list of them ("s", "a[0] b").
  std::vector<std::int32_t> variables(const std::string& references) const;
  // Where variable v's states start in a marginals vector: p(x_v = k) is at
  // state_offset(v) + k; state_offset(num_variables()) is the vector's length.
  std::int64_t state_offset(std::int32_t v) const;
  // Per variable: the clamped state, or -1 when free.
  std::span<const std::int32_t> evidence() const;

  std::int64_t num_factors() const;

  // --- parameters, concatenated in declaration order, each row-major ---
  std::vector<std::string> parameter_names() const;
  std::span<const double> parameter_values() const;
  // One parameter's values; dgm::Error (kUnknownName) listing the names if there is none.
  std::span<const double> parameter(const std::string& name) const;
  // A model that shares this one's structure and evidence with other parameter values
  // (same length as parameter_values()).
  Model with_parameters(std::span<const double> values) const;

  // f(x) = log_constant + Σ_f θ_f(x_f) for a full state of N values (−inf when a hard
  // constraint forbids it).
  double log_potential(std::span<const std::int32_t> state) const;

  // The file (or name) the model came from.
  const std::string& source() const;

  struct Impl;

 private:
  friend struct ModelAccess;  // dgm's implementation files reach Impl through it
  explicit Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace dgm
