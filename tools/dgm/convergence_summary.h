#pragma once
// What dgm sample and dgm marginals --method SAMPLER say about a run's convergence
// (inference::ConvergenceMonitor): the summary lines, the warnings, and the "mixing" object of
// their JSON documents (docs/json.md; meaning in docs/evaluation.md).
#include <string>
#include <utility>
#include <vector>

#include "inference/metrics/convergence_monitor.h"
#include "tools/dgm/json_output.h"

namespace dgm::cli {

// Split-R̂ above this flags a run (Vehtari et al. 2021 recommend 1.01).
inline constexpr double kRhatThreshold = 1.01;

// The monitor's settings for `model`: the defaults, with f(x) by the RBM's two products
// (inference/model_views/rbm_parameters.h) when the model is RBM-shaped.
inference::ConvergenceOptions monitor_options(const engine::CompiledModel& model);

// (code, message) pairs: "high_rhat" when the largest split-R̂ over variables exceeds 1.01,
// "low_ess" when the effective sample size of f(x) is below `min_ess`. Both name the variable
// of the largest R̂.
std::vector<std::pair<std::string, std::string>> convergence_warnings(
    const inference::ConvergenceReport& report, double min_ess);

// Text lines without a trailing newline, each starting with a label ("mixing", "energy").
std::vector<std::string> convergence_lines(const inference::ConvergenceReport& report);

// The "mixing" object of docs/json.md.
Json convergence_json(const engine::Graph& graph, const inference::ConvergenceReport& report,
                      double min_ess);

}  // namespace dgm::cli
