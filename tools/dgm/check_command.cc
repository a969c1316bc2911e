// dgm check MODEL: validate a model and summarise what it compiles to.
#include <cstdio>
#include <iostream>
#include <limits>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"

namespace dgm::cli {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  if (shape.empty()) return "scalar";
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string bytes_text(std::size_t bytes) {
  char buf[64];
  if (bytes < 1024)
    std::snprintf(buf, sizeof buf, "%zu B", bytes);
  else if (bytes < (1u << 20))
    std::snprintf(buf, sizeof buf, "%.1f KiB", bytes / 1024.0);
  else
    std::snprintf(buf, sizeof buf, "%.1f MiB", bytes / 1048576.0);
  return buf;
}

struct CheckOptions {
  ModelOptions model;
  std::string format = "text";
  int width_cap = engine::kReportedWidthCap;
};

void run_check(const CheckOptions& opt) {
  const engine::CompiledModel model = opt.model.load();
  const engine::Graph& g = *model.graph;
  const auto& a = g.analysis;
  std::vector<std::int32_t> free_vars;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (model.evidence[v] == engine::kFree) free_vars.push_back(v);
  // The induced width of the best of the min-fill, min-degree and natural orders, the order
  // exact inference plans with (and names when it refuses): an upper bound on the treewidth.
  // The searches stop once the width passes the cap, so huge lattices answer "> cap" after one
  // pass each.
  const engine::EliminationOrder order = engine::best_elimination_order(
      g, free_vars, std::numeric_limits<std::int64_t>::max(), opt.width_cap);

  const bool affordable =
      order.complete && order.largest_table <= inference::ExactOptions{}.max_table_entries;
  std::int64_t learnable = 0;
  for (const auto& p : model.params.info) learnable += p.learnable ? p.size : 0;

  if (opt.format == "json") {  // docs/json.md
    Json j = json_document("check", opt.model.path);
    j["valid"] = true;
    j["variables"] = g.num_variables();
    j["factors"] = g.num_factors();
    j["groups"] = groups_json(g);
    j["factor_groups"] = Json::array();
    for (const auto& b : g.blocks) {
      Json jb = {
          {"name", b.name},           {"kind", factors::declared_kind_name(b.kind, b.potential)},
          {"factors", b.num_factors}, {"arity", b.arity < 0 ? Json(nullptr) : Json(b.arity)},
          {"parameter", nullptr},     {"shared", nullptr}};
      if (b.param >= 0) {
        jb["parameter"] = model.params.info[b.param].name;
        jb["shared"] = b.param_stride == 0;
      }
      j["factor_groups"].push_back(jb);
    }
    j["parameters"] = Json::array();
    for (const auto& p : model.params.info)
      j["parameters"].push_back(
          {{"name", p.name}, {"shape", p.shape}, {"size", p.size}, {"learnable", p.learnable}});
    j["clamped_variables"] = model.num_clamped();
    j["colours"] = a.num_colours;
    j["components"] = a.num_components;
    j["bipartite"] = a.bipartite;
    j["tree"] = a.forest;
    j["factor_graph_tree"] = a.factor_graph_forest;
    j["bp_exact"] = a.factor_graph_forest;
    j["induced_width"] = order.complete ? Json(order.induced_width) : Json(nullptr);
    j["induced_width_status"] = order.complete ? "upper_bound" : "over_cap";
    j["induced_width_cap"] = opt.width_cap;
    j["elimination_order"] =
        order.complete ? Json(std::string(engine::heuristic_name(order.heuristic))) : Json(nullptr);
    j["largest_clique_table"] =
        order.complete && order.largest_table < std::numeric_limits<std::int64_t>::max()
            ? Json(order.largest_table)
            : Json(nullptr);
    j["exact_inference_fits"] = affordable;
    j["ir_bytes"] = g.memory_bytes();
    j["parameter_bytes"] = model.params.values.size() * sizeof(double);
    j["warnings"] = Json::array();
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("model      %s: valid\n", opt.model.path.c_str());
  std::printf("variables  %d in %zu group(s)\n", g.num_variables(), g.groups.size());
  for (const auto& group : g.groups)
    std::printf("  %-20s shape %-14s cardinality %-4d %d variable(s)\n", group.name.c_str(),
                shape_text(group.shape).c_str(), group.cardinality, group.size);
  std::printf("factors    %lld in %zu group(s)\n", static_cast<long long>(g.num_factors()),
              g.blocks.size());
  for (const auto& b : g.blocks) {
    std::string param = "";
    if (b.param >= 0)
      param = "parameter '" + model.params.info[b.param].name + "' " +
              (b.param_stride == 0 ? "(shared)" : "(one per factor)");
    std::string arity = b.arity < 0 ? "varying" : std::to_string(b.arity);
    std::printf("  %-20s %-12s %10lld factor(s)  arity %-7s %s\n", b.name.c_str(),
                std::string(factors::declared_kind_name(b.kind, b.potential)).c_str(),
                static_cast<long long>(b.num_factors), arity.c_str(), param.c_str());
  }
  std::printf("parameters %zu (%zu values, %lld learnable)\n", model.params.info.size(),
              model.params.values.size(), static_cast<long long>(learnable));
  for (const auto& p : model.params.info)
    std::printf("  %-20s shape %-14s%s\n", p.name.c_str(), shape_text(p.shape).c_str(),
                p.learnable ? " learnable" : "");
  std::printf("evidence   %lld clamped variable(s)\n", static_cast<long long>(model.num_clamped()));
  std::printf(
      "graph      %d component(s), %d colour(s), bipartite: %s, tree: %s (factor graph: %s)%s\n",
      a.num_components, a.num_colours, a.bipartite ? "yes" : "no", a.forest ? "yes" : "no",
      a.factor_graph_forest ? "yes" : "no",
      a.factor_graph_forest ? "; --method bp is exact" : "; --method bp is approximate (loops)");
  std::string table;
  if (order.complete && order.largest_table < std::numeric_limits<std::int64_t>::max())
    table = ", largest clique table " + std::to_string(order.largest_table) + " entries";
  else if (order.complete)
    table = ", largest clique table beyond 2^63 entries";
  std::printf("width      %s, of the free variables%s; %s\n",
              engine::describe_width(order, opt.width_cap).c_str(), table.c_str(),
              affordable ? "exact inference fits the default --max-table-size"
                         : "too large for exact inference at the default --max-table-size");
  const double per_factor =
      g.num_factors() > 0 ? static_cast<double>(g.memory_bytes()) / g.num_factors() : 0.0;
  std::printf("memory     IR %s (%.1f B per factor), parameters %s\n",
              bytes_text(g.memory_bytes()).c_str(), per_factor,
              bytes_text(model.params.values.size() * sizeof(double)).c_str());
}

}  // namespace

void register_check(CLI::App& app) {
  auto* cmd = app.add_subcommand("check", "validate a model and print a summary of its graph");
  auto opt = std::make_shared<CheckOptions>();
  opt->model.add_to(*cmd);
  cmd->add_option("--format", opt->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->add_option("--width-cap", opt->width_cap,
                  "stop the induced-width search once the width exceeds this")
      ->capture_default_str();
  cmd->callback([opt] { run_check(*opt); });
}

}  // namespace dgm::cli
