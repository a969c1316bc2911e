// dgm marginals / map / logz with --method exact (junction tree), enumerate (brute force),
// bp (belief propagation: sum-product marginals and Bethe log Z, max-product MAP), or, for
// marginals, any registered sampler; for logz, ais (annealed importance sampling, compared with
// the exact log Z when that is cheap).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <utility>
#include <vector>

#include "dgm.h"
#include "tools/dgm/ais_options.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/convergence_summary.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/progress.h"
#include "tools/dgm/same_file.h"
#include "tools/dgm/sampling_options.h"

namespace dgm::cli {

namespace {

enum class Query { kMarginals, kMap, kLogZ };

struct QueryOptions {
  ModelOptions model;
  std::string method = "exact";
  std::string format = "text";
  std::string out;
  std::int64_t max_table_size = inference::ExactOptions{}.max_table_entries;
  std::int64_t max_configurations = inference::EnumerationOptions{}.max_configurations;
  SamplingOptions sampling;  // when the method is a sampler (dgm marginals only)
  // --method ais (dgm logz only): the run, and the data whose visible marginals make the base.
  AisCliOptions ais;
  std::string data;
  std::vector<std::string> visible;
  std::vector<CLI::Option*> ais_data_flags;  // --data, --visible
  // --config: a BeliefPropagationConfig for --method bp, a SamplerConfig for a sampler. In dgm
  // marginals it is SamplingOptions::config.
  std::string config;
  // --method bp; flags not given keep the configuration file's values, then the defaults of
  // the query (inference/bp/bp_params.h).
  std::string schedule = "flooding";
  std::int32_t iterations = 0;
  double damping = 0.0, tolerance = 0.0, temperature = 0.0;
  // The options, to tell "given" from "default" (CLI::Option::count()).
  std::vector<CLI::Option*> bp_flags;        // --schedule ... --temperature
  std::vector<CLI::Option*> sampling_flags;  // --chains ... --resume (dgm marginals)
  CLI::Option *schedule_flag = nullptr, *iterations_flag = nullptr, *damping_flag = nullptr,
              *tolerance_flag = nullptr, *temperature_flag = nullptr;

