// dgm marginals / map / logz with --method exact (junction tree), enumerate (brute force),
// bp (belief propagation: sum-product marginals and Bethe log Z, max-product MAP), or, for
// marginals, any registered sampler.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/progress.h"
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

bool is_sampler(const std::string& method) {
  return method != "exact" && method != "enumerate" && method != "bp";
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
                opt.method + ")");
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
                number_text(p.temperature) + (path.empty() ? "" : " from --config " + path) +
                " and the flags)");
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
};

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
  } else if (opt.method == "bp") {
    const inference::bp::BpParams p = bp_params_from(opt, query);
    InterruptGuard interrupt;
    const BpProgress progress("bp", p.max_iterations);
    a.approximate_log_z = true;
    inference::bp::BpStatus status;
    inference::bp::MessageMode mode;
    std::int32_t decimation_rounds = 0, repair_rounds = 0;
    if (query == Query::kMap) {
      const inference::bp::BpMap r = inference::bp::bp_map(model, p, progress.observer());
      a.map_state = r.state;
      a.map_log_potential = r.log_potential;
      status = r.status;
      mode = r.mode;
      decimation_rounds = r.decimation_rounds;
      repair_rounds = r.repair_rounds;
      if (!r.violation.empty() && status.contradiction_variable < 0) {
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
      status = r.status;
      mode = r.mode;
    }
    a.method_detail = bp_detail(p, mode, status, *model.graph);
    if (decimation_rounds > 0)
      a.method_detail += "; then " + std::to_string(decimation_rounds) +
                         " round(s) of decimation on tied max-marginals";
    if (repair_rounds > 0)
      a.method_detail += "; then " + std::to_string(repair_rounds) +
                         " round(s) of decimation repairing a violated hard factor";
    if (!status.converged && !status.interrupted && p.tolerance > 0.0)
      std::fprintf(stderr, "dgm: warning: BP %s\n",
                   inference::bp::describe(status, p, *model.graph).c_str());
    if (status.contradiction_variable >= 0)
      throw Error(opt.model.path + ": " + inference::bp::describe(status, p, *model.graph));
  } else if (opt.method != "enumerate") {
    inference::MarginalEstimator estimator(*model.graph);
    inference::RunObserver* observers[] = {&estimator};
    SamplingOptions so = opt.sampling;
    so.sampler = opt.method;
    const SamplingRun run = run_sampling(model, so, observers);
    a.marginals = estimator.marginals();
    a.standard_errors = estimator.standard_errors();
    a.method_detail = run.sampler_name + ", " + std::to_string(run.chains.num_chains()) +
                      " chains, " + std::to_string(run.summary.kept_sweeps) + " kept sweeps each" +
                      (run.summary.stopped_early ? " (interrupted)" : "") +
                      "; ± batch-means standard error";
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
  }
  return a;
}

std::string state_label(const engine::VariableGroupInfo& group, std::int32_t k) {
  return group.state_names.empty() ? std::to_string(k) : group.state_names[k];
}

// JSON has no infinities: -inf (a zero-probability evidence) is written as the string "-inf".
nlohmann::json json_number(double x) {
  if (std::isfinite(x)) return x;
  return std::isnan(x) ? "nan" : (x > 0 ? "inf" : "-inf");
}

void print_text(std::ostream& out, const engine::CompiledModel& model, const Answer& a, Query query,
                const QueryOptions& opt) {
  const engine::Graph& g = *model.graph;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.10g", a.log_z);
  out << "# " << opt.model.path << ": " << a.method_detail << "\n";
  if (model.num_clamped() > 0)
    out << "# evidence: " << model.num_clamped() << " clamped variable(s)\n";
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
  }
  out << "\n";
  for (const auto& group : g.groups) {
    out << group.name << " =";
    for (std::int32_t i = 0; i < group.size; ++i)
      out << " " << state_label(group, a.map_state[group.first + i]);
    out << "\n";
  }
}

void print_json(std::ostream& out, const engine::CompiledModel& model, const Answer& a, Query query,
                const QueryOptions& opt) {
  const engine::Graph& g = *model.graph;
  nlohmann::json j;
  j["model"] = opt.model.path;
  j["method"] = opt.method;
  j["detail"] = a.method_detail;
  j["log_z"] = json_number(a.log_z);
  if (a.approximate_log_z && !std::isnan(a.log_z)) j["log_z_kind"] = "bethe estimate";
  j["log_base"] = "e";
  j["clamped_variables"] = model.num_clamped();
  if (query == Query::kMarginals) {
    nlohmann::json vars = nlohmann::json::array();
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      std::vector<double> p(a.marginals.begin() + g.state_offset[v],
                            a.marginals.begin() + g.state_offset[v + 1]);
      nlohmann::json entry = {{"variable", g.variable_name(v)},
                              {"clamped", model.evidence[v] != engine::kFree},
                              {"p", p}};
      if (!a.standard_errors.empty())
        entry["se"] = std::vector<double>(a.standard_errors.begin() + g.state_offset[v],
                                          a.standard_errors.begin() + g.state_offset[v + 1]);
      vars.push_back(entry);
    }
    j["marginals"] = vars;
  } else if (query == Query::kMap) {
    j["map_log_potential"] = json_number(a.map_log_potential);
    nlohmann::json state;
    for (const auto& group : g.groups)
      state[group.name] = std::vector<std::int32_t>(a.map_state.begin() + group.first,
                                                    a.map_state.begin() + group.first + group.size);
    j["map_state"] = state;
  }
  out << j.dump(2) << "\n";
}

void run_query(const QueryOptions& opt, Query query) {
  check_flags_apply(opt);
  const engine::CompiledModel model = opt.model.load();
  const Answer a = solve(model, opt, query);
  // Sampling methods compute no log Z; BP computes the Bethe estimate only at temperature 1.
  const bool sampled = !a.standard_errors.empty() || (a.approximate_log_z && std::isnan(a.log_z));
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
  std::ofstream file(opt.out);
  if (!file || !(file << text.str())) throw Error(opt.out + ": cannot write the result");
}

void add_query(CLI::App& app, const char* name, const char* help, Query query) {
  auto* cmd = app.add_subcommand(name, help);
  auto opt = std::make_shared<QueryOptions>();
  opt->model.add_to(*cmd);
  std::vector<std::string> methods = {"exact", "enumerate", "bp"};
  std::string method_help =
      "exact (junction tree), enumerate (brute force, tiny models), bp (belief propagation: "
      "approximate on loopy graphs, exact on trees)";
  if (query == Query::kMarginals) {
    // Marginals can also be estimated by any sampler, with the sampling options of dgm sample.
    for (const auto& info : inference::sampler_registry()) methods.push_back(info.name);
    method_help += ", or a sampler (see `dgm samplers`)";
    opt->sampling.add_to(*cmd, /*with_sampler_flag=*/false);
    cmd->get_option("--config")
        ->description(
            "--method bp: a BeliefPropagationConfig; a sampler: a SamplerConfig (protobuf text, "
            "proto/dgm/sampler.proto). Flags given on the command line override the file");
    for (const char* name : {"--chains", "--sweeps", "--burn-in", "--thin", "--seed", "--threads",
                             "--init-rows", "--resume"})
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
