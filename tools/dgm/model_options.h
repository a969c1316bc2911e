#pragma once
// Options shared by every command that reads a model: the file, an evidence file and limits.
#include <CLI/CLI.hpp>
#include <string>

#include "dgm.h"

namespace dgm::cli {

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
  }

  engine::CompiledModel load() const {
    return engine::load_compiled(path, compile, evidence, evidence_sample);
  }
};

}  // namespace dgm::cli