  const std::string& config_path() const { return config.empty() ? sampling.config : config; }
};

std::string number_text(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

// `--method exact` is the junction tree's marginals, never the sampler of the same name: the
// sampler's estimates converge to exactly those numbers, on exactly the models the junction
// tree affords, so routing the name to the tree loses nothing (docs/decisions.md, "The exact
// sampler's name").
bool is_sampler(const std::string& method) {
  return method != "exact" && method != "enumerate" && method != "bp" && method != "ais";
}

// Flags given that do not apply to the method are errors, not silently ignored.
void check_flags_apply(const QueryOptions& opt) {
  const auto given = [](const std::vector<CLI::Option*>& flags) -> std::string {
    for (const CLI::Option* o : flags)
      if (o != nullptr && o->count() > 0) return o->get_name();
    return "";
  };
  if (const std::string flag = given(opt.bp_flags); !flag.empty() && opt.method != "bp")
    throw Error(flag + " applies to --method bp only (got --method " + opt.method + ")");
  if (const std::string flag = given(opt.sampling_flags); !flag.empty() && !is_sampler(opt.method))
    throw Error(flag + " applies to sampler methods only (see `dgm samplers`; got --method " +
                opt.method + ")" +
                (opt.method == "exact"
                     ? ". --method exact computes the marginals on the junction tree, without "
                       "sampling; exact samples come from `dgm sample --sampler exact`"
                     : ""));
  std::string ais_flag = opt.ais.given_flag();
  if (ais_flag.empty()) ais_flag = given(opt.ais_data_flags);
  if (!ais_flag.empty() && opt.method != "ais")
    throw Error(ais_flag + " applies to --method ais only (got --method " + opt.method + ")");
  if (!opt.visible.empty() && opt.data.empty())
    throw Error("--visible names the columns of --data; give --data too");
  if (!opt.config_path().empty() && opt.method != "bp" && !is_sampler(opt.method))
    throw Error(
        "--config applies to --method bp (a BeliefPropagationConfig) or a sampler (a "
        "SamplerConfig); --method " +
        opt.method + " takes no configuration file");
}

// The BeliefPropagationConfig of --config (protobuf text), or the defaults when none is given.
proto::BeliefPropagationConfig read_bp_config(const std::string& path) {
  proto::BeliefPropagationConfig config;
  if (path.empty()) return config;
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the BP configuration (--config)");
  std::stringstream text;
  text << in.rdbuf();
  try {
    engine::parse_text_message(text.str(), path, config);
  } catch (const Error& e) {
    throw Error(std::string(e.what()) +
                " (--method bp reads --config as a BeliefPropagationConfig in protobuf text, "
                "e.g. `schedule: SEQUENTIAL damping: 0.8 max_iterations: 500`; see "
                "proto/dgm/sampler.proto)");
  }
  return config;
}

inference::bp::BpParams bp_params_from(const QueryOptions& opt, Query query) {
  const std::string& path = opt.config_path();
  inference::bp::BpParams p = inference::bp::bp_params(
      read_bp_config(path),
      query == Query::kMap ? inference::bp::BpPurpose::kMap : inference::bp::BpPurpose::kMarginals);
  if (!path.empty()) {
    try {
      inference::bp::validate(p);
    } catch (const Error& e) {
      throw Error(path + ": " + e.what());
    }
  }
  if (opt.schedule_flag->count() > 0) {
    p.schedule = opt.schedule == "sequential" ? inference::bp::Schedule::kSequential
                 : opt.schedule == "residual" ? inference::bp::Schedule::kResidual
                                              : inference::bp::Schedule::kFlooding;
  }
  // Given values are used as given (NaN, 0, negative), so that validate() rejects them.
  if (opt.iterations_flag->count() > 0) p.max_iterations = opt.iterations;
  if (opt.damping_flag->count() > 0) p.damping = opt.damping;
  if (opt.tolerance_flag->count() > 0) p.tolerance = opt.tolerance;
  if (opt.temperature_flag->count() > 0) p.temperature = opt.temperature;
  inference::bp::validate(p);
  if (query == Query::kLogZ && p.temperature != 1.0)
    throw Error("the Bethe log Z needs sum-product BP: temperature 1 (got " +
                number_text(p.temperature) +
                (path.empty() ? "" : "; settings from --config " + path + " and the flags") + ")");
  return p;
}

std::string bp_detail(const inference::bp::BpParams& p, inference::bp::MessageMode mode,
                      const inference::bp::BpStatus& status, const engine::Graph& g) {
  std::ostringstream out;
  out << "belief propagation ("
      << (p.temperature == 0.0   ? "max-product"
          : p.temperature == 1.0 ? "sum-product"
                                 : "soft max-product");
  if (p.temperature != 0.0 && p.temperature != 1.0) out << " at temperature " << p.temperature;
  out << ", "
      << (p.schedule == inference::bp::Schedule::kFlooding     ? "flooding"
          : p.schedule == inference::bp::Schedule::kSequential ? "sequential"
                                                               : "residual")
      << ", damping " << p.damping << ", "
      << (mode == inference::bp::MessageMode::kBinaryRatio ? "binary log-ratio messages"
                                                           : "full messages")
      << "): " << inference::bp::describe(status, p, g);
  return out.str();
}

// What every method returns, whatever it computed.
struct Answer {
  double log_z = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> marginals;
  std::vector<std::int32_t> map_state;
  double map_log_potential = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> standard_errors;  // sampling methods: batch-means standard errors
  std::string method_detail;
  bool approximate_log_z = false;  // log Z is an estimate (Bethe) or absent (NaN) by design
  // Whether the answer is exact (up to rounding); when not, why, in a few words.
  bool exact = false;
  std::string approximation;
  // --method bp: the settings and how the run ended.
  std::optional<inference::bp::BpParams> bp;
  inference::bp::BpStatus bp_status;
  inference::bp::MessageMode bp_mode = inference::bp::MessageMode::kFull;
  std::int32_t decimation_rounds = 0, repair_rounds = 0;
  // Sampling methods.
  std::string sampler;
  std::int32_t chains = 0;
  std::int64_t kept_sweeps = 0;
  bool interrupted = false;
  std::optional<inference::ConvergenceReport> convergence;
  // --method ais: the run, its base ("uniform" or "data_marginals") and the exact log Z to
  // compare with when it was cheap.
  std::optional<inference::AisResult> ais;
  std::string ais_base;
  std::optional<ExactReference> reference;
  std::vector<std::pair<std::string, std::string>> warnings;  // (code, message)
};

// "converged", "oscillating", "not_converged", "fixed_iterations" (tolerance 0: a fixed
// amount of work, never "converged") or "interrupted".
const char* convergence_status(const inference::bp::BpStatus& s, const inference::bp::BpParams& p) {
  if (s.interrupted) return "interrupted";
  if (s.converged) return "converged";
  if (p.tolerance == 0.0) return "fixed_iterations";
  return s.oscillating ? "oscillating" : "not_converged";
}

const char* schedule_name(inference::bp::Schedule schedule) {
  switch (schedule) {
    case inference::bp::Schedule::kFlooding:
      return "flooding";
    case inference::bp::Schedule::kSequential:
      return "sequential";
    case inference::bp::Schedule::kResidual:
      return "residual";
  }
  return "flooding";
}

Answer solve(const engine::CompiledModel& model, const QueryOptions& opt, Query query) {
  Answer a;
  if (opt.method == "exact") {
    inference::ExactOptions eo;
    eo.max_table_entries = opt.max_table_size;
    eo.log_z = true;
    eo.marginals = query == Query::kMarginals;
    eo.map = query == Query::kMap;
    const inference::ExactResult r = inference::exact_inference(model, eo);
    a.log_z = r.log_z;
    a.marginals = r.marginals;
    a.map_state = r.map_state;
    a.map_log_potential = r.map_log_potential;
    a.method_detail = "junction tree, induced width " + std::to_string(r.induced_width);
    a.exact = true;
  } else if (opt.method == "bp") {
    const inference::bp::BpParams p = bp_params_from(opt, query);
    InterruptGuard interrupt;
    const BpProgress progress("bp", p.max_iterations);
    a.approximate_log_z = true;
    a.bp = p;
    if (query == Query::kMap) {
      const inference::bp::BpMap r = inference::bp::bp_map(model, p, progress.observer());
      a.map_state = r.state;
      a.map_log_potential = r.log_potential;
      a.bp_status = r.status;
      a.bp_mode = r.mode;
      a.decimation_rounds = r.decimation_rounds;
      a.repair_rounds = r.repair_rounds;
      if (!r.violation.empty() && r.status.contradiction_variable < 0) {
        throw Error(
            opt.model.path +
            ": BP MAP decoding failed: the decoded state violates a hard factor (" + r.violation +
            ") and decimation did not repair it" +
            (r.repair_rounds > 0 ? " in " + std::to_string(r.repair_rounds) + " round(s)" : "") +
            "; max-product " + inference::bp::describe(r.status, p, *model.graph) +
            ". The hard constraints may have no solution (--method exact decides); "
            "otherwise try more --iterations or another --damping or --schedule");
      }
    } else {
      const inference::bp::BpMarginals r =
          inference::bp::bp_marginals(model, p, progress.observer());
      a.marginals = r.marginals;
      a.log_z = r.log_z;
      a.bp_status = r.status;
      a.bp_mode = r.mode;
    }
    const inference::bp::BpStatus& status = a.bp_status;
    a.method_detail = bp_detail(p, a.bp_mode, status, *model.graph);
    if (a.decimation_rounds > 0)
      a.method_detail += "; then " + std::to_string(a.decimation_rounds) +
                         " round(s) of decimation on tied max-marginals";
    if (a.repair_rounds > 0)
      a.method_detail += "; then " + std::to_string(a.repair_rounds) +
                         " round(s) of decimation repairing a violated hard factor";
    if (status.contradiction_variable >= 0)
      throw Error(opt.model.path + ": " + inference::bp::describe(status, p, *model.graph));
    const std::string how = convergence_status(status, p);
    if (how == "not_converged" || how == "oscillating") {
      const std::string message = "BP " + inference::bp::describe(status, p, *model.graph);
      std::fprintf(stderr, "dgm: warning: %s\n", message.c_str());
      a.warnings.emplace_back(how, message);
    } else if (how == "interrupted") {
      a.warnings.emplace_back(how, "BP was interrupted (Ctrl-C) after " +
                                       std::to_string(status.iterations) + " iterations");
    }
    // Exact: sum-product (marginals, log Z) or max-product (MAP) that converged on a
    // factor-graph tree, without a repair of its decoding.
    const bool tree = model.graph->analysis.factor_graph_forest;
    const bool right_temperature =
        query == Query::kMap ? p.temperature == 0.0 : p.temperature == 1.0;
    a.exact = tree && status.converged && right_temperature && a.repair_rounds == 0;
    if (!right_temperature)
      a.approximation = query == Query::kMap
                            ? "soft max-product decoding (temperature not 0)"
                            : "normalised beliefs at a temperature other than 1, not marginals";
    else if (!tree)
      a.approximation = "loopy belief propagation: the factor graph has cycles";
    else if (!status.converged)
      a.approximation = "belief propagation stopped before converging";
    else if (a.repair_rounds > 0)
      a.approximation = "decoding repaired by decimation";
  } else if (opt.method == "ais") {
    inference::AisOptions o = opt.ais.options();
    a.ais_base = "uniform";
    if (!opt.data.empty()) {
      const learning::Dataset data = learning::read_dataset(opt.data);
      const learning::VisibleLayout layout =
          learning::visible_layout(*model.graph, opt.visible, data.width, data.source);
      learning::validate_dataset(data, model, layout);
      o.base_log_potentials = learning::ais_base_from_data(model, data, layout);
      a.ais_base = "data_marginals";
    }
    a.ais = run_ais(model, o);
    a.log_z = a.ais->log_z;
    a.approximate_log_z = true;
    a.exact = false;
    a.approximation = kAisApproximation;
    a.method_detail = ais_detail(
        *a.ais, a.ais_base == "uniform" ? "uniform" : "visible marginals of " + opt.data);
    if (!a.ais->completed) {
      a.warnings.emplace_back(
          "interrupted", "AIS was interrupted (Ctrl-C) after " + std::to_string(a.ais->betas_done) +
                             " of " + std::to_string(a.ais->betas) + " βs; there is no estimate");
      return a;
    }
    if (a.ais->zero_weight_runs > 0)
      a.warnings.emplace_back(
          "zero_weight_runs",
          std::to_string(a.ais->zero_weight_runs) + " of " + std::to_string(a.ais->runs) +
              " runs started in a state the model forbids (weight 0); the effective sample "
              "size counts the rest");
    if (a.ais->effective_sample_size < 0.1 * a.ais->runs) {
      const std::string message =
          "the importance weights are dominated by a few runs (effective sample size " +
          number_text(a.ais->effective_sample_size) + " of " + std::to_string(a.ais->runs) +
          "): the interval is not to be trusted; use more βs";
      std::fprintf(stderr, "dgm: warning: %s\n", message.c_str());
      a.warnings.emplace_back("low_effective_sample_size", message);
    }
    a.reference = cheap_exact_log_z(model, opt.max_table_size);
  } else if (opt.method != "enumerate") {
    inference::MarginalEstimator estimator(*model.graph);
    inference::RunObserver* observers[] = {&estimator};
    SamplingOptions so = opt.sampling;
    so.sampler = opt.method;
    so.limits = opt.model.compile;  // --max-chain-states, --max-memory
    const SamplingRun run = run_sampling(model, so, observers);
    a.marginals = estimator.marginals();
    a.standard_errors = estimator.standard_errors();
    a.sampler = run.sampler_name;
    a.chains = run.chains.num_chains();
    a.kept_sweeps = run.summary.kept_sweeps;
    a.interrupted = run.summary.stopped_early;
    if (a.kept_sweeps == 0)
      throw Error(std::string("no samples were kept (") +
                  (a.interrupted ? "interrupted during the burn-in"
                                 : "--burn-in " + std::to_string(so.burn_in) + " of --sweeps " +
                                       std::to_string(so.sweeps)) +
                  "), so there are no marginals to estimate");
    if (a.chains < 2) {
      const std::string message =
          "one chain: the marginals have no error bars (the batch-means standard error compares "
          "chains; run --chains 2 or more)";
      std::fprintf(stderr, "dgm: warning: %s\n", message.c_str());
      a.warnings.emplace_back("no_error_bars", message);
    }
    a.method_detail =
        run.sampler_name + ", " + std::to_string(run.chains.num_chains()) + " chains, " +
        std::to_string(run.summary.kept_sweeps) + " kept sweeps each" +
        (run.summary.stopped_early ? " (interrupted)" : "") +
        (a.chains < 2 ? "; no error bars with one chain" : "; ± batch-means standard error");
    a.approximation = a.chains < 2 ? "Monte Carlo estimate (no error bars: one chain)"
                                   : "Monte Carlo estimate (± batch-means standard errors)";
    if (const std::string bias = sampler_approximation(run.sampler_name); !bias.empty())
      a.approximation += "; " + bias;
    if (a.interrupted)
      a.warnings.emplace_back("interrupted", "sampling was interrupted (Ctrl-C) after " +
                                                 std::to_string(a.kept_sweeps) + " kept sweeps");
    a.convergence = run.convergence;
    for (const auto& [code, message] : convergence_warnings(run.convergence, so.min_ess)) {
      std::fprintf(stderr, "dgm: warning: %s\n", message.c_str());
      a.warnings.emplace_back(code, message);
    }
  } else {
    inference::EnumerationOptions eo;
    eo.max_configurations = opt.max_configurations;
    eo.marginals = query == Query::kMarginals;
    eo.map = query == Query::kMap;
    const inference::EnumerationResult r = inference::enumerate(model, eo);
    a.log_z = r.log_z;
    a.marginals = r.marginals;
    a.map_state = r.map_state;
    a.map_log_potential = r.map_log_potential;
    a.method_detail = "enumeration of " + std::to_string(r.num_configurations) + " configurations";
    a.exact = true;
  }
  return a;
}

std::string state_label(const engine::VariableGroupInfo& group, std::int32_t k) {
  return group.state_names.empty() ? std::to_string(k) : group.state_names[k];
}

// dgm logz --method ais: the estimate, its interval, the weights' effective sample size and,
// when cheap, the exact log Z and the distance to it.
void print_ais_text(std::ostream& out, const Answer& a) {
  const inference::AisResult& r = *a.ais;
  char buf[256];
  if (!r.completed) {
    out << "log Z    (none: interrupted after " << r.betas_done << " of " << r.betas << " βs)\n";
    return;
  }
  std::snprintf(buf, sizeof buf, "log Z    %.10g  (natural log, AIS estimate)\n", r.log_z);
  out << buf;
  std::snprintf(
      buf, sizeof buf,
      "log Z interval  [%.10g, %.10g]  (log(Ẑ ∓ 3σ), σ the standard error of the mean weight)\n",
      r.log_z_low, r.log_z_high);
  out << buf;
  std::snprintf(buf, sizeof buf, "log10 Z  %.10g\n", r.log_z / std::log(10.0));
  out << buf;
  std::snprintf(buf, sizeof buf, "effective sample size  %.1f of %d runs%s\n",
                r.effective_sample_size, r.runs,
                r.zero_weight_runs > 0
                    ? (" (" + std::to_string(r.zero_weight_runs) + " of weight 0)").c_str()
                    : "");
  out << buf;
  if (a.reference) {
    const double d = r.log_z - a.reference->log_z;
    const bool inside = r.log_z_low <= a.reference->log_z && a.reference->log_z <= r.log_z_high;
    std::snprintf(
        buf, sizeof buf, "exact log Z  %.10g  (%s); AIS − exact = %.3g, %s the interval\n",
        a.reference->log_z,
        a.reference->method == "rbm_enumeration" ? "RBM: one layer enumerated" : "junction tree", d,
        inside ? "inside" : "outside");
    out << buf;
  }
}

// log p(x*) = f(x*) − log Z is a difference of two sums over the factors: its rounding error
// is up to about one ulp of the larger per factor. Near dgm's numerical range that is more than
// log p itself (f = 9e306 gives log p = 0 where the answer is −log 2), so the summaries say how
// far the figure can be trusted whenever that is coarser than 1e-6.
double log_probability_resolution(const engine::CompiledModel& model, const Answer& a) {
  const double scale = std::max(std::abs(a.map_log_potential), std::abs(a.log_z));
  if (!std::isfinite(scale)) return std::nan("");
  const double ulp = std::nextafter(scale, std::numeric_limits<double>::infinity()) - scale;
  return ulp * static_cast<double>(model.graph->num_factors() + 1);
}

void print_text(std::ostream& out, const engine::CompiledModel& model, const Answer& a, Query query,
                const QueryOptions& opt) {
  const engine::Graph& g = *model.graph;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.10g", a.log_z);
  out << "# " << opt.model.path << ": " << a.method_detail << "\n";
  out << "# answer: " << (a.exact ? "exact" : "approximate (" + a.approximation + ")") << "\n";
  if (model.num_clamped() > 0)
    out << "# evidence: " << model.num_clamped() << " clamped variable(s)\n";
  if (a.convergence)
    for (const std::string& line : convergence_lines(*a.convergence)) out << "# " << line << "\n";
  if (query == Query::kLogZ && a.ais) {
    print_ais_text(out, a);
    return;
  }
  if (query == Query::kLogZ) {
    out << "log Z    " << buf << "  (natural log" << (a.approximate_log_z ? ", Bethe estimate" : "")
        << ")\n";
    std::snprintf(buf, sizeof buf, "%.10g", a.log_z / std::log(10.0));
    out << "log10 Z  " << buf << "\n";
    return;
  }
  if (!std::isnan(a.log_z))
    out << "# log Z = " << buf << " (natural log" << (a.approximate_log_z ? ", Bethe estimate" : "")
        << ")\n";
  if (query == Query::kMarginals) {
    out << "# p(x_i = k | evidence) for every variable; * marks clamped variables\n";
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      const auto& group = g.groups[g.group_of(v)];
      out << g.variable_name(v) << (model.evidence[v] != engine::kFree ? "*" : "");
      for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
        const std::int64_t i = g.state_offset[v] + k;
        if (a.standard_errors.empty())
          std::snprintf(buf, sizeof buf, "%.6f", a.marginals[i]);
        else if (std::isnan(a.standard_errors[i]))  // one chain: no error bar (a warning says)
          std::snprintf(buf, sizeof buf, "%.4f", a.marginals[i]);
        else
          std::snprintf(buf, sizeof buf, "%.4f±%.4f", a.marginals[i], a.standard_errors[i]);
        out << "  " << state_label(group, k) << ": " << buf;
      }
      out << "\n";
    }
    return;
  }
  std::snprintf(buf, sizeof buf, "%.10g", a.map_log_potential);
  out << "# MAP log-potential f(x*) = " << buf;
  if (!std::isnan(a.log_z)) {
    std::snprintf(buf, sizeof buf, "%.10g", a.map_log_potential - a.log_z);
    out << "; log p(x* | evidence) = " << buf;
    if (const double r = log_probability_resolution(model, a); r > 1e-6) {
      std::snprintf(buf, sizeof buf, "%.2g", r);
      out << " (to within " << buf << ": a difference of two numbers this large)";
    }
  }
  out << "\n";
  for (const auto& group : g.groups) {
    out << group.name << " =";
    for (std::int32_t i = 0; i < group.size; ++i)
      out << " " << state_label(group, a.map_state[group.first + i]);
    out << "\n";
  }
}

// The documents of docs/json.md.
void print_json(std::ostream& out, const engine::CompiledModel& model, const Answer& a, Query query,
                const QueryOptions& opt) {
  const engine::Graph& g = *model.graph;
  Json j = json_document(query == Query::kLogZ  ? "logz"
                         : query == Query::kMap ? "map"
                                                : "marginals",
                         opt.model.path);
  j["method"] = opt.method;
  j["exact"] = a.exact;
  j["approximation"] = a.exact ? Json(nullptr) : Json(a.approximation);
  j["detail"] = a.method_detail;
  j["clamped_variables"] = model.num_clamped();
  j["groups"] = groups_json(g);
  j["log_base"] = "e";
  j["log_z"] = number_or_null(a.log_z);
  j["log_z_status"] = std::isnan(a.log_z) ? "not_computed" : number_status(a.log_z);
  j["log_z_kind"] = std::isnan(a.log_z)   ? Json(nullptr)
                    : a.ais               ? Json("ais_estimate")
                    : a.approximate_log_z ? Json("bethe_estimate")
                                          : Json("exact");
  if (query == Query::kLogZ) {
    j["log10_z"] = number_or_null(a.log_z / std::log(10.0));
    j["ais"] = a.ais ? ais_json(*a.ais, opt.ais, a.ais_base, opt.data) : Json(nullptr);
    if (a.reference && a.ais && a.ais->completed) {
      const inference::AisResult& r = *a.ais;
      j["exact_reference"] = {{"log_z", number_or_null(a.reference->log_z)},
                              {"method", a.reference->method},
                              {"ais_minus_exact", number_or_null(r.log_z - a.reference->log_z)},
                              {"within_interval", r.log_z_low <= a.reference->log_z &&
                                                      a.reference->log_z <= r.log_z_high}};
    } else {
      j["exact_reference"] = nullptr;
    }
  }
  if (a.bp) {
    const inference::bp::BpParams& p = *a.bp;
    j["convergence"] = {{"status", convergence_status(a.bp_status, p)},
                        {"iterations", a.bp_status.iterations},
                        {"largest_change", number_or_null(a.bp_status.max_change)},
                        {"tolerance", p.tolerance},
                        {"max_iterations", p.max_iterations}};
    j["bp"] = {
        {"temperature", p.temperature},
        {"schedule", schedule_name(p.schedule)},
        {"damping", p.damping},
        {"messages",
         a.bp_mode == inference::bp::MessageMode::kBinaryRatio ? "binary_log_ratio" : "full"},
        {"decimation_rounds", a.decimation_rounds},
        {"repair_rounds", a.repair_rounds}};
  } else {
    j["convergence"] = nullptr;
    j["bp"] = nullptr;
  }
  if (!a.sampler.empty()) {
    j["sampling"] = {{"sampler", a.sampler},
                     {"chains", a.chains},
                     {"kept_sweeps", a.kept_sweeps},
                     {"interrupted", a.interrupted},
                     {"standard_errors", "batch_means"}};
  } else {
    j["sampling"] = nullptr;
  }
  j["mixing"] = a.convergence ? convergence_json(g, *a.convergence, opt.sampling.min_ess) : Json();
  j["warnings"] = Json::array();
  for (const auto& [code, message] : a.warnings)
    j["warnings"].push_back(warning_json(code, message));
  if (query == Query::kMarginals) {
    Json vars = Json::array();
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      Json entry = variable_json(g, v);
      entry["clamped"] = model.evidence[v] != engine::kFree;
      Json p = Json::array(), se = Json::array();
      for (std::int64_t i = g.state_offset[v]; i < g.state_offset[v + 1]; ++i) {
        p.push_back(number_or_null(a.marginals[i]));
        if (!a.standard_errors.empty()) se.push_back(number_or_null(a.standard_errors[i]));
      }
      entry["p"] = p;
      entry["se"] = a.standard_errors.empty() ? Json(nullptr) : se;
      vars.push_back(entry);
    }
    j["marginals"] = vars;
  } else if (query == Query::kMap) {
    j["map_log_potential"] = number_or_null(a.map_log_potential);
    j["map_log_probability"] = number_or_null(a.map_log_potential - a.log_z);
    j["map_log_probability_resolution"] = number_or_null(log_probability_resolution(model, a));
    Json state = Json::array(), by_group;
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      Json entry = variable_json(g, v);
      entry["state"] = a.map_state[v];
      const auto& group = g.groups[g.group_of(v)];
      entry["state_name"] =
          group.state_names.empty() ? Json(nullptr) : Json(group.state_names[a.map_state[v]]);
      state.push_back(entry);
    }
    for (const auto& group : g.groups)
      by_group[group.name] = std::vector<std::int32_t>(
          a.map_state.begin() + group.first, a.map_state.begin() + group.first + group.size);
    j["map_state"] = state;
    j["map_state_by_group"] = by_group;
  }
  out << j.dump(2) << "\n";
}

