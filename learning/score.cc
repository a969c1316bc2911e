#include "learning/score.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <cmath>
#include <memory>

#include "engine/error.h"
#include "engine/log_potential.h"
#include "factors/infinity.h"
#include "inference/ais/base_model.h"
#include "inference/exact/rbm_log_z.h"
#include "inference/model_views/rbm_parameters.h"

namespace dgm::learning {

namespace {

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.10g", x);
  return buf;
}

// Full states of examples [r0, r1): visible columns from the data, the rest from `fill`.
void fill_rows(const Dataset& data, const VisibleLayout& layout, std::int64_t r,
               std::vector<std::int32_t>& x) {
  const std::span<const std::int32_t> row = data.example(r);
  for (std::size_t c = 0; c < layout.variables.size(); ++c)
    x[static_cast<std::size_t>(layout.variables[c])] = row[c];
}

}  // namespace

const char* to_string(HiddenSum how) {
  switch (how) {
    case HiddenSum::kNone:
      return "none";
    case HiddenSum::kRbmFreeEnergy:
      return "rbm_free_energy";
    case HiddenSum::kJunctionTree:
      return "junction_tree";
  }
  return "none";
}

LogZEstimate model_log_z(const engine::CompiledModel& model, LogZMethod method,
                         const inference::AisOptions& ais, double given,
                         std::int64_t max_table_entries) {
  LogZEstimate e;
  e.method = method;
  switch (method) {
    case LogZMethod::kGiven:
      if (!std::isfinite(given))
        throw Error("score: the given log Z must be finite; got " + number(given),
                    error_details(ErrorCode::kBadValue, number(given)));
      e.value = e.low = e.high = given;
      e.exact = false;
      e.detail = "given";
      return e;
    case LogZMethod::kExact: {
      const std::int64_t work = inference::rbm_log_z_work(model);
      if (work >= 0 && work <= inference::kRbmLogZMaxWork) {
        e.value = inference::rbm_exact_log_z(model);
        e.detail = "exact (RBM: one layer enumerated, the other summed out)";
      } else {
        const inference::ExactResult r =
            inference::exact_inference(model, {.max_table_entries = max_table_entries,
                                               .log_z = true,
                                               .marginals = false,
                                               .map = false});
        e.value = r.log_z;
        e.detail = "exact (junction tree, induced width " + std::to_string(r.induced_width) + ")";
      }
      e.low = e.high = e.value;
      return e;
    }
    case LogZMethod::kAis: {
      inference::AisResult r = inference::ais_log_z(model, ais);
      e.value = r.log_z;
      e.low = r.log_z_low;
      e.high = r.log_z_high;
      e.exact = false;
      e.detail = "AIS estimate, " + std::to_string(r.runs) + " runs × " + std::to_string(r.betas) +
                 " βs" + (r.rbm_path ? " (hidden units summed out)" : "") + ", ±3σ interval [" +
                 number(r.log_z_low) + ", " + number(r.log_z_high) + "]";
      e.ais = std::move(r);
      return e;
    }
  }
  return e;
}

