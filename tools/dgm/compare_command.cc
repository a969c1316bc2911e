// dgm compare: several samplers on one model under one budget, measured against one reference
// (inference/comparison/comparison.h): a ranked table, JSON (docs/json.md), CSV of the
// recorded points, and plots.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/plotting.h"
#include "tools/dgm/progress.h"
#include "tools/dgm/same_file.h"
#include "tools/dgm/text_config.h"

namespace dgm::cli {

namespace {

namespace fs = std::filesystem;

struct CompareOptions {
  ModelOptions model;
  std::string config, samplers, reference, reference_sampler, format = "text", csv, json_out, plot;
  double budget_seconds = 0, budget_work = 0, min_ess = 0;
  std::int64_t budget_sweeps = 0, reference_samples = 0;
  std::int32_t chains = 0, points = 0, threads = 0;
  std::uint64_t seed = 0;
  std::map<std::string, CLI::Option*> given;

  bool has(const std::string& flag) const {
    const auto it = given.find(flag);
    return it != given.end() && it->second->count() > 0;
  }
};

std::vector<std::string> split_list(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// The configuration file (if any) with the flags over it.
proto::CompareConfig settings(const CompareOptions& opt) {
  proto::CompareConfig config;
  if (!opt.config.empty())
    config = read_text_config<proto::CompareConfig>(opt.config, "comparison configuration");
  if (opt.has("--samplers")) {
    config.clear_samplers();
    const std::vector<std::string> names = split_list(opt.samplers);
    if (names.empty()) throw Error("--samplers: give at least one sampler name (see dgm samplers)");
    for (const std::string& name : names) config.add_samplers()->set_sampler(name);
  }
  if (config.samplers().empty())
    for (const char* name : {"gibbs", "chromatic-gibbs", "gwg", "dmala", "pmp"})
      config.add_samplers()->set_sampler(name);
  if (opt.has("--budget-seconds")) config.set_budget_seconds(opt.budget_seconds);
  if (opt.has("--budget-work")) config.set_budget_work(opt.budget_work);
  if (opt.has("--budget-sweeps")) config.set_budget_sweeps(opt.budget_sweeps);
  if (config.budget_seconds() == 0 && config.budget_work() == 0 && config.budget_sweeps() == 0)
    config.set_budget_seconds(10.0);
  if (opt.has("--chains")) {
    if (opt.chains <= 0)
      throw Error("--chains must be ≥ 1 (got " + std::to_string(opt.chains) + ")");
    config.set_chains(opt.chains);
  }
  if (opt.has("--seed")) config.set_seed(opt.seed);
  if (opt.has("--points")) {
    if (opt.points <= 0)
      throw Error("--points must be ≥ 1 (got " + std::to_string(opt.points) + ")");
    config.set_points(opt.points);
  }
  if (opt.has("--threads")) config.set_threads(opt.threads);
  if (opt.has("--min-ess")) config.set_min_ess(opt.min_ess);
  if (opt.has("--reference")) {
    const std::string& r = opt.reference;
    if (r == "auto" || r == "exact" || r == "sampler") {
      config.mutable_reference()->set_source(r);
    } else {
      config.mutable_reference()->set_source("file");
      config.mutable_reference()->set_file(r);
    }
  }
  if (opt.has("--reference-samples")) {
    if (opt.reference_samples <= 0)
      throw Error("--reference-samples must be ≥ 1 (got " + std::to_string(opt.reference_samples) +
                  ")");
    config.mutable_reference()->set_samples(opt.reference_samples);
  }
  if (opt.has("--reference-sampler")) {
    config.mutable_reference()->set_sampler(opt.reference_sampler);
    if (config.reference().source().empty()) config.mutable_reference()->set_source("sampler");
  }
  return config;
}

// Outputs may not be inputs: checked before anything runs or is written.
void check_outputs(const CompareOptions& opt, const proto::CompareConfig& config) {
  const std::vector<NamedInput> inputs = {{"the model", opt.model.path},
                                          {"the evidence", opt.model.evidence},
                                          {"the configuration", opt.config},
                                          {"the reference samples", config.reference().file()}};
  refuse_output_over_input("--csv", opt.csv, inputs);
  refuse_output_over_input("--json", opt.json_out, inputs);
  if (!opt.plot.empty() && fs::exists(opt.plot) && !fs::is_directory(opt.plot))
    throw Error("--plot " + opt.plot + ": exists and is not a folder");
}

std::string fmt(double x, const char* format = "%.4g") {
  if (std::isnan(x)) return "-";
  if (std::isinf(x)) return x > 0 ? "inf" : "-inf";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, x);
  return buf;
}

std::string budget_text(const inference::ComparisonResult& r) {
  std::vector<std::string> parts;
  if (r.budget_seconds > 0) parts.push_back(fmt(r.budget_seconds) + " s of sampling");
  if (r.budget_work > 0) parts.push_back(fmt(r.budget_work, "%.3g") + " factor evaluations");
  if (r.budget_sweeps > 0) parts.push_back(std::to_string(r.budget_sweeps) + " sweeps");
  std::string text;
  for (std::size_t i = 0; i < parts.size(); ++i) text += (i == 0 ? "" : ", or ") + parts[i];
  return text + (parts.size() > 1 ? ", whichever comes first" : "");
}

// What a reader must be told about a sampler's result, beside its numbers.
std::vector<std::string> verdicts(const inference::ComparisonResult& r,
                                  const inference::SamplerComparison& s) {
  std::vector<std::string> out;
  const std::string approximation = sampler_approximation(s.sampler);
  // Above the floor: twice its mean and beyond every floor set (the floor is itself noisy).
  const double ratio = s.final_mmd2 / r.floor_mmd2_biased;
  const bool above_floor = std::isfinite(ratio) && ratio > 2.0 && s.final_mmd2 > r.floor_mmd2_max;
  if (!approximation.empty()) {
    out.push_back(approximation + (above_floor ? "; its MMD² stays " + fmt(ratio, "%.3g") +
                                                     "× the floor: the bias shows"
                                               : ""));
  } else if (above_floor) {
    out.push_back("final MMD² " + fmt(ratio, "%.3g") +
                  "× the floor: not at the target within the budget");
  }
  if (s.energy_rhat > 1.01)
    out.push_back("energy split-R̂ " + fmt(s.energy_rhat) +
                  " > 1.01: the chains disagree (stuck in different modes, or still warming up)");
  if (s.below_min_ess)
    out.push_back("energy ESS " + fmt(s.energy_ess, "%.3g") + " is below the floor of " +
                  fmt(r.min_ess, "%.3g"));
  if (s.energy_constant) out.push_back("no chain's energy changed in the second half: not moving");
  for (const std::string& note : s.notes) out.push_back(note);
  return out;
}

void print_text(const inference::ComparisonResult& r, const engine::CompiledModel& model,
                const std::string& path) {
  const engine::Graph& g = *model.graph;
  std::cout << "dgm compare: " << path << " (" << g.num_variables() << " variables, "
            << g.num_factors() << " factors), " << r.chains
            << " chains per sampler from the same starting states, seed " << r.seed << "\n";
  std::cout << "budget per sampler: " << budget_text(r) << " (time spent measuring excluded)\n";
  if (r.has_reference) {
    std::cout << "reference: " << r.reference.provenance << "\n";
    const std::int64_t sets = r.reference.floor_set_rows > 0
                                  ? r.reference.num_floor_rows / r.reference.floor_set_rows
                                  : 0;
    std::cout << "MMD² (Hamming kernel exp(-d/N), biased; logs are natural): floor "
              << fmt(r.floor_mmd2_biased) << " (expected for " << r.reference.floor_set_rows
              << " exact samples against the " << r.reference.num_rows << ", from "
              << r.reference.num_floor_rows << " more; " << sets << " single sets of "
              << r.reference.floor_set_rows << " range " << fmt(r.floor_mmd2_min) << " to "
              << fmt(r.floor_mmd2_max) << ")\n";
  }
  std::cout << "\n";
  std::printf("%-4s %-18s %11s %7s %10s %10s %12s %7s %7s %9s %8s %11s %9s\n", "rank", "sampler",
              "final MMD²", "×floor", "ESS/s", "ESS/sweep", "ESS/energy", "R̂(E)", "accept",
              "sweeps", "seconds", "factor-ev", "TV(marg)");
  int rank = 1;
  for (const std::int32_t i : r.ranking) {
    const inference::SamplerComparison& s = r.samplers[static_cast<std::size_t>(i)];
    std::printf("%-4d %-18s %11s %7s %10s %10s %12s %7s %7s %9lld %8s %11s %9s\n", rank++,
                s.label.c_str(), fmt(s.final_mmd2).c_str(),
                fmt(s.final_mmd2 / r.floor_mmd2_biased, "%.3g").c_str(),
                fmt(s.ess_per_second, "%.3g").c_str(), fmt(s.ess_per_sweep, "%.3g").c_str(),
                fmt(s.ess_per_energy_evaluation, "%.3g").c_str(),
                fmt(s.energy_rhat, "%.3f").c_str(), fmt(s.acceptance, "%.3f").c_str(),
                static_cast<long long>(s.sweeps), fmt(s.seconds, "%.2f").c_str(),
                fmt(static_cast<double>(s.totals.factor_evaluations), "%.3g").c_str(),
                s.has_marginal_error ? fmt(s.marginal_error.mean_tv, "%.3g").c_str() : "-");
  }
  std::cout << "\nranked by "
            << (r.ranked_by == "final_mmd2"
                    ? "the final MMD² (mean over the last quarter of the budget; lower is better)"
                    : "energy ESS per second (no reference)")
            << ". ESS is of the energy over the second half of each run (Geyer's initial "
               "monotone sequence), per second, per sweep and per full-model energy evaluation; "
               "TV(marg) is the mean total-variation error of single-site marginals from the "
               "second half against exact inference.\n";
  bool any = false;
  for (const inference::SamplerComparison& s : r.samplers) {
    const std::vector<std::string> lines = verdicts(r, s);
    if (lines.empty()) continue;
    if (!any) std::cout << "\nnotes:\n";
    any = true;
    for (const std::string& line : lines) std::cout << "  " << s.label << ": " << line << "\n";
  }
  if (r.interrupted) std::cout << "\ninterrupted: the results are of the part that ran\n";
}

Json work_json(const inference::SweepStats& w) {
  return {{"site_updates", w.site_updates}, {"factor_evaluations", w.factor_evaluations},
          {"messages", w.messages},         {"flops", w.flops},
          {"proposals", w.proposals},       {"accepted", w.accepted},
          {"changed", w.changed},           {"invalid", w.invalid}};
}

Json result_json(const inference::ComparisonResult& r, const engine::CompiledModel& model,
                 const std::string& path) {
  const engine::Graph& g = *model.graph;
  Json j = json_document("compare", path);
  j["variables"] = g.num_variables();
  j["factors"] = g.num_factors();
  j["groups"] = groups_json(g);
  j["chains"] = r.chains;
  j["seed"] = r.seed;
  j["budget"] = {{"seconds", r.budget_seconds > 0 ? Json(r.budget_seconds) : Json()},
                 {"factor_evaluations", r.budget_work > 0 ? Json(r.budget_work) : Json()},
                 {"sweeps", r.budget_sweeps > 0 ? Json(r.budget_sweeps) : Json()}};
  j["mmd"] = {{"kernel", "exp(-hamming/N)"}, {"statistic", "squared"}, {"log", "natural"}};
  j["reference"] = {{"source", r.reference.source},
                    {"provenance", r.reference.provenance},
                    {"exact", r.reference.exact},
                    {"samples", r.reference.num_rows},
                    {"floor_samples", r.reference.num_floor_rows},
                    {"floor_set_samples", r.reference.floor_set_rows},
                    {"rhat", number_or_null(r.reference.rhat)},
                    {"ess", number_or_null(r.reference.ess)},
                    {"seconds", r.reference.seconds},
                    {"floor_mmd2_biased", number_or_null(r.floor_mmd2_biased)},
                    {"floor_mmd2_unbiased", number_or_null(r.floor_mmd2_unbiased)},
                    {"floor_mmd2_min", number_or_null(r.floor_mmd2_min)},
                    {"floor_mmd2_max", number_or_null(r.floor_mmd2_max)}};
  j["min_ess"] = r.min_ess;
  j["ranked_by"] = r.ranked_by;
  j["ranking"] = Json::array();
  for (const std::int32_t i : r.ranking) j["ranking"].push_back(r.samplers[i].label);
  j["interrupted"] = r.interrupted;
  Json samplers = Json::array();
  for (const inference::SamplerComparison& s : r.samplers) {
    Json points = Json::array();
    for (const inference::ComparePoint& p : s.points)
      points.push_back({{"budget_fraction", p.budget_fraction},
                        {"sweeps", p.sweeps},
                        {"seconds", p.seconds},
                        {"work", work_json(p.work)},
                        {"mmd2_biased", number_or_null(p.mmd2_biased)},
                        {"mmd2_unbiased", number_or_null(p.mmd2_unbiased)},
                        {"mean_energy", number_or_null(p.mean_energy)}});
    Json groups = Json::array();
    for (const inference::GroupMixing& m : s.groups)
      groups.push_back(
          {{"group", m.group}, {"ess", number_or_null(m.ess)}, {"rhat", number_or_null(m.rhat)}});
    const std::string approximation = sampler_approximation(s.sampler);
    Json entry = {
        {"label", s.label},
        {"sampler", s.sampler},
        {"sampler_exact", approximation.empty()},
        {"approximation", approximation.empty() ? Json() : Json(approximation)},
        {"sweeps", s.sweeps},
        {"seconds", s.seconds},
        {"work", work_json(s.totals)},
        {"acceptance", number_or_null(s.acceptance)},
        {"changed_per_step", number_or_null(s.changed_per_step)},
        {"final_mmd2", number_or_null(s.final_mmd2)},
        {"final_mmd2_over_floor", number_or_null(s.final_mmd2 / r.floor_mmd2_biased)},
        {"energy",
         {{"ess", number_or_null(s.energy_ess)},
          {"tau_int", number_or_null(s.energy_tau)},
          {"rhat", number_or_null(s.energy_rhat)},
          {"constant", s.energy_constant},
          {"trace_length", s.trace_length},
          {"trace_stride", s.trace_stride}}},
        {"ess_per_second", number_or_null(s.ess_per_second)},
        {"ess_per_sweep", number_or_null(s.ess_per_sweep)},
        {"ess_per_energy_evaluation", number_or_null(s.ess_per_energy_evaluation)},
        {"below_min_ess", s.below_min_ess},
        {"groups", groups},
        {"marginal_error",
         s.has_marginal_error
             ? Json{{"mean_tv", s.marginal_error.mean_tv},
                    {"max_tv", s.marginal_error.max_tv},
                    {"max_abs", s.marginal_error.max_abs},
                    {"worst_variable", s.marginal_error.worst_variable >= 0
                                           ? Json(g.variable_name(s.marginal_error.worst_variable))
                                           : Json()}}
             : Json()},
        {"notes", verdicts(r, s)},
        {"points", points}};
    samplers.push_back(entry);
  }
  j["samplers"] = samplers;
  return j;
}

std::string csv_text(const inference::ComparisonResult& r) {
  std::ostringstream out;
  out << "label,sampler,budget_fraction,sweeps,seconds,site_updates,factor_evaluations,"
         "messages,flops,mmd2_biased,mmd2_unbiased,mean_energy\n";
  out.precision(10);
  auto num = [](double x) { return std::isfinite(x) ? std::to_string(x) : std::string(); };
  for (const inference::SamplerComparison& s : r.samplers)
    for (const inference::ComparePoint& p : s.points)
      out << s.label << ',' << s.sampler << ',' << p.budget_fraction << ',' << p.sweeps << ','
          << p.seconds << ',' << p.work.site_updates << ',' << p.work.factor_evaluations << ','
          << p.work.messages << ',' << p.work.flops << ',' << num(p.mmd2_biased) << ','
          << num(p.mmd2_unbiased) << ',' << num(p.mean_energy) << '\n';
  return out.str();
}

// --plot DIR: the figures of dgm_plot.py compare from the JSON, and for the first
// image-shaped group a grid of each sampler's final states.
std::vector<std::string> plot_comparison(const std::string& dir, const std::string& json_path,
                                         const inference::ComparisonResult& r,
                                         const engine::Graph& g, bool json) {
  std::vector<std::string> figures;
  run_plot({"compare", "--out-dir", dir, json_path}, json);
  for (const char* name : {"mmd_seconds.png", "mmd_work.png", "energy.png", "ess.png"})
    figures.push_back((fs::path(dir) / name).string());
  const engine::VariableGroupInfo* image = nullptr;
  for (const engine::VariableGroupInfo& group : g.groups)
    if (group.shape.size() == 2) {
      image = &group;
      break;
    }
  if (image == nullptr) return figures;
  const std::int64_t size = image->shape[0] * image->shape[1];
  for (const inference::SamplerComparison& s : r.samplers) {
    const std::int64_t shown = std::min<std::int64_t>(r.chains, 64);
    if (s.final_states.empty()) continue;
    std::vector<double> values;
    values.reserve(static_cast<std::size_t>(shown * size));
    for (std::int64_t b = 0; b < shown; ++b)
      for (std::int64_t i = 0; i < size; ++i)
        values.push_back(
            s.final_states[static_cast<std::size_t>(b * g.num_variables() + image->first + i)]);
    const std::string stem = "samples_" + s.label;
    const std::string npy = (fs::path(dir) / (stem + ".npy")).string();
    engine::write_npy(npy, {shown, image->shape[0], image->shape[1]}, values, "|u1");
    const std::string png = (fs::path(dir) / (stem + ".png")).string();
    run_plot(
        {"grid", "--out", png, npy, "--title", s.label + ": final states of group " + image->name},
        json);
    figures.push_back(png);
  }
  return figures;
}

void run_compare(const CompareOptions& opt) {
  if (opt.format != "text" && opt.format != "json")
    throw Error("--format must be text or json (got " + opt.format + ")");
  const proto::CompareConfig config = settings(opt);
  check_outputs(opt, config);
  const engine::CompiledModel model = opt.model.load();
  for (const proto::CompareSampler& s : config.samplers())
    for (const char c : s.label())
      if (c == '/' || c == '\\' || c == ',')
        throw Error("compare: label '" + s.label() + "' may not contain / \\ or ,");

  InterruptGuard interrupt;
  inference::CompareCallbacks callbacks;
  callbacks.stop = [] { return InterruptGuard::requested(); };
  callbacks.on_reference = [](const inference::ReferenceSamples& ref) {
    std::cerr << "reference ready (" << fmt(ref.seconds, "%.1f") << " s): " << ref.provenance
              << "\n";
  };
  const std::size_t total = static_cast<std::size_t>(config.samplers_size());
  callbacks.on_start = [total](std::size_t i, const std::string& label) {
    std::cerr << "[" << i + 1 << "/" << total << "] " << label << " ..." << std::flush;
  };
  callbacks.on_finish = [](std::size_t, const inference::SamplerComparison& s) {
    std::cerr << " " << s.sweeps << " sweeps in " << fmt(s.seconds, "%.2f") << " s\n";
  };
  const inference::ComparisonResult result = inference::compare_samplers(model, config, callbacks);

  const Json document = result_json(result, model, opt.model.path);
  if (!opt.json_out.empty()) engine::write_file_atomically(opt.json_out, document.dump(2) + "\n");
  if (!opt.csv.empty()) engine::write_file_atomically(opt.csv, csv_text(result));
  std::vector<std::string> figures;
  if (!opt.plot.empty()) {
    fs::create_directories(opt.plot);
    const std::string json_path = (fs::path(opt.plot) / "compare.json").string();
    engine::write_file_atomically(json_path, document.dump(2) + "\n");
    figures = plot_comparison(opt.plot, json_path, result, *model.graph, opt.format == "json");
  }
  if (opt.format == "json") {
    Json out = document;
    out["figures"] = figures;
    std::cout << out.dump(2) << "\n";
  } else {
    print_text(result, model, opt.model.path);
    if (!figures.empty()) {
      std::cout << "\nfigures:\n";
      for (const std::string& f : figures) std::cout << "  " << f << "\n";
    }
  }
}

}  // namespace

void register_compare(CLI::App& app) {
  auto opt = std::make_shared<CompareOptions>();
  CompareOptions& o = *opt;
  CLI::App* cmd = app.add_subcommand(
      "compare",
      "compare samplers on one model: the same starts and budget, MMD against a reference, "
      "ESS, R-hat, ranked");
  o.model.add_to(*cmd);
  auto add = [&](CLI::Option* option) { o.given[option->get_name()] = option; };
  add(cmd->add_option(
      "--samplers", o.samplers,
      "comma-separated registry names (default gibbs,chromatic-gibbs,gwg,dmala,pmp; "
      "per-sampler settings and labels in --config)"));
  add(cmd->add_option("--budget-seconds", o.budget_seconds,
                      "seconds of sampling per sampler (default 10 when no budget is given)"));
  add(cmd->add_option(
      "--budget-work", o.budget_work,
      "factor evaluations per sampler, over all chains (docs/comparing-samplers.md)"));
  add(cmd->add_option("--budget-sweeps", o.budget_sweeps, "sweeps per sampler"));
  add(cmd->add_option("--chains", o.chains, "chains per sampler (default 100)"));
  add(cmd->add_option("--seed", o.seed, "seed of the starting states and every sampler"));
  add(cmd->add_option("--points", o.points, "moments along the budget to measure (default 40)"));
  add(cmd->add_option("--threads", o.threads, "worker threads (0: all cores)"));
  add(cmd->add_option("--min-ess", o.min_ess, "flag energy ESS below this (default 100)"));
  add(cmd->add_option("--reference", o.reference,
                      "auto (default), exact, sampler, or an .npy of reference states"));
  add(cmd->add_option("--reference-samples", o.reference_samples,
                      "reference samples for the MMD (default 500)"));
  add(cmd->add_option("--reference-sampler", o.reference_sampler,
                      "the sampler of a long-run reference (default block-gibbs or "
                      "chromatic-gibbs)"));
  cmd->add_option("--config", o.config, "a CompareConfig in protobuf text (flags override it)");
  cmd->add_option("--format", o.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--csv", o.csv, "write the recorded points as CSV");
  cmd->add_option("--json", o.json_out, "also write the JSON document to this file");
  cmd->add_option("--plot", o.plot, "write the figures (PNG) into this folder");
  cmd->callback([opt] { run_compare(*opt); });
}

}  // namespace dgm::cli
