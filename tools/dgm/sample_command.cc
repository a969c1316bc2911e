// dgm sample MODEL --sampler NAME ...: draw samples with any registered sampler, write them to
// .npy or .csv as they are drawn, and print a summary.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/convergence_summary.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/same_file.h"
#include "tools/dgm/sampling_options.h"

namespace dgm::cli {

namespace {

// Mean log-potential f(x) over kept samples. f is evaluated by the generic path (every
// factor), so it is computed on about 256 evenly spaced samples to keep its cost small next to
// sampling, whatever the model's size.
class LogPotentialSummary : public inference::RunObserver {
 public:
  LogPotentialSummary(const engine::CompiledModel& model, std::int64_t expected_samples)
      : model_(model), every_(std::max<std::int64_t>(1, expected_samples / 256)) {}
  void on_sample(std::int64_t /*sweep*/, const inference::Chains& chains) override {
    for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
      if (seen_++ % every_ != 0) continue;
      const double f = engine::total_log_potential(model_, chains.chain(b));
      // A state of probability zero (an approximate sampler's invalid decoding) has f = −∞:
      // counted apart, so that the mean is over the possible states instead of −∞ (or, from
      // −∞ − (−∞) in the running mean, NaN).
      if (f == -std::numeric_limits<double>::infinity()) {
        ++impossible_;
        continue;
      }
      // A running mean: a sum of log-potentials near engine::kMaxLogPotentialScale would
      // overflow.
      ++count_;
      mean_ += (f - mean_) / static_cast<double>(count_);
    }
  }
  // Over the evaluated samples of positive probability; −∞ when every evaluated one has
  // probability zero, NaN when none was evaluated.
  double mean() const {
    if (count_ > 0) return mean_;
    return impossible_ > 0 ? -std::numeric_limits<double>::infinity() : std::nan("");
  }
  std::int64_t evaluated() const { return count_ + impossible_; }
  std::int64_t impossible() const { return impossible_; }
  std::int64_t seen() const { return seen_; }