UnnormalisedLogLikelihoods log_unnormalised(const engine::CompiledModel& model, const Dataset& data,
                                            const VisibleLayout& layout,
                                            std::int64_t max_table_entries) {
  const engine::Graph& g = *model.graph;
  const std::int64_t n = data.num_examples;
  UnnormalisedLogLikelihoods out;
  out.values.assign(static_cast<std::size_t>(n), 0.0);
  std::vector<std::uint8_t> visible(static_cast<std::size_t>(g.num_variables()), 0);
  for (const std::int32_t v : layout.variables) visible[static_cast<std::size_t>(v)] = 1;
  std::vector<std::int32_t> hidden;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (visible[static_cast<std::size_t>(v)] == 0) hidden.push_back(v);
  out.hidden_variables = static_cast<std::int64_t>(hidden.size());

  // The model's evidence on every variable, the data's columns written over it per example.
  std::vector<std::int32_t> base_state(static_cast<std::size_t>(g.num_variables()), 0);
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (!model.evidence.empty() && model.evidence[static_cast<std::size_t>(v)] != engine::kFree)
      base_state[static_cast<std::size_t>(v)] = model.evidence[static_cast<std::size_t>(v)];

  if (hidden.empty()) {
    out.hidden = HiddenSum::kNone;
    tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n), [&](const auto& range) {
      std::vector<std::int32_t> x = base_state;
      for (std::int64_t r = range.begin(); r != range.end(); ++r) {
        fill_rows(data, layout, r, x);
        out.values[static_cast<std::size_t>(r)] = engine::total_log_potential(model, x);
      }
    });
    return out;
  }

  // An RBM whose hidden layer is exactly the variables the data leaves out.
  if (const std::optional<inference::RbmParameters> rbm = inference::rbm_parameters(model)) {
    const inference::RbmLayout& l = rbm->layout;
    bool fits = static_cast<std::int32_t>(hidden.size()) == l.num_hidden;
    for (std::size_t j = 0; fits && j < hidden.size(); ++j)
      fits = hidden[j] == l.hidden_begin + static_cast<std::int32_t>(j);
    if (fits) {
      out.hidden = HiddenSum::kRbmFreeEnergy;
      std::vector<std::int32_t> v(static_cast<std::size_t>(n * l.num_visible));
      tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n), [&](const auto& range) {
        std::vector<std::int32_t> x = base_state;
        for (std::int64_t r = range.begin(); r != range.end(); ++r) {
          fill_rows(data, layout, r, x);
          std::copy_n(x.begin() + l.visible_begin, l.num_visible, v.begin() + r * l.num_visible);
        }
      });
      out.values = inference::rbm_log_visible_marginals(model, *rbm, v, n);
      return out;
    }
  }

  // The junction tree with the visible variables clamped, planned once.
  out.hidden = HiddenSum::kJunctionTree;
  std::vector<std::int32_t> pattern(static_cast<std::size_t>(g.num_variables()), engine::kFree);
  if (!model.evidence.empty()) pattern = model.evidence;
  for (const std::int32_t v : layout.variables) pattern[static_cast<std::size_t>(v)] = 0;
  std::unique_ptr<inference::JunctionTree> tree;
  try {
    tree = std::make_unique<inference::JunctionTree>(model.graph, pattern, max_table_entries);
  } catch (const Error& e) {
    throw Error("score: summing out the " + std::to_string(hidden.size()) +
                    " hidden variables (first: " + g.variable_name(hidden.front()) +
                    ") exactly is too large: " + e.what(),
                error_details(ErrorCode::kLimit));
  }
  out.induced_width = tree->induced_width();
  const inference::ExactOptions only_log_z{.log_z = true, .marginals = false, .map = false};
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, n), [&](const auto& range) {
    std::vector<std::int32_t> evidence = pattern;
    for (std::int64_t r = range.begin(); r != range.end(); ++r) {
      fill_rows(data, layout, r, evidence);
      out.values[static_cast<std::size_t>(r)] = tree->run(model.params, evidence, only_log_z).log_z;
    }
  });
  return out;
}

