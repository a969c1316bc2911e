#include "inference/ais/ais.h"

#include <tbb/task_arena.h>

#include <chrono>
#include <string>

#include "engine/error.h"
#include "inference/ais/base_model.h"
#include "inference/ais/generic_ais.h"
#include "inference/ais/importance_weights.h"
#include "inference/ais/rbm_ais.h"

namespace dgm::inference {

AisResult ais_log_z(const engine::CompiledModel& model, const AisOptions& options) {
  if (options.runs < 2)
    throw Error("ais: at least 2 runs are needed (the error bar is their spread); got " +
                    std::to_string(options.runs),
                error_details(ErrorCode::kBadValue, std::to_string(options.runs)));
  if (options.threads < 0)
    throw Error(
        "ais: threads must be 0 (all cores) or positive; got " + std::to_string(options.threads),
        error_details(ErrorCode::kBadValue, std::to_string(options.threads)));
  std::vector<double> betas;
  if (options.betas.empty()) {
    betas = annealing_schedule(options.num_betas);
  } else {
    validate_schedule(options.betas);
    betas = options.betas;
  }
  const BaseModel base(model, options.base_log_potentials);

  AisResult result;
  result.runs = options.runs;
  result.betas = static_cast<std::int64_t>(betas.size());
  result.log_z_base = base.log_z();
  result.log_weights.assign(static_cast<std::size_t>(options.runs), 0.0);
  const auto start = std::chrono::steady_clock::now();
  auto run = [&] {
    if (!options.generic_only && rbm_ais_applies(model)) {
      result.rbm_path = true;
      result.betas_done =
          run_rbm_ais(model, *rbm_parameters(model), base, betas, options, result.log_weights);
    } else {
      result.betas_done = run_generic_ais(model, base, betas, options, result.log_weights);
    }
  };
  if (options.threads > 0) {
    tbb::task_arena arena(options.threads);
    arena.execute(run);
  } else {
    run();
  }
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  result.completed = result.betas_done == result.betas;
  const WeightSummary s = summarise_log_weights(result.log_weights);
  result.zero_weight_runs = s.zero_weights;
  if (!result.completed) return result;
  result.log_z = base.log_z() + s.log_mean;
  result.log_z_low = base.log_z() + s.log_low;
  result.log_z_high = base.log_z() + s.log_high;
  result.relative_standard_error = s.relative_standard_error;
  result.effective_sample_size = s.effective_sample_size;
  return result;
}

}  // namespace dgm::inference
