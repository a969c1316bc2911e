#include "learning/optimizer.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <type_traits>

#include "engine/error.h"

namespace dgm::learning {
namespace {

std::string text(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

void require(bool ok, const std::string& what, double value, const std::string& range) {
  if (!ok) throw Error("optimiser: " + what + " must be " + range + " (got " + text(value) + ")");
}

}  // namespace

void OptimizerSettings::validate() const {
  require(std::isfinite(learning_rate) && learning_rate > 0, "the learning rate", learning_rate,
          "finite and > 0");
  require(momentum >= 0 && momentum < 1, "momentum", momentum, "in [0, 1)");
  require(initial_momentum < 1 && !std::isnan(initial_momentum), "the initial momentum",
          initial_momentum, "in [0, 1) (or < 0: the same as momentum)");
  require(momentum_switch_epoch >= 0, "the momentum switch epoch",
          static_cast<double>(momentum_switch_epoch), "≥ 0");
  require(beta1 >= 0 && beta1 < 1, "Adam's beta1", beta1, "in [0, 1)");
  require(beta2 >= 0 && beta2 < 1, "Adam's beta2", beta2, "in [0, 1)");
  require(std::isfinite(epsilon) && epsilon > 0, "Adam's epsilon", epsilon, "finite and > 0");
  require(std::isfinite(l1) && l1 >= 0, "the L1 penalty", l1, "finite and ≥ 0");
  require(std::isfinite(l2) && l2 >= 0, "the L2 penalty", l2, "finite and ≥ 0");
  require(std::isfinite(decay) && decay > 0 && decay <= 1, "the learning-rate decay", decay,
          "in (0, 1]");
  require(decay_every >= 0, "the decay interval", static_cast<double>(decay_every), "≥ 0");
}

Optimizer::Optimizer(const engine::Params& params, const OptimizerSettings& settings)
    : settings_(settings) {
  settings_.validate();
  const std::size_t n = params.values.size();
  num_values_ = n;
  for (std::size_t p = 0; p < params.info.size(); ++p) {
    const engine::ParamInfo& info = params.info[p];
    names_.push_back(info.name);
    if (!info.learnable) continue;
    const bool penalised = !settings_.penalise_weights_only || info.shape.size() >= 2;
    const auto begin = static_cast<std::size_t>(info.offset);
    const auto end = begin + static_cast<std::size_t>(info.size);
    for (std::size_t c = begin; c < end; c += kChunk)
      chunks_.push_back({c, std::min(end, c + kChunk), penalised, p});
  }
  first_.assign(n, 0.0);
  if (settings_.kind == OptimizerSettings::Kind::kAdam) second_.assign(n, 0.0);
}

double Optimizer::learning_rate(std::int64_t epoch) const {
  if (settings_.decay_every <= 0) return settings_.learning_rate;
  return settings_.learning_rate *
         std::pow(settings_.decay, static_cast<double>(epoch / settings_.decay_every));
}

double Optimizer::momentum(std::int64_t epoch) const {
  if (settings_.initial_momentum >= 0 && epoch < settings_.momentum_switch_epoch)
    return settings_.initial_momentum;
  return settings_.momentum;
}

double Optimizer::step(std::span<double> values, std::span<const double> gradient,
                       std::int64_t epoch) {
  const std::size_t n = num_values_;
  if (values.size() != n || gradient.size() != n)
    throw Error("optimiser: " + std::to_string(gradient.size()) + " gradient entries and " +
                std::to_string(values.size()) + " values for " + std::to_string(n) +
                " parameter values");
  // ‖g‖² per chunk (a vectorised pass): a NaN or infinite learnable entry makes it
  // non-finite, and only then are the entries searched for the message.
  norms_.assign(chunks_.size(), 0.0);
  tbb::parallel_for(std::size_t{0}, chunks_.size(), [&](std::size_t c) {
    double sum = 0.0;
    for (std::size_t i = chunks_[c].begin; i < chunks_[c].end; ++i)
      sum += gradient[i] * gradient[i];
    norms_[c] = sum;
  });
  double norm = 0.0;
  for (const double s : norms_) norm += s;
  if (!std::isfinite(norm))
    for (const Chunk& chunk : chunks_)
      for (std::size_t i = chunk.begin; i < chunk.end; ++i)
        if (!std::isfinite(gradient[i]))
          throw Error("optimiser: the gradient of parameter '" + names_[chunk.param] + "' is " +
                      text(gradient[i]) + " (element " + std::to_string(i) +
                      "); lower the learning rate or check the data");
  ++steps_;
  const double eta = learning_rate(epoch);
  const double l1 = settings_.l1 * eta;
  const double mu = momentum(epoch);
  const double b1 = settings_.beta1, b2 = settings_.beta2, epsilon = settings_.epsilon;
  const double c1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
  const double c2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
  const bool adam = settings_.kind == OptimizerSettings::Kind::kAdam;
  double* first = first_.data();
  double* second = second_.data();
  tbb::parallel_for(std::size_t{0}, chunks_.size(), [&](std::size_t c) {
    const Chunk& chunk = chunks_[c];
    // One loop per (penalised, rule) without a branch inside, so that each vectorises.
    // g̃ = g − λ2·θ on penalised values only (not 0·θ elsewhere: θ may be −inf).
    const auto update = [&](auto penalised, auto is_adam) {
      for (std::size_t i = chunk.begin; i < chunk.end; ++i) {
        double g = gradient[i];
        if constexpr (decltype(penalised)::value) g -= settings_.l2 * values[i];
        if constexpr (decltype(is_adam)::value) {
          first[i] = b1 * first[i] + (1 - b1) * g;
          second[i] = b2 * second[i] + (1 - b2) * g * g;
          values[i] += eta * (first[i] / c1) / (std::sqrt(second[i] / c2) + epsilon);
        } else {
          first[i] = mu * first[i] + g;
          values[i] += eta * first[i];
        }
      }
    };
    if (chunk.penalised && adam)
      update(std::true_type{}, std::true_type{});
    else if (chunk.penalised)
      update(std::true_type{}, std::false_type{});
    else if (adam)
      update(std::false_type{}, std::true_type{});
    else
      update(std::false_type{}, std::false_type{});
    if (l1 > 0 && chunk.penalised)
      for (std::size_t i = chunk.begin; i < chunk.end; ++i) {
        const double a = std::abs(values[i]) - l1;
        values[i] = a > 0 ? std::copysign(a, values[i]) : 0.0;
      }
  });
  return norm;
}

std::vector<double> Optimizer::state() const {
  std::vector<double> s = {static_cast<double>(steps_)};
  s.insert(s.end(), first_.begin(), first_.end());
  s.insert(s.end(), second_.begin(), second_.end());
  return s;
}

void Optimizer::restore(std::span<const double> state) {
  if (state.size() != 1 + first_.size() + second_.size())
    throw Error("optimiser: saved state has " + std::to_string(state.size()) +
                " numbers; this optimiser keeps " +
                std::to_string(1 + first_.size() + second_.size()));
  steps_ = static_cast<std::int64_t>(state[0]);
  std::copy(state.begin() + 1, state.begin() + 1 + static_cast<std::ptrdiff_t>(first_.size()),
            first_.begin());
  std::copy(state.begin() + 1 + static_cast<std::ptrdiff_t>(first_.size()), state.end(),
            second_.begin());
}

}  // namespace dgm::learning
