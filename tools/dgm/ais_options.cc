#include "tools/dgm/ais_options.h"

#include <cstdio>

#include "tools/dgm/progress.h"

namespace dgm::cli {

void AisCliOptions::add_to(CLI::App& cmd) {
  flags = {cmd.add_option("--runs", runs, "ais: independent annealing runs (importance weights)")
               ->capture_default_str(),
           cmd.add_option("--betas", betas,
                          "ais: βs on the path from the base model to the model, spaced like "
                          "Salakhutdinov & Murray's 14,501")
               ->capture_default_str(),
           cmd.add_option("--seed", seed, "ais: seed of the runs' random streams")
               ->capture_default_str(),
           cmd.add_option("--threads", threads,
                          "ais: worker threads (0 = all cores; results do not depend on it)")
               ->capture_default_str()};
}

std::string AisCliOptions::given_flag() const {
  for (const CLI::Option* o : flags)
    if (o != nullptr && o->count() > 0) return o->get_name();
  return "";
}

inference::AisOptions AisCliOptions::options() const {
  inference::AisOptions o;
  o.runs = runs;
  o.num_betas = betas;
  o.seed = seed;
  o.threads = threads;
  return o;
}

inference::AisResult run_ais(const engine::CompiledModel& model, inference::AisOptions options) {
  InterruptGuard interrupt;
  AisProgress progress("ais");
  options.progress = progress.callback();
  options.stop = progress.stop();
  return inference::ais_log_z(model, options);
}

std::string ais_detail(const inference::AisResult& r, const std::string& base) {
  char seconds[32];
  std::snprintf(seconds, sizeof seconds, "%.3g s", r.seconds);
  return "annealed importance sampling, " + std::to_string(r.runs) + " runs × " +
         std::to_string(r.betas) + " βs" +
         (r.betas == inference::kSalakhutdinovMurrayBetas ? " (Salakhutdinov–Murray schedule)"
                                                          : " (Salakhutdinov–Murray spacing)") +
         ", base: " + base +
         (r.rbm_path ? ", RBM hidden units summed out (batch path)"
                     : ", single-site Gibbs transitions") +
         ", " + seconds +
         (r.completed ? "" : "; interrupted after " + std::to_string(r.betas_done) + " βs");
}

Json ais_json(const inference::AisResult& r, const AisCliOptions& opt, const std::string& base,
              const std::string& data) {
  return {
      {"runs", r.runs},
      {"betas", r.betas},
      {"betas_done", r.betas_done},
      {"seed", opt.seed},
      {"threads", opt.threads},
      {"base", base},
      {"data", data.empty() ? Json(nullptr) : Json(data)},
      {"hidden_summed_out", r.rbm_path},
      {"log_z_low", number_or_null(r.log_z_low)},
      {"log_z_low_status", std::isnan(r.log_z_low) ? "not_computed" : number_status(r.log_z_low)},
      {"log_z_high", number_or_null(r.log_z_high)},
      {"interval", "log(mean ± 3 standard errors of the importance weights)"},
      {"log_z_base", number_or_null(r.log_z_base)},
      {"effective_sample_size", r.effective_sample_size},
      {"relative_standard_error", number_or_null(r.relative_standard_error)},
      {"zero_weight_runs", r.zero_weight_runs},
      {"seconds", r.seconds},
      {"interrupted", !r.completed}};
}

std::optional<ExactReference> cheap_exact_log_z(const engine::CompiledModel& model,
                                                std::int64_t max_table_entries) {
  const std::int64_t work = inference::rbm_log_z_work(model);
  if (work >= 0) {
    if (work > inference::kRbmLogZMaxWork) return std::nullopt;  // its junction tree is wider
    return ExactReference{inference::rbm_exact_log_z(model), "rbm_enumeration"};
  }
  try {
    inference::ExactOptions eo;
    eo.max_table_entries = max_table_entries;
    eo.marginals = false;
    eo.map = false;
    return ExactReference{inference::exact_inference(model, eo).log_z, "junction_tree"};
  } catch (const Error&) {
    return std::nullopt;  // too wide: there is no cheap reference
  }
}

}  // namespace dgm::cli
