#include "tests/support/sampling_checks.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>

#include "engine/log_potential.h"
#include "inference/sampling/run.h"

namespace dgm::testing {

namespace {

// Counts, per chain, how often each checked event held: every single-site state (at its state
// offset), then every pair's joint states.
class EventCounter : public inference::RunObserver {
 public:
  EventCounter(const engine::Graph& graph,
               const std::vector<std::pair<std::int32_t, std::int32_t>>& pairs)
      : graph_(graph), pairs_(pairs) {
    num_events_ = graph.state_offset.back();
    for (const auto& [i, j] : pairs) {
      pair_offsets_.push_back(num_events_);
      num_events_ += std::int64_t{graph.cardinality[i]} * graph.cardinality[j];
    }
  }

  void on_sample(std::int64_t /*sweep*/, const inference::Chains& chains) override {
    if (kept_ == 0) {
      num_chains_ = chains.num_chains();
      counts_.assign(static_cast<std::size_t>(num_chains_ * num_events_), 0);
    }
    for (std::int32_t b = 0; b < num_chains_; ++b) {
      const auto x = chains.chain(b);
      std::int64_t* row = counts_.data() + b * num_events_;
      for (std::int32_t v = 0; v < graph_.num_variables(); ++v)
        ++row[graph_.state_offset[v] + x[v]];
      for (std::size_t p = 0; p < pairs_.size(); ++p) {
        const auto [i, j] = pairs_[p];
        ++row[pair_offsets_[p] + std::int64_t{x[i]} * graph_.cardinality[j] + x[j]];
      }
    }
    ++kept_;
  }

  // Mean over chains of the chain averages, and the batch-means standard error.
  std::pair<double, double> estimate(std::int64_t event) const {
    std::vector<double> means(static_cast<std::size_t>(num_chains_));
    for (std::int32_t b = 0; b < num_chains_; ++b)
      means[b] = static_cast<double>(counts_[b * num_events_ + event]) / static_cast<double>(kept_);
    const double mean = std::accumulate(means.begin(), means.end(), 0.0) / num_chains_;
    double ss = 0.0;
    for (double m : means) ss += (m - mean) * (m - mean);
    const double se = num_chains_ > 1 ? std::sqrt(ss / (num_chains_ - 1) / num_chains_) : 0.0;
    return {mean, se};
  }

  std::int64_t pair_offset(std::size_t p) const { return pair_offsets_[p]; }
  std::int64_t kept() const { return kept_; }
  std::int32_t num_chains() const { return num_chains_; }

