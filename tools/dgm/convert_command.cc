// dgm convert IN OUT: between .pbtxt, .pb and .uai, chosen by extension.
#include <iostream>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/same_file.h"

namespace dgm::cli {

void register_convert(CLI::App& app) {
  auto* cmd = app.add_subcommand("convert", "convert a model between .pbtxt, .pb and .uai");
  struct Options {
    std::string in, out, evidence, evidence_out;
    int evidence_sample = 0;
  };
  auto opt = std::make_shared<Options>();
  cmd->add_option("input", opt->in, "model file to read")->required();
  cmd->add_option("--evidence", opt->evidence,
                  "evidence file (.evid) to check against the model and pass on with "
                  "--evidence-out");
  cmd->add_option("--evidence-sample", opt->evidence_sample,
                  "which sample of a multi-sample .evid file to use (from 0)");
  cmd->add_option("output", opt->out, "model file to write; the format follows the extension")
      ->required();
  cmd->add_option("--evidence-out", opt->evidence_out,
                  "also write the model's evidence as a UAI .evid file (UAI output drops it)");
  cmd->callback([opt] {
    // Converting a file onto itself would drop its comments (and, for .uai, its evidence):
    // outputs are never inputs, and the two outputs are different files.
    const std::vector<NamedInput> inputs = {{"the input model", opt->in},
                                            {"the evidence", opt->evidence}};
    refuse_output_over_input("output", opt->out, inputs);
    refuse_output_over_input("--evidence-out", opt->evidence_out, inputs);
    if (!opt->evidence_out.empty() && same_file(opt->evidence_out, opt->out))
      throw Error("--evidence-out " + opt->evidence_out + " is the output model file");
    const engine::LoadedModel loaded = engine::load_model(opt->in);
    // Compile first, so that an invalid model is reported instead of converted.
    engine::CompiledModel compiled = engine::compile(loaded.model, loaded.source, loaded.base_dir);
    if (!opt->evidence.empty())
      engine::apply_evidence_file(compiled, opt->evidence, opt->evidence_sample);
    engine::save_model(loaded.model, opt->out, loaded.base_dir);
    if (!opt->evidence_out.empty()) engine::write_evidence(compiled, opt->evidence_out);
    std::cout << "wrote " << opt->out << " (" << compiled.graph->num_variables() << " variables, "
              << compiled.graph->num_factors() << " factors)\n";
    if (engine::format_from_path(opt->out) == engine::ModelFormat::kUai &&
        compiled.num_clamped() > 0 && opt->evidence_out.empty())
      std::cerr << "dgm: note: the model's " << compiled.num_clamped()
                << " clamped variables are not part of a .uai file; use --evidence-out\n";
  });
}

}  // namespace dgm::cli
