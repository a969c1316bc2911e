#pragma once
// What `dgm logz --method ais` and `dgm score --logz ais` share: the AIS flags (--runs, --betas,
// --seed, --threads), the run with progress and Ctrl-C, its description in text and JSON, and
// the exact log Z to compare with when it is cheap.
#include <CLI/CLI.hpp>
#include <optional>
#include <string>
#include <vector>

#include "dgm.h"
#include "tools/dgm/json_output.h"

namespace dgm::cli {

struct AisCliOptions {
  std::int32_t runs = 100;
  std::int64_t betas = inference::kSalakhutdinovMurrayBetas;
  std::uint64_t seed = 0;
  int threads = 0;
  std::vector<CLI::Option*> flags;  // --runs, --betas, --seed, --threads

  void add_to(CLI::App& cmd);
  // The first of the flags given on the command line, or "".
  std::string given_flag() const;
  // The library options (no base, no progress yet).
  inference::AisOptions options() const;
};

// Why an AIS answer is not exact, in a few words (the `approximation` field).
inline constexpr const char* kAisApproximation =
    "annealed importance sampling: a stochastic estimate of log Z, with a ±3σ interval from the "
    "spread of the importance weights";

// Runs AIS on `model` with a progress line on a terminal; Ctrl-C stops it (the result is then
// incomplete: completed is false).
inference::AisResult run_ais(const engine::CompiledModel& model, inference::AisOptions options);

// "100 runs × 14501 βs (Salakhutdinov–Murray schedule), base: uniform, hidden units summed
// out, 12.3 s".
std::string ais_detail(const inference::AisResult& r, const std::string& base);

// The `ais` object of docs/json.md.
Json ais_json(const inference::AisResult& r, const AisCliOptions& opt, const std::string& base,
              const std::string& data);

// The exact log Z when it is cheap: an RBM whose smaller layer can be enumerated within the
// default work bound, or a (non-RBM) model whose junction tree fits `max_table_entries`.
struct ExactReference {
  double log_z = 0;
  std::string method;  // "rbm_enumeration" or "junction_tree"
};
std::optional<ExactReference> cheap_exact_log_z(const engine::CompiledModel& model,
                                                std::int64_t max_table_entries);

}  // namespace dgm::cli