 private:
  const engine::Graph& graph_;
  const std::vector<std::pair<std::int32_t, std::int32_t>>& pairs_;
  std::vector<std::int64_t> pair_offsets_;
  std::int64_t num_events_ = 0;
  std::int32_t num_chains_ = 0;
  std::int64_t kept_ = 0;
  std::vector<std::int64_t> counts_;  // [chain][event]
};

std::string format_probability(const std::string& what, double p, double estimate, double se,
                               double z) {
  char buffer[256];
  std::snprintf(buffer, sizeof buffer, "p(%s) = %.4f, estimate %.4f ± %.4f (z = %.2f)",
                what.c_str(), p, estimate, se, z);
  return buffer;
}

// Positive-probability flags of every configuration of the free variables (mixed radix, the
// last free variable fastest), and the free variables.
struct Support {
  std::vector<std::int32_t> free;
  std::vector<std::int64_t> radix;  // stride of each free variable in the index
  std::vector<char> positive;
};

Support support_of(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  Support s;
  std::int64_t total = 1;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (model.evidence[v] == engine::kFree) s.free.push_back(v);
  s.radix.resize(s.free.size());
  for (std::size_t i = s.free.size(); i-- > 0;) {
    s.radix[i] = total;
    total *= g.cardinality[s.free[i]];
    if (total > (std::int64_t{1} << 20))
      throw std::invalid_argument("support_of: more than 2^20 joint states");
  }
  std::vector<std::int32_t> x(model.evidence.begin(), model.evidence.end());
  s.positive.assign(static_cast<std::size_t>(total), 0);
  for (std::int64_t index = 0; index < total; ++index) {
    for (std::size_t i = 0; i < s.free.size(); ++i)
      x[s.free[i]] = static_cast<std::int32_t>((index / s.radix[i]) % g.cardinality[s.free[i]]);
    s.positive[index] = engine::total_log_potential(model, x) > -INFINITY;
  }
  return s;
}

}  // namespace

std::string SamplingCheckResult::summary() const {
  char buffer[128];
  std::snprintf(buffer, sizeof buffer, "%s: worst z = %.2f over %lld probabilities; ",
                passed ? "passed" : "FAILED", worst_z, static_cast<long long>(checked));
  return buffer + worst;
}

SamplingCheckResult check_marginals(inference::Sampler& sampler, inference::Chains& chains,
                                    const engine::CompiledModel& reference,
                                    const SamplingCheckOptions& options) {
  const engine::Graph& g = *reference.graph;
  SamplingCheckResult result;
  inference::EnumerationOptions exact_options;
  exact_options.map = false;
  exact_options.pairs = options.pairs;
  result.exact = inference::enumerate(reference, exact_options);

  EventCounter counter(g, options.pairs);
  inference::RunObserver* observers[] = {&counter};
  inference::RunOptions run;
  run.sweeps = options.burn_in + options.sweeps;
  run.burn_in = options.burn_in;
  run.first_sweep = options.first_sweep;
  inference::run_sampler(sampler, chains, run, observers);

  auto compare = [&](std::int64_t event, double p, const std::string& what) {
    const auto [estimate, raw_se] = counter.estimate(event);
    const double se = std::max(raw_se, options.se_floor);
    const double z = std::abs(estimate - p) / se;
    ++result.checked;
    if (z > result.worst_z || result.worst.empty()) {
      result.worst_z = z;
      result.worst = format_probability(what, p, estimate, se, z);
    }
    return estimate;
  };
  result.marginals.resize(static_cast<std::size_t>(g.state_offset.back()));
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    for (std::int32_t k = 0; k < g.cardinality[v]; ++k) {
      const std::int64_t e = g.state_offset[v] + k;
      result.marginals[e] =
          compare(e, result.exact.marginals[e], g.variable_name(v) + "=" + std::to_string(k));
    }
  for (std::size_t p = 0; p < options.pairs.size(); ++p) {
    const auto [i, j] = options.pairs[p];
    const std::int32_t kj = g.cardinality[j];
    std::vector<double>& out =
        result.pair_marginals.emplace_back(static_cast<std::size_t>(g.cardinality[i]) * kj);
    for (std::int32_t a = 0; a < g.cardinality[i]; ++a)
      for (std::int32_t b = 0; b < kj; ++b) {
        const std::int64_t ab = std::int64_t{a} * kj + b;
        out[ab] = compare(counter.pair_offset(p) + ab, result.exact.pair_marginals[p][ab],
                          g.variable_name(i) + "=" + std::to_string(a) + ", " + g.variable_name(j) +
                              "=" + std::to_string(b));
      }
  }
  result.passed = result.worst_z <= options.z;
  return result;
}

bool single_site_connected(const engine::CompiledModel& model) {
  const engine::Graph& g = *model.graph;
  const Support s = support_of(model);
  const auto total = static_cast<std::int64_t>(s.positive.size());
  std::vector<std::int64_t> parent(static_cast<std::size_t>(total));
  std::iota(parent.begin(), parent.end(), 0);
  auto find = [&](std::int64_t a) {
    while (parent[a] != a) a = parent[a] = parent[parent[a]];
    return a;
  };
  std::int64_t components = 0;
  for (std::int64_t index = 0; index < total; ++index) {
    if (!s.positive[index]) continue;
    ++components;
    for (std::size_t i = 0; i < s.free.size(); ++i) {
      // Neighbours with a larger state of free variable i.
      const std::int32_t k =
          static_cast<std::int32_t>((index / s.radix[i]) % g.cardinality[s.free[i]]);
      for (std::int32_t next = k + 1; next < g.cardinality[s.free[i]]; ++next) {
        const std::int64_t other = index + (next - k) * s.radix[i];
        if (!s.positive[other]) continue;
        const std::int64_t ra = find(index), rb = find(other);
        if (ra != rb) {
          parent[ra] = rb;
          --components;
        }
      }
    }
  }
  return components == 1;
}

std::int64_t num_positive_states(const engine::CompiledModel& model) {
  const Support s = support_of(model);
  return std::count(s.positive.begin(), s.positive.end(), 1);
}

}  // namespace dgm::testing