 private:
  const engine::CompiledModel& model_;
  std::int64_t every_, seen_ = 0, count_ = 0, impossible_ = 0;
  double mean_ = 0.0;
};

struct SampleOptions {
  ModelOptions model;
  SamplingOptions sampling;
  std::string out;
  std::string format = "text";
};

void run_sample(const SampleOptions& opt) {
  const engine::CompiledModel model = opt.model.load();
  const engine::Graph& g = *model.graph;
  // Every input is read and every flag checked before any file is opened for writing.
  SamplingOptions sampling = opt.sampling;
  sampling.limits = opt.model.compile;  // --max-chain-states, --max-memory
  PreparedSession prepared = prepare_session(model, sampling);
  inference::Session& session = *prepared.session;
  std::string out = opt.out;
  bool append = false;
  if (!prepared.resumed_samples.empty() &&
      (out.empty() || same_file(out, prepared.resumed_samples))) {
    out = prepared.resumed_samples;  // a resumed run continues its samples file
    append = true;
  }
  for (const std::string* input :
       {&opt.model.path, &opt.sampling.config, &opt.sampling.init_rows, &opt.model.evidence}) {
    if (!out.empty() && !input->empty() && same_file(out, *input))
      throw Error("--out " + out + " is also an input (" + *input +
                  "); write the samples to another file");
  }
  std::unique_ptr<inference::SampleWriter> writer;
  if (!out.empty())
    writer = std::make_unique<inference::SampleWriter>(out, g, append ? prepared.resumed_rows : -1);
  // The session is saved beside the samples file (or back into the session file resumed).
  const std::string checkpoint = !out.empty() ? session_path_for(out) : prepared.resumed_from;
  inference::MarginalEstimator marginals(g);
  const std::int64_t kept_estimate = std::max<std::int64_t>(
      0, (prepared.sweeps - std::max<std::int64_t>(0, session.burn_in() - session.sweeps_done())) /
             session.thin());
  LogPotentialSummary energy(model, kept_estimate * session.num_chains());
  // Split-R̂ and ESS of this run's kept samples (a resumed run's earlier samples are not seen).
  inference::ConvergenceMonitor monitor(model, session.num_chains(), monitor_options(model));
  std::vector<inference::RunObserver*> observers = {&marginals, &energy, &monitor};
  if (writer) observers.push_back(writer.get());
  const inference::RunSummary summary =
      run_session(session, prepared.sweeps, observers, checkpoint,
                  [&] { return writer ? writer->rows() : std::int64_t{0}; });
  SamplingRun run = describe_run(session, summary, prepared.sweeps);

  const auto& s = run.summary;
  const double site_rate = s.seconds > 0 ? s.totals.site_updates / s.seconds : 0.0;
  const std::vector<double> p = marginals.marginals();
  const std::string approximation = sampler_approximation(run.sampler_name);
  const std::int64_t first = session.sweeps_done() - s.sweeps_done;
  const inference::ConvergenceReport convergence = monitor.report();
  const auto mixing_warnings = convergence_warnings(convergence, opt.sampling.min_ess);
  for (const auto& [code, message] : mixing_warnings)
    std::fprintf(stderr, "dgm: warning: %s\n", message.c_str());
  if (opt.format == "json") {
    // docs/json.md, "dgm sample".
    Json j = json_document("sample", opt.model.path);
    j["method"] = run.sampler_name;
    j["sampler"] = run.sampler_name;
    j["exact"] = false;
    j["sampler_exact"] = approximation.empty();
    j["approximation"] = approximation.empty() ? Json() : Json(approximation);
    std::string detail;
    for (const auto& info : inference::sampler_registry())
      if (info.name == run.sampler_name) detail = info.description;
    j["detail"] = detail;
    j["clamped_variables"] = model.num_clamped();
    Json groups = groups_json(g);
    for (std::size_t gi = 0; gi < g.groups.size(); ++gi) {
      const auto& group = g.groups[gi];
      double mean = 0;
      for (std::int32_t i = 0; i < group.size; ++i)
        for (std::int32_t k = 0; k < group.cardinality; ++k)
          mean += k * p[g.state_offset[group.first + i] + k];
      mean = group.size ? mean / group.size : 0.0;
      const bool any = s.kept_sweeps > 0;
      groups[gi]["mean_state"] = any ? Json(mean) : Json();
      groups[gi]["mean_spin"] = any && group.cardinality == 2 ? Json(2 * mean - 1) : Json();
    }
    j["groups"] = groups;
    j["run"] = {
        {"chains", run.chains.num_chains()},
        {"sweeps", s.sweeps_done},
        {"burn_in", run.config.run().burn_in()},
        {"thin", run.config.run().thin()},
        {"kept_sweeps", s.kept_sweeps},
        {"samples", s.kept_sweeps * run.chains.num_chains()},
        {"seed", run.config.run().seed()},
        {"threads", run.config.run().threads()},
        {"interrupted", s.stopped_early},
        {"first_sweep", first},
        {"resumed_from", prepared.resumed_from.empty() ? Json() : Json(prepared.resumed_from)},
        {"session", checkpoint.empty() ? Json() : Json(checkpoint)}};
    j["seconds"] = s.seconds;
    j["site_updates_per_second"] = site_rate;
    const double mean_f = energy.mean();
    j["mean_log_potential"] = number_or_null(mean_f);
    j["mean_log_potential_status"] =
        energy.evaluated() == 0 ? "not_computed" : number_status(mean_f);
    j["mean_log_potential_samples"] = energy.evaluated();
    j["mean_log_potential_zero_probability"] = energy.impossible();
    j["acceptance"] = run.has_acceptance && s.totals.proposals > 0
                          ? Json(static_cast<double>(s.totals.accepted) / s.totals.proposals)
                          : Json();
    j["proposals"] = s.totals.proposals;
    j["changed_per_proposal"] =
        s.totals.proposals > 0 ? Json(static_cast<double>(s.totals.changed) / s.totals.proposals)
                               : Json();
    j["invalid_samples"] = s.totals.invalid;
    Json figures = Json::object();
    for (const auto& f : run.figures)
      figures[f.name] = {{"value", number_or_null(f.value)},
                         {"standard_error", number_or_null(f.standard_error)},
                         {"description", f.description}};
    j["figures"] = figures;
    j["mixing"] = convergence_json(g, convergence, opt.sampling.min_ess);
    j["out"] = writer ? Json{{"path", out},
                             {"rows", writer->rows()},
                             {"dtype", writer->dtype() == "|u1"   ? "uint8"
                                       : writer->dtype() == "<i4" ? "int32"
                                                                  : writer->dtype()},
                             {"appended", append}}
                      : Json();
    Json warnings = Json::array();
    if (s.stopped_early)
      warnings.push_back(warning_json("interrupted", "stopped by Ctrl-C before the last sweep"));
    if (s.totals.invalid > 0)
      warnings.push_back(warning_json("invalid_samples", std::to_string(s.totals.invalid) +
                                                             " samples violate a hard constraint"));
    if (!approximation.empty())
      warnings.push_back(warning_json("approximate_sampler", approximation));
    for (const auto& [code, message] : mixing_warnings)
      warnings.push_back(warning_json(code, message));
    j["warnings"] = warnings;
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("sampler    %s, %d chains, seed %llu\n", run.sampler_name.c_str(),
              run.chains.num_chains(), static_cast<unsigned long long>(run.config.run().seed()));
  if (!approximation.empty()) std::printf("note       %s\n", approximation.c_str());
  if (first > 0)
    std::printf("resumed    %s at sweep %lld\n", prepared.resumed_from.c_str(),
                static_cast<long long>(first));
  std::printf("sweeps     %lld%s (burn-in %lld, thin %lld): %lld samples kept\n",
              static_cast<long long>(s.sweeps_done), s.stopped_early ? " (interrupted)" : "",
              static_cast<long long>(run.config.run().burn_in()),
              static_cast<long long>(run.config.run().thin()),
              static_cast<long long>(s.kept_sweeps * run.chains.num_chains()));
  std::printf("time       %.3f s, %.3g site updates/s\n", s.seconds, site_rate);
  if (run.has_acceptance && s.totals.proposals > 0)
    std::printf("acceptance %.4f\n", static_cast<double>(s.totals.accepted) / s.totals.proposals);
  if (s.totals.proposals > 0)
    std::printf(
        "moves      %.4g variables changed per proposal (accepted or not), %lld proposals\n",
        static_cast<double>(s.totals.changed) / s.totals.proposals,
        static_cast<long long>(s.totals.proposals));
  if (s.totals.invalid > 0)
    std::printf("invalid    %lld samples violate a hard constraint\n",
                static_cast<long long>(s.totals.invalid));
  for (const auto& f : run.figures) {
    if (std::isnan(f.standard_error))
      std::printf("%s = %.6g  (%s)\n", f.name.c_str(), f.value, f.description.c_str());
    else
      std::printf("%s = %.6g ± %.2g  (%s)\n", f.name.c_str(), f.value, f.standard_error,
                  f.description.c_str());
  }
  if (energy.evaluated() > 0) {
    if (energy.evaluated() < energy.seen())
      std::printf(
          "mean f(x)  %.6g (log-potential, natural log; energy = -f) over %lld evenly spaced of "
          "the %lld kept samples (f is evaluated factor by factor, so on a subset)\n",
          energy.mean(), static_cast<long long>(energy.evaluated()),
          static_cast<long long>(energy.seen()));
    else
      std::printf("mean f(x)  %.6g (log-potential, natural log; energy = -f) over %lld samples\n",
                  energy.mean(), static_cast<long long>(energy.evaluated()));
    if (energy.impossible() > 0)
      std::printf("           %lld of them have probability zero (f = -inf)%s\n",
                  static_cast<long long>(energy.impossible()),
                  energy.impossible() < energy.evaluated() ? " and are not in the mean" : "");
  }
  for (const std::string& line : convergence_lines(convergence)) std::printf("%s\n", line.c_str());
  for (const auto& group : g.groups) {
    if (s.kept_sweeps == 0) {  // no samples, no means (the JSON says null)
      std::printf("group      %-16s no samples kept\n", group.name.c_str());
      continue;
    }
    double mean = 0;
    for (std::int32_t i = 0; i < group.size; ++i)
      for (std::int32_t k = 0; k < group.cardinality; ++k)
        mean += k * p[g.state_offset[group.first + i] + k];
    mean = group.size ? mean / group.size : 0.0;
    if (group.cardinality == 2)
      std::printf("group      %-16s mean x %.4f (mean spin 2x-1 %.4f)\n", group.name.c_str(), mean,
                  2 * mean - 1);
    else
      std::printf("group      %-16s mean state %.4f\n", group.name.c_str(), mean);
  }
  if (writer)
    std::printf("wrote      %s: %lld rows x %d variables (%s)%s\n", out.c_str(),
                static_cast<long long>(writer->rows()), g.num_variables(), writer->dtype().c_str(),
                append ? ", appended" : "");
  if (!checkpoint.empty())
    std::printf("session    %s (continue with --resume %s)\n", checkpoint.c_str(),
                (out.empty() ? checkpoint : out).c_str());
}

}  // namespace

void register_sample(CLI::App& app) {
  auto* cmd = app.add_subcommand("sample", "draw samples with a sampler and write them to a file");
  auto opt = std::make_shared<SampleOptions>();
  opt->model.add_to(*cmd);
  opt->sampling.add_to(*cmd, /*with_sampler_flag=*/true);
  cmd->add_option("--out", opt->out,
                  "samples file (.npy or .csv), written as samples are drawn; the session is "
                  "saved beside it as OUT.session (at the end, on Ctrl-C and every minute) so that "
                  "--resume OUT continues the run");
  cmd->add_option("--format", opt->format, "summary format: text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([opt] { run_sample(*opt); });
}

void register_samplers(CLI::App& app) {
  auto* cmd = app.add_subcommand("samplers", "list the registered samplers");
  cmd->callback([] {
    for (const auto& info : inference::sampler_registry())
      std::printf("%-20s %s (settings: %s)\n", info.name.c_str(), info.description.c_str(),
                  info.config_field.c_str());
  });
}

}  // namespace dgm::cli
