#pragma once
// Helpers for tests: compile a model written inline as protobuf text, write scratch files, and
// run the dgm program.
#include <functional>
#include <string>

#include "dgm.h"

namespace dgm::testing {

// c = OR(a, b) with a clamped to 1 and c to 0: evidence of probability zero that only the hard
// factor reveals, which every backend must refuse (BP, PMP, exact inference, dgm on the CLI).
inline constexpr const char* kContradictingOrEvidence = R"(
    variables { name: "a" cardinality: 2 }
    variables { name: "b" cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    factors { name: "or" logical_or { parents: "a b" child: "c" } }
    evidence { variable: "a" value: 1 }
    evidence { variable: "c" value: 0 })";

// Parses and compiles protobuf text (messages name the model "test.pbtxt").
engine::CompiledModel compile_text(const std::string& text,
                                   const engine::CompileOptions& options = {},
                                   const std::string& base_dir = "");

// The error message compile_text throws, or "" if it compiles.
std::string compile_error(const std::string& text, const engine::CompileOptions& options = {},
                          const std::string& base_dir = "");

// A fresh scratch directory for this test (removed at the next run of the same test).
std::string scratch_dir();

// Writes `content` to `dir/name` and returns the path.
std::string write_file(const std::string& dir, const std::string& name, const std::string& content);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the dgm program with `args` (a shell-quoted argument string).
CommandResult run_dgm(const std::string& args);

// Runs a shell command line (stdin from /dev/null), e.g. one of the examples' scripts.
CommandResult run_shell(const std::string& command);

// The dgm program's path (for scripts that take it as DGM).
std::string dgm_binary();

// Path of a file under the source tree, e.g. source_path("examples/tiny_chain.pbtxt").
std::string source_path(const std::string& relative);

// Why `dgm plot` cannot draw here (the interpreter it would use lacks matplotlib or numpy), or
// "" when it can. Plot tests skip with this message; the set-up installs both, so CI runs them.
std::string plotting_unavailable_reason();

// The message of the dgm::Error that f throws, or "(no error)".
std::string error_of(const std::function<void()>& f);

}  // namespace dgm::testing