void run_query(const QueryOptions& opt, Query query) {
  check_flags_apply(opt);
  refuse_output_over_input("--out", opt.out,
                           {{"the model", opt.model.path},
                            {"the evidence", opt.model.evidence},
                            {"the configuration", opt.config_path()},
                            {"the data", opt.data},
                            {"the starting rows", opt.sampling.init_rows},
                            {"the resumed run", opt.sampling.resume}});
  const engine::CompiledModel model = opt.model.load();
  const Answer a = solve(model, opt, query);
  // Sampling methods compute no log Z; BP computes the Bethe estimate only at temperature 1.
  const bool sampled = !a.standard_errors.empty() || (a.approximate_log_z && std::isnan(a.log_z));
  if (a.ais && opt.format == "uai" && std::isnan(a.log_z))
    throw Error("AIS was interrupted: there is no log Z to write in the UAI PR format");
  if (!sampled && (std::isnan(a.log_z) || (std::isinf(a.log_z) && a.log_z > 0)))
    throw Error(opt.model.path + ": log Z is " + (std::isnan(a.log_z) ? "nan" : "+inf") +
                ": the log-potentials are too large for double precision");
  if (!sampled && query != Query::kLogZ && std::isinf(a.log_z) && a.log_z < 0)
    throw Error(opt.model.path + ": the evidence has probability zero under the model");
  std::ostringstream text;
  if (opt.format == "json") {
    print_json(text, model, a, query, opt);
  } else if (opt.format == "uai") {
    if (query == Query::kMarginals)
      engine::write_uai_mar(*model.graph, a.marginals, text);
    else if (query == Query::kMap)
      engine::write_uai_mpe(*model.graph, a.map_state, text);
    else
      engine::write_uai_pr(a.log_z, text);
  } else {
    print_text(text, model, a, query, opt);
  }
  if (opt.out.empty()) {
    std::cout << text.str();
    return;
  }
  engine::write_file_atomically(opt.out, text.str());
}

