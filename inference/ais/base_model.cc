#include "inference/ais/base_model.h"

#include <cmath>
#include <string>

#include "engine/error.h"
#include "inference/sampling/draw.h"

namespace dgm::inference {

BaseModel::BaseModel(const engine::CompiledModel& model, std::span<const double> log_potentials)
    : model_(&model) {
  const engine::Graph& g = *model.graph;
  const std::int64_t states = g.state_offset.back();
  if (!log_potentials.empty() && static_cast<std::int64_t>(log_potentials.size()) != states)
    throw Error("ais: the base model has " + std::to_string(log_potentials.size()) +
                    " log-potentials; the model has " + std::to_string(states) +
                    " states (one value per state of every variable)",
                error_details(ErrorCode::kBadValue, std::to_string(log_potentials.size())));
  u_.assign(static_cast<std::size_t>(states), 0.0);
  offsets_.assign(g.state_offset.begin(), g.state_offset.end());
  free_.assign(static_cast<std::size_t>(g.num_variables()), 1);
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    free_[static_cast<std::size_t>(v)] =
        model.evidence.empty() || model.evidence[static_cast<std::size_t>(v)] == engine::kFree;
    for (std::int32_t k = 0; k < g.cardinality[static_cast<std::size_t>(v)]; ++k) {
      const std::int64_t i = g.state_offset[static_cast<std::size_t>(v)] + k;
      if (log_potentials.empty()) continue;
      const double x = log_potentials[static_cast<std::size_t>(i)];
      if (!std::isfinite(x))
        throw Error("ais: the base log-potential of " + g.variable_name(v) + " = " +
                        std::to_string(k) + " is " + std::to_string(x) +
                        "; it must be finite (a base state of probability zero would leave "
                        "part of the model out of the estimate)",
                    error_details(ErrorCode::kBadValue, std::to_string(x)));
      u_[static_cast<std::size_t>(i)] = x;
    }
    if (!is_free(v)) continue;
    const std::span<const double> u = of(v);
    double top = u[0];
    for (const double x : u) top = std::max(top, x);
    double sum = 0.0;
    for (const double x : u) sum += std::exp(x - top);
    log_z_ += top + std::log(sum);
  }
}

double BaseModel::log_potential(std::span<const std::int32_t> x) const {
  double total = 0.0;
  for (std::size_t v = 0; v < free_.size(); ++v)
    if (free_[v] != 0) total += u_[static_cast<std::size_t>(offsets_[v] + x[v])];
  return total;
}

bool BaseModel::uniform(std::int32_t begin, std::int32_t count) const {
  for (std::int32_t v = begin; v < begin + count; ++v) {
    if (!is_free(v)) continue;
    for (const double x : of(v))
      if (x != of(v)[0]) return false;
  }
  return true;
}

void BaseModel::sample(const engine::CounterRng& rng, std::span<std::int32_t> x) const {
  std::vector<double> logp;
  for (std::size_t v = 0; v < free_.size(); ++v) {
    if (free_[v] == 0) {
      x[v] = model_->evidence[v];
      continue;
    }
    const std::span<const double> u = of(static_cast<std::int32_t>(v));
    logp.assign(u.begin(), u.end());
    x[v] = draw_from_log_probabilities(logp, rng.uniform(engine::sweep_counter(0, v)), 0);
  }
}

std::vector<double> base_from_state_counts(const engine::Graph& graph,
                                           std::span<const double> counts, double pseudo_count) {
  if (!(pseudo_count > 0.0) || !std::isfinite(pseudo_count))
    throw Error("ais: the base model's pseudo-count must be positive and finite; got " +
                    std::to_string(pseudo_count),
                error_details(ErrorCode::kBadValue, std::to_string(pseudo_count)));
  const std::int64_t states = graph.state_offset.back();
  if (static_cast<std::int64_t>(counts.size()) != states)
    throw Error("ais: " + std::to_string(counts.size()) + " state counts for a model with " +
                    std::to_string(states) + " states",
                error_details(ErrorCode::kBadValue, std::to_string(counts.size())));
  std::vector<double> u(static_cast<std::size_t>(states), 0.0);
  for (std::int32_t v = 0; v < graph.num_variables(); ++v) {
    const std::int64_t begin = graph.state_offset[static_cast<std::size_t>(v)];
    const std::int32_t k = graph.cardinality[static_cast<std::size_t>(v)];
    double n = 0.0;
    for (std::int32_t s = 0; s < k; ++s) {
      const double c = counts[static_cast<std::size_t>(begin + s)];
      if (!(c >= 0.0) || !std::isfinite(c))
        throw Error("ais: the count of " + graph.variable_name(v) + " = " + std::to_string(s) +
                        " is " + std::to_string(c),
                    error_details(ErrorCode::kBadValue, std::to_string(c)));
      n += c;
    }
    if (n == 0.0) continue;  // not in the data: uniform
    for (std::int32_t s = 0; s < k; ++s)
      u[static_cast<std::size_t>(begin + s)] = std::log(
          (counts[static_cast<std::size_t>(begin + s)] + pseudo_count) / (n + k * pseudo_count));
  }
  return u;
}

}  // namespace dgm::inference
