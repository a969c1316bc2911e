#include "tools/dgm/convergence_summary.h"

#include <cmath>
#include <cstdio>
#include <memory>

#include "inference/model_views/rbm_parameters.h"

namespace dgm::cli {

namespace {

std::string format(const char* spec, double x) {
  char buf[64];
  std::snprintf(buf, sizeof buf, spec, x);
  return buf;
}

std::string rhat_text(double rhat) { return std::isinf(rhat) ? "inf" : format("%.4g", rhat); }

// "x[3] (split-R̂ 1.23)", or "" when R̂ was not computed.
std::string worst_text(const inference::ConvergenceReport& r) {
  if (r.worst_variable < 0) return "";
  return r.worst_variable_name + " (split-R̂ " + rhat_text(r.max_rhat) + ")";
}

std::string one_chain_note(const inference::ConvergenceReport& r) {
  return r.chains == 1 ? "; with one chain R̂ compares its two halves only, run more chains to "
                         "see modes a chain never left"
                       : "";
}

}  // namespace

inference::ConvergenceOptions monitor_options(const engine::CompiledModel& model) {
  inference::ConvergenceOptions o;
  if (auto rbm = inference::rbm_parameters(model)) {
    auto shared = std::make_shared<const inference::RbmParameters>(std::move(*rbm));
    o.log_potential = [shared](std::span<const std::int32_t> states, std::int64_t rows,
                               std::span<double> out) {
      const std::vector<double> f = inference::rbm_log_potentials(*shared, states, rows);
      std::copy(f.begin(), f.end(), out.begin());
    };
  }
  return o;
}

std::vector<std::pair<std::string, std::string>> convergence_warnings(
    const inference::ConvergenceReport& r, double min_ess) {
  std::vector<std::pair<std::string, std::string>> out;
  if (r.worst_variable >= 0 && r.max_rhat > kRhatThreshold) {
    std::string why =
        std::isinf(r.max_rhat)
            ? r.worst_variable_name +
                  " never changed within any chain but differs between chains (split-R̂ inf)"
            : "split-R̂ of " + r.worst_variable_name + " is " + rhat_text(r.max_rhat) + " > " +
                  format("%.2f", kRhatThreshold) + " (the largest over variables)";
    out.emplace_back("high_rhat",
                     why +
                         ": the chains disagree (stuck in different modes, or still drifting); "
                         "run more sweeps, add burn-in or use a sampler that mixes better" +
                         one_chain_note(r));
  }
  if (r.energy.computed() && r.energy.ess < min_ess) {
    std::string message = "the effective sample size of f(x) on " +
                          (r.energy_chains == r.chains ? std::string("every chain")
                                                       : std::to_string(r.energy_chains) + " of " +
                                                             std::to_string(r.chains) + " chains") +
                          " is " + format("%.1f", r.energy.ess) + " < " + format("%g", min_ess) +
                          " (--min-ess): the estimates rest on few " +
                          "independent samples; run more sweeps or chains";
    if (r.worst_variable >= 0) message += "; the least mixed variable is " + worst_text(r);
    out.emplace_back("low_ess", message);
  }
  return out;
}

std::vector<std::string> convergence_lines(const inference::ConvergenceReport& r) {
  std::vector<std::string> lines;
  if (r.rhat_half_length == 0) {
    lines.push_back("mixing     not computed: split-R̂ needs at least 4 kept sweeps per chain");
  } else if (r.worst_variable < 0) {
    lines.push_back("mixing     every variable is clamped");
  } else {
    lines.push_back("mixing     max split-R̂ " + rhat_text(r.max_rhat) + " at " +
                    r.worst_variable_name + " (over variables; halves of " +
                    std::to_string(r.rhat_half_length) + " kept sweeps" +
                    (r.chains == 1 ? ", one chain: its two halves only" : "") + ")");
  }
  if (r.energy.computed()) {
    std::string line = "energy     ESS " + format("%.1f", r.energy.ess) + ", tau_int " +
                       format("%.3g", r.energy.tau_int) + " kept sweeps, split-R̂ " +
                       rhat_text(r.energy.rhat) + " (of f(x) on " +
                       (r.energy_chains == r.chains ? "every chain"
                                                    : std::to_string(r.energy_chains) + " of " +
                                                          std::to_string(r.chains) + " chains") +
                       ", " + std::to_string(r.energy_trace_length) + " points each";
    if (r.energy_trace_stride > 1)
      line += ", one every " + std::to_string(r.energy_trace_stride) + " kept sweeps";
    lines.push_back(line + ")");
  } else if (r.energy_trace_length > 0 && r.energy_trace_length < 4) {
    lines.push_back("energy     not computed: ESS needs at least 4 kept sweeps per chain");
  } else if (r.energy_trace_length >= 4) {
    lines.push_back("energy     not computed: f(x) is not finite in some samples");
  }
  return lines;
}

Json convergence_json(const engine::Graph& graph, const inference::ConvergenceReport& r,
                      double min_ess) {
  const auto trace_json = [&](const inference::TraceDiagnostics& d) -> Json {
    if (!d.computed()) return nullptr;
    return {{"ess", number_or_null(d.ess)},
            {"tau_int", number_or_null(d.tau_int)},
            {"split_rhat", number_or_null(d.rhat)},
            {"split_rhat_status", number_status(d.rhat)},
            {"constant", d.constant}};
  };
  Json groups = Json::array();
  for (const auto& g : r.groups) {
    Json entry = {{"name", g.group}};
    entry["mean_state"] = trace_json(g.mean);
    groups.push_back(entry);
  }
  const bool rhat = r.worst_variable >= 0;
  return {{"chains", r.chains},
          {"kept_sweeps", r.kept_sweeps},
          {"single_chain", r.chains == 1},
          {"rhat_threshold", kRhatThreshold},
          {"rhat_half_length", r.rhat_half_length},
          {"max_split_rhat", rhat ? number_or_null(r.max_rhat) : Json()},
          {"max_split_rhat_status", rhat ? number_status(r.max_rhat) : "not_computed"},
          {"worst_variable", rhat ? variable_json(graph, r.worst_variable) : Json()},
          {"min_ess", min_ess},
          {"energy_chains", r.energy_chains},
          {"energy_points_per_chain", r.energy_trace_length},
          {"energy_stride", r.energy_trace_stride},
          {"energy", trace_json(r.energy)},
          {"group_points_per_chain", r.trace_length},
          {"group_stride", r.trace_stride},
          {"groups", groups}};
}

}  // namespace dgm::cli