ScoreResult score(const engine::CompiledModel& model, const Dataset& data,
                  const VisibleLayout& layout, const LogZEstimate& log_z,
                  std::int64_t max_table_entries) {
  ScoreResult s;
  s.examples = data.num_examples;
  s.log_z = log_z;
  if (data.num_examples == 0) throw Error(data.source + ": no examples to score");
  if (!(log_z.value > kNegInf) || std::isinf(log_z.value))
    throw Error(model.source + ": log Z is " + number(log_z.value) +
                    (log_z.value == kNegInf
                         ? " (no configuration has positive probability given the evidence)"
                         : "") +
                    "; the log-likelihood is undefined",
                error_details(ErrorCode::kBadValue, number(log_z.value)));
  const UnnormalisedLogLikelihoods u = log_unnormalised(model, data, layout, max_table_entries);
  s.hidden = u.hidden;
  s.hidden_variables = u.hidden_variables;
  double sum = 0.0;
  for (const double x : u.values) {
    s.zero_probability_examples += x == kNegInf;
    sum += x;
  }
  const auto n = static_cast<double>(u.values.size());
  s.mean_log_unnormalised = sum / n;
  s.mean_log_likelihood = s.mean_log_unnormalised - log_z.value;
  s.low = s.mean_log_unnormalised - log_z.high;
  s.high = s.mean_log_unnormalised - log_z.low;
  if (u.values.size() >= 2 && s.zero_probability_examples == 0) {
    double squares = 0.0;
    for (const double x : u.values)
      squares += (x - s.mean_log_unnormalised) * (x - s.mean_log_unnormalised);
    s.standard_error = std::sqrt(squares / (n - 1.0) / n);
  }
  return s;
}

std::vector<double> ais_base_from_data(const engine::CompiledModel& model, const Dataset& data,
                                       const VisibleLayout& layout, double pseudo_count) {
  const engine::Graph& g = *model.graph;
  std::vector<double> counts(static_cast<std::size_t>(g.state_offset.back()), 0.0);
  for (std::int64_t r = 0; r < data.num_examples; ++r) {
    const std::span<const std::int32_t> row = data.example(r);
    for (std::size_t c = 0; c < layout.variables.size(); ++c)
      counts[static_cast<std::size_t>(
          g.state_offset[static_cast<std::size_t>(layout.variables[c])] + row[c])] += 1.0;
  }
  return inference::base_from_state_counts(g, counts, pseudo_count);
}

RmseReport parameter_rmse(const engine::CompiledModel& model,
                          const engine::CompiledModel& reference) {
  const engine::Params& p = model.params;
  const engine::Params& q = reference.params;
  bool any_learnable = false;
  for (const engine::ParamInfo& info : p.info) any_learnable |= info.learnable;
  RmseReport report;
  double total = 0.0;
  for (std::size_t i = 0; i < p.info.size(); ++i) {
    const engine::ParamInfo& info = p.info[i];
    if (any_learnable && !info.learnable) continue;
    const int j = q.find(info.name);
    if (j < 0) {
      std::string names;
      for (const engine::ParamInfo& r : q.info) names += (names.empty() ? "" : ", ") + r.name;
      throw Error(reference.source + ": no parameter '" + info.name + "' to compare with " +
                      model.source + "'s; the reference has: " + (names.empty() ? "none" : names),
                  error_details(ErrorCode::kUnknownName, info.name, {}, reference.source));
    }
    const engine::ParamInfo& ref = q.info[static_cast<std::size_t>(j)];
    if (ref.shape != info.shape)
      throw Error(reference.source + ": parameter '" + info.name + "' has shape " +
                      shape_text(ref.shape) + "; " + model.source + " has " +
                      shape_text(info.shape),
                  error_details(ErrorCode::kBadValue, shape_text(ref.shape), {}, reference.source));
    const std::span<const double> a = p.view(static_cast<int>(i)), b = q.view(j);
    double squares = 0.0;
    for (std::size_t k = 0; k < a.size(); ++k) squares += (a[k] - b[k]) * (a[k] - b[k]);
    report.parameters.push_back(
        {info.name, info.size,
         a.empty() ? 0.0 : std::sqrt(squares / static_cast<double>(a.size()))});
    total += squares;
    report.values += info.size;
  }
  if (report.values == 0)
    throw Error(model.source + ": no parameter values to compare with " + reference.source,
                error_details(ErrorCode::kBadValue));
  report.rmse = std::sqrt(total / static_cast<double>(report.values));
  return report;
}

}  // namespace dgm::learning
