// dgm score: the average log-likelihood per example of a dataset under a model (hidden
// variables summed out exactly; log Z exact, by AIS or given), and the RMSE of the model's
// parameters against a reference model.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "dgm.h"
#include "tools/dgm/ais_options.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/progress.h"

namespace dgm::cli {

namespace {

struct ScoreOptions {
  ModelOptions model;
  std::string data;
  std::vector<std::string> visible;
  std::string log_z = "exact";  // exact, ais or a number
  std::string base = "data";    // ais: data (the --data marginals) or uniform
  AisCliOptions ais;
  std::string reference;
  std::string format = "text";
  std::int64_t max_table_size = inference::ExactOptions{}.max_table_entries;
  CLI::Option* base_flag = nullptr;
};

std::string text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

// --logz: exact, ais, or a number.
learning::LogZMethod log_z_method(const std::string& value, double& given) {
  if (value == "exact") return learning::LogZMethod::kExact;
  if (value == "ais") return learning::LogZMethod::kAis;
  std::size_t used = 0;
  try {
    given = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != value.size() || value.empty() || !std::isfinite(given))
    throw Error(
        "--logz takes exact, ais or a finite number (the log Z to use); got '" + value + "'",
        error_details(ErrorCode::kBadValue, value, {"exact", "ais", "NUMBER"}));
  return learning::LogZMethod::kGiven;
}

void run_score(const ScoreOptions& opt) {
  if (opt.data.empty() && opt.reference.empty())
    throw Error(
        "dgm score needs --data (a dataset to score) or --reference (a model to compare "
        "parameters with), or both");
  double given = 0;
  const learning::LogZMethod method = log_z_method(opt.log_z, given);
  if (const std::string flag = opt.ais.given_flag();
      !flag.empty() && method != learning::LogZMethod::kAis)
    throw Error(flag + " applies to --logz ais only (got --logz " + opt.log_z + ")");
  if (opt.base_flag->count() > 0 && method != learning::LogZMethod::kAis)
    throw Error("--base applies to --logz ais only (got --logz " + opt.log_z + ")");
  if (opt.data.empty() && (!opt.visible.empty() || opt.log_z != "exact"))
    throw Error(std::string(!opt.visible.empty() ? "--visible" : "--logz") +
                " applies to scoring data; give --data");

  const engine::CompiledModel model = opt.model.load();
  std::optional<learning::ScoreResult> scored;
  learning::VisibleLayout layout;
  bool interrupted = false;
  std::string ais_base;
  if (!opt.data.empty()) {
    const learning::Dataset data = learning::read_dataset(opt.data);
    layout = learning::visible_layout(*model.graph, opt.visible, data.width, data.source);
    learning::validate_dataset(data, model, layout);
    learning::LogZEstimate log_z;
    if (method == learning::LogZMethod::kAis) {
      inference::AisOptions o = opt.ais.options();
      ais_base = opt.base == "uniform" ? "uniform" : "data_marginals";
      if (opt.base != "uniform")
        o.base_log_potentials = learning::ais_base_from_data(model, data, layout);
      const inference::AisResult r = run_ais(model, o);
      if (!r.completed) {
        interrupted = true;
      } else {
        log_z.method = method;
        log_z.value = r.log_z;
        log_z.low = r.log_z_low;
        log_z.high = r.log_z_high;
        log_z.exact = false;
        log_z.detail =
            ais_detail(r, ais_base == "uniform" ? "uniform" : "visible marginals of " + opt.data);
        log_z.ais = r;
      }
    } else {
      log_z = learning::model_log_z(model, method, {}, given, opt.max_table_size);
    }
    if (!interrupted) scored = learning::score(model, data, layout, log_z, opt.max_table_size);
  }
  std::optional<learning::RmseReport> rmse;
  if (!opt.reference.empty()) {
    engine::CompiledModel reference = engine::load_compiled(opt.reference, opt.model.compile);
    rmse = learning::parameter_rmse(model, reference);
  }

  std::ostringstream out;
  const engine::Graph& g = *model.graph;
  if (opt.format == "json") {
    Json j = json_document("score", opt.model.path);
    j["data"] = opt.data.empty() ? Json(nullptr) : Json(opt.data);
    j["log_base"] = "e";
    j["clamped_variables"] = model.num_clamped();
    if (scored) {
      const learning::ScoreResult& s = *scored;
      Json groups = Json::array();
      for (const int grp : layout.groups)
        groups.push_back(g.groups[static_cast<std::size_t>(grp)].name);
      j["examples"] = s.examples;
      j["visible_groups"] = groups;
      j["hidden_variables"] = s.hidden_variables;
      j["hidden_sum"] = learning::to_string(s.hidden);
      j["exact"] = s.log_z.exact;
      j["approximation"] = s.log_z.exact ? Json(nullptr)
                           : s.log_z.ais ? Json(kAisApproximation)
                                         : Json("log Z given on the command line");
      j["log_z"] = {{"value", number_or_null(s.log_z.value)},
                    {"status", number_status(s.log_z.value)},
                    {"method", opt.log_z == "exact" || opt.log_z == "ais" ? opt.log_z : "given"},
                    {"low", number_or_null(s.log_z.low)},
                    {"high", number_or_null(s.log_z.high)},
                    {"detail", s.log_z.detail}};
      j["ais"] = s.log_z.ais ? ais_json(*s.log_z.ais, opt.ais, ais_base, opt.data) : Json(nullptr);
      j["mean_log_likelihood"] = number_or_null(s.mean_log_likelihood);
      j["mean_log_likelihood_status"] = number_status(s.mean_log_likelihood);
      j["standard_error"] = number_or_null(s.standard_error);
      j["interval"] = {{"low", number_or_null(s.low)}, {"high", number_or_null(s.high)}};
      j["mean_log_unnormalised"] = number_or_null(s.mean_log_unnormalised);
      j["zero_probability_examples"] = s.zero_probability_examples;
    } else {
      for (const char* k :
           {"examples", "visible_groups", "hidden_variables", "hidden_sum", "exact",
            "approximation", "log_z", "ais", "mean_log_likelihood", "mean_log_likelihood_status",
            "standard_error", "interval", "mean_log_unnormalised", "zero_probability_examples"})
        j[k] = nullptr;
    }
    if (rmse) {
      Json params = Json::array();
      for (const learning::ParameterRmse& p : rmse->parameters)
        params.push_back({{"name", p.name}, {"size", p.size}, {"rmse", p.rmse}});
      j["rmse"] = {{"reference", opt.reference},
                   {"rmse", rmse->rmse},
                   {"values", rmse->values},
                   {"parameters", params}};
    } else {
      j["rmse"] = nullptr;
    }
    j["warnings"] = Json::array();
    if (interrupted)
      j["warnings"].push_back(
          warning_json("interrupted", "AIS was interrupted (Ctrl-C); no score"));
    out << j.dump(2) << "\n";
  } else {
    if (interrupted) out << "# AIS was interrupted (Ctrl-C): no log Z, no score\n";
    if (scored) {
      const learning::ScoreResult& s = *scored;
      out << "# " << opt.model.path << " on " << opt.data << ": " << s.examples << " examples; "
          << s.hidden_variables << " hidden variable(s)"
          << (s.hidden == learning::HiddenSum::kRbmFreeEnergy ? " summed out (RBM free energy)"
              : s.hidden == learning::HiddenSum::kJunctionTree
                  ? " summed out (junction tree per example)"
                  : "")
          << "\n";
      out << "# log Z: " << s.log_z.detail << "\n";
      out << "# answer: "
          << (s.log_z.exact ? "exact"
                            : "approximate (" +
                                  std::string(s.log_z.ais ? kAisApproximation
                                                          : "log Z given on the command line") +
                                  ")")
          << "\n";
      out << "log Z                " << text(s.log_z.value);
      if (s.log_z.ais) out << "  [" << text(s.log_z.low) << ", " << text(s.log_z.high) << "]";
      out << "\n";
      out << "mean log-likelihood  " << text(s.mean_log_likelihood) << " ± "
          << text(s.standard_error)
          << "  (natural log per example; ± standard error over examples)\n";
      if (s.log_z.ais)
        out << "  with log Z's ±3σ interval: [" << text(s.low) << ", " << text(s.high) << "]\n";
      if (s.zero_probability_examples > 0)
        out << "# " << s.zero_probability_examples << " example(s) have probability zero\n";
    }
    if (rmse) {
      out << "# parameters against " << opt.reference << " (matched by name)\n";
      out << "rmse                 " << text(rmse->rmse) << "  over " << rmse->values
          << " values\n";
      for (const learning::ParameterRmse& p : rmse->parameters)
        out << "rmse " << p.name << std::string(p.name.size() < 16 ? 16 - p.name.size() : 1, ' ')
            << text(p.rmse) << "  (" << p.size << " values)\n";
    }
  }
  std::cout << out.str();
}

}  // namespace

void register_score(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "score", "average log-likelihood of a dataset under a model; parameter RMSE to a reference");
  auto opt = std::make_shared<ScoreOptions>();
  opt->model.add_to(*cmd);
  cmd->add_option("--data", opt->data, "the examples to score (.npy or .csv, one per row)");
  cmd->add_option("--visible", opt->visible,
                  "the variable groups the data's columns hold, in order (comma-separated; "
                  "default: the group, or leading groups, of that width); the others are hidden "
                  "and summed out")
      ->delimiter(',');
  cmd->add_option("--logz", opt->log_z,
                  "exact (RBM layer enumeration or junction tree), ais (annealed importance "
                  "sampling, its interval carried into the score's) or a number")
      ->capture_default_str();
  opt->base_flag =
      cmd->add_option("--base", opt->base,
                      "ais: the base model: data (the visible marginals of --data) or uniform")
          ->check(CLI::IsMember({"data", "uniform"}))
          ->capture_default_str();
  opt->ais.add_to(*cmd);
  cmd->add_option("--reference", opt->reference,
                  "a model with the true parameters: RMSE of the learnable parameters by name");
  cmd->add_option("--format", opt->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--max-table-size", opt->max_table_size,
                  "largest clique table (entries) exact inference may build")
      ->capture_default_str();
  cmd->callback([opt] { run_score(*opt); });
}

}  // namespace dgm::cli
