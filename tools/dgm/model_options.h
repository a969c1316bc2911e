#pragma once
// Options shared by every command that reads a model: the file, an evidence file and limits.
#include <CLI/CLI.hpp>
#include <string>

#include "dgm.h"

namespace dgm::cli {

// The resource caps beyond --max-variables and --max-factor-table (engine/resource_limits.h,
// docs/hardening.md): --max-factors, --max-file-size, --max-memory and --max-chain-states.
// Sizes in bytes take K, M, G and T suffixes (powers of 1024).
inline void add_resource_limits(CLI::App& cmd, engine::ResourceLimits& limits) {
  cmd.add_option("--max-factors", limits.max_factors, "refuse models with more factors than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  auto bytes_flag = [&cmd](const std::string& name, std::int64_t& target, const std::string& help) {
    cmd.add_option_function<std::string>(
           name,
           [&target, name](const std::string& text) {
             const std::int64_t n = engine::parse_byte_count(text);
             if (n < 0)
               throw CLI::ValidationError(name, "'" + text +
                                                    "' is not a size in bytes > 0 (e.g. "
                                                    "1048576, 512M, 8G)");
             target = n;
           },
           help + " (bytes; K, M, G, T suffixes; default " + engine::byte_text(target) + ")")
        ->type_name("SIZE");
  };
  bytes_flag("--max-file-size", limits.max_file_bytes,
             "refuse model and evidence files larger than this");
  bytes_flag("--max-memory", limits.max_memory_bytes,
             "refuse models (and sampling runs) whose estimated memory is larger than this");
  cmd.add_option("--max-chain-states", limits.max_chain_states,
                 "refuse sampling runs whose chains × variables is larger than this")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
}

struct ModelOptions {
  std::string path;
  std::string evidence;
  int evidence_sample = 0;
  engine::CompileOptions compile;

  void add_to(CLI::App& cmd) {
    cmd.add_option("model", path, "model file (.pbtxt, .pb or .uai)")->required();
    cmd.add_option("--evidence", evidence, "evidence file in UAI .evid format");
    cmd.add_option("--evidence-sample", evidence_sample,
                   "which sample of a multi-sample .evid file to use (from 0)")
        ->capture_default_str();
    cmd.add_option("--max-variables", compile.max_variables,
                   "refuse models with more variables than this")
        ->capture_default_str();
    cmd.add_option("--max-factor-table", compile.max_table_entries,
                   "refuse dense factor tables with more entries than this")
        ->capture_default_str();
    add_resource_limits(cmd, compile);
  }

  engine::CompiledModel load() const {
    return engine::load_compiled(path, compile, evidence, evidence_sample);
  }
};

}  // namespace dgm::cli
