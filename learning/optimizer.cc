#include "learning/optimizer.h"

#include <cmath>
#include <sstream>

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
  learnable_.assign(n, 0);
  penalised_.assign(n, 0);
  names_.assign(n, "");
  for (const engine::ParamInfo& info : params.info) {
    const bool weight = info.shape.size() >= 2;
    for (std::int64_t k = 0; k < info.size; ++k) {
      const auto i = static_cast<std::size_t>(info.offset + k);
      learnable_[i] = info.learnable;
      penalised_[i] = info.learnable && (!settings_.penalise_weights_only || weight);
      names_[i] = info.name;
    }
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

void Optimizer::step(std::span<double> values, std::span<const double> gradient,
                     std::int64_t epoch) {
  const std::size_t n = learnable_.size();
  if (values.size() != n || gradient.size() != n)
    throw Error("optimiser: " + std::to_string(gradient.size()) + " gradient entries and " +
                std::to_string(values.size()) + " values for " + std::to_string(n) +
                " parameter values");
  for (std::size_t i = 0; i < n; ++i)
    if (learnable_[i] && !std::isfinite(gradient[i]))
      throw Error("optimiser: the gradient of parameter '" + names_[i] + "' is " +
                  text(gradient[i]) + " (element " + std::to_string(i) +
                  "); lower the learning rate or check the data");
  ++steps_;
  const double eta = learning_rate(epoch);
  const double l1 = settings_.l1 * eta;
  if (settings_.kind == OptimizerSettings::Kind::kSgd) {
    const double mu = momentum(epoch);
    for (std::size_t i = 0; i < n; ++i) {
      if (!learnable_[i]) continue;
      const double g = gradient[i] - (penalised_[i] ? settings_.l2 * values[i] : 0.0);
      first_[i] = mu * first_[i] + g;
      values[i] += eta * first_[i];
    }
  } else {
    const double b1 = settings_.beta1, b2 = settings_.beta2;
    const double c1 = 1.0 - std::pow(b1, static_cast<double>(steps_));
    const double c2 = 1.0 - std::pow(b2, static_cast<double>(steps_));
    for (std::size_t i = 0; i < n; ++i) {
      if (!learnable_[i]) continue;
      const double g = gradient[i] - (penalised_[i] ? settings_.l2 * values[i] : 0.0);
      first_[i] = b1 * first_[i] + (1 - b1) * g;
      second_[i] = b2 * second_[i] + (1 - b2) * g * g;
      values[i] += eta * (first_[i] / c1) / (std::sqrt(second_[i] / c2) + settings_.epsilon);
    }
  }
  if (l1 > 0)
    for (std::size_t i = 0; i < n; ++i) {
      if (!penalised_[i]) continue;
      const double a = std::abs(values[i]) - l1;
      values[i] = a > 0 ? std::copysign(a, values[i]) : 0.0;
    }
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