void add_query(CLI::App& app, const char* name, const char* help, Query query) {
  auto* cmd = app.add_subcommand(name, help);
  auto opt = std::make_shared<QueryOptions>();
  opt->model.add_to(*cmd);
  std::vector<std::string> methods = {"exact", "enumerate", "bp"};
  std::string method_help =
      "exact (junction tree), enumerate (brute force, tiny models), bp (belief propagation: "
      "approximate on loopy graphs, exact on trees)";
  if (query == Query::kLogZ) {
    methods.push_back("ais");
    method_help +=
        ", ais (annealed importance sampling: a stochastic estimate with a ±3σ interval; "
        "--runs, --betas, --seed, --threads, --data, --visible)";
    opt->ais.add_to(*cmd);
    opt->ais_data_flags = {
        cmd->add_option("--data", opt->data,
                        "ais: a dataset (.npy or .csv) whose visible marginals make the base model "
                        "(Salakhutdinov & Murray); default: the uniform base"),
        cmd->add_option("--visible", opt->visible,
                        "ais: the variable groups the columns of --data hold, in order "
                        "(comma-separated; default: the group, or leading groups, of that width)")
            ->delimiter(',')};
  }
  if (query == Query::kMarginals) {
    // Marginals can also be estimated by any sampler, with the sampling options of dgm sample.
    // The sampler `exact` is not offered here: --method exact is the junction tree.
    for (const auto& info : inference::sampler_registry())
      if (std::find(methods.begin(), methods.end(), info.name) == methods.end())
        methods.push_back(info.name);
    method_help +=
        ", or a sampler (see `dgm samplers`; not the sampler exact: --method exact gives the "
        "marginals it would estimate)";
    opt->sampling.add_to(*cmd, /*with_sampler_flag=*/false);
    cmd->get_option("--config")
        ->description(
            "--method bp: a BeliefPropagationConfig; a sampler: a SamplerConfig (protobuf text, "
            "proto/dgm/sampler.proto). Flags given on the command line override the file");
    for (const char* name : {"--chains", "--sweeps", "--burn-in", "--thin", "--seed", "--threads",
                             "--init-rows", "--resume", "--min-ess"})
      opt->sampling_flags.push_back(cmd->get_option(name));
  } else {
    cmd->add_option("--config", opt->config,
                    "--method bp: a BeliefPropagationConfig in protobuf text "
                    "(proto/dgm/sampler.proto); flags given on the command line override it");
  }
  cmd->add_option("--method", opt->method, method_help)
      ->check(CLI::IsMember(methods))
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "text, json or uai (UAI competition result format)")
      ->check(CLI::IsMember({"text", "json", "uai"}))
      ->capture_default_str();
  cmd->add_option("--out", opt->out, "write the result to this file instead of stdout");
  cmd->add_option("--max-table-size", opt->max_table_size,
                  "largest clique table (entries) exact inference may build")
      ->capture_default_str();
  cmd->add_option("--max-configurations", opt->max_configurations,
                  "largest number of configurations --method enumerate may visit")
      ->capture_default_str();
  opt->schedule_flag =
      cmd->add_option("--schedule", opt->schedule, "bp: flooding, sequential or residual")
          ->check(CLI::IsMember({"flooding", "sequential", "residual"}))
          ->capture_default_str();
  opt->iterations_flag =
      cmd->add_option("--iterations", opt->iterations, "bp: maximum iterations (default 200)");
  opt->damping_flag =
      cmd->add_option("--damping", opt->damping, "bp: message damping in [0, 1) (default 0.5)");
  opt->tolerance_flag =
      cmd->add_option("--tolerance", opt->tolerance,
                      "bp: stop when the largest message change is below this (default 1e-6)");
  opt->temperature_flag =
      cmd->add_option("--temperature", opt->temperature,
                      "bp: 0 max-product, 1 sum-product (default: 1 for marginals and logz, 0 for "
                      "map)");
  opt->bp_flags = {opt->schedule_flag, opt->iterations_flag, opt->damping_flag, opt->tolerance_flag,
                   opt->temperature_flag};
  cmd->callback([opt, query] { run_query(*opt, query); });
}

}  // namespace

void register_exact_commands(CLI::App& app) {
  add_query(app, "marginals", "single-variable marginals p(x_i | evidence)", Query::kMarginals);
  add_query(app, "map", "a most probable state given the evidence", Query::kMap);
  add_query(app, "logz", "the log partition function log Z (of the evidence)", Query::kLogZ);
}

}  // namespace dgm::cli
