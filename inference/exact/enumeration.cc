#include "inference/exact/enumeration.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/error.h"
#include "factors/factor_eval.h"
#include "factors/infinity.h"
#include "factors/table_layout.h"

namespace dgm::inference {

namespace {

// f(x) = log_constant + Σ_f θ_f(x_f) over the configurations of the free variables in
// odometer order (last free variable fastest). Factors are grouped by the deepest odometer
// digit in their scope; partial[d] is the sum of the constant part and every factor of
// digits ≤ d. When digits d.. change, only partial[d..] are recomputed, from scratch: an
// exact sum, never a running update by subtraction (which would turn −inf into NaN and
// drift on long runs).
class Enumerator {
 public:
  Enumerator(const engine::CompiledModel& model, std::int64_t max_configurations)
      : model_(model), graph_(*model.graph) {
    const engine::Graph& g = graph_;
    const std::int32_t n = g.num_variables();
    state_.assign(n, 0);
    std::vector<std::int32_t> digit(n, -1);
    for (std::int32_t v = 0; v < n; ++v) {
      const std::int32_t e = model.evidence.empty() ? engine::kFree : model.evidence[v];
      if (e == engine::kFree) {
        digit[v] = static_cast<std::int32_t>(free_.size());
        free_.push_back(v);
      } else {
        if (e < 0 || e >= g.cardinality[v])
          throw Error("enumeration: evidence state " + std::to_string(e) + " of variable " +
                      g.variable_name(v) + " is out of range 0.." +
                      std::to_string(g.cardinality[v] - 1));
        state_[v] = e;
      }
    }
    num_configurations_ = 1;
    for (std::int32_t v : free_) {
      if (num_configurations_ > max_configurations / g.cardinality[v]) {
        throw Error("enumeration: the " + std::to_string(free_.size()) +
                    " free variables have more than " + std::to_string(max_configurations) +
                    " configurations (the limit); use the junction tree (exact) instead");
      }
      num_configurations_ *= g.cardinality[v];
    }

    const int depth = static_cast<int>(free_.size());
    std::vector<std::vector<std::int64_t>> by_digit(depth + 1);  // slot 0: constants
    for (std::int64_t f = 0; f < g.num_factors(); ++f) {
      int deepest = -1;
      for (std::int32_t u : g.scope(f)) deepest = std::max(deepest, digit[u]);
      by_digit[deepest + 1].push_back(f);
    }
    level_offsets_.push_back(0);
    for (const auto& list : by_digit) {
      for (std::int64_t f : list) add_factor(f);
      level_offsets_.push_back(static_cast<std::int64_t>(factors_.size()));
    }
    partial_.assign(depth + 1, 0.0);
    recompute_from(0);
  }

  std::int64_t num_configurations() const { return num_configurations_; }
  const std::vector<std::int32_t>& state() const { return state_; }
  double value() const { return partial_.back(); }

  // Moves to the next configuration; false after the last one.
  bool next() {
    for (int d = static_cast<int>(free_.size()); d-- > 0;) {
      const std::int32_t v = free_[d];
      if (++state_[v] < graph_.cardinality[v]) {
        recompute_from(d + 1);
        return true;
      }
      state_[v] = 0;
    }
    return false;
  }

 private:
  struct FactorEval {
    std::int64_t f;
    std::int64_t table_offset;  // into tables_, or −1: evaluate through log_potential
  };

  void add_factor(std::int64_t f) {
    const engine::Graph& g = graph_;
    const std::vector<std::int32_t> cards = g.scope_cards(f);
    const std::int64_t size = factors::table_size(cards, kMaxTable);
    FactorEval e{f, -1};
    if (size > 0) {
      e.table_offset = static_cast<std::int64_t>(tables_.size());
      tables_.resize(tables_.size() + size);
      const factors::FactorBlock& block = g.block_of(f);
      factors::fill_table(block, f - block.first_factor, model_.params.values, g.enum_configs,
                          cards, std::span<double>(tables_.data() + e.table_offset, size));
    }
    factors_.push_back(e);
  }

  double evaluate(const FactorEval& e) {
    const engine::Graph& g = graph_;
    const auto scope = g.scope(e.f);
    if (e.table_offset >= 0) {
      std::int64_t index = 0;
      for (std::int32_t u : scope) index = index * g.cardinality[u] + state_[u];
      return tables_[e.table_offset + index];
    }
    scratch_.resize(scope.size());
    for (std::size_t j = 0; j < scope.size(); ++j) scratch_[j] = state_[scope[j]];
    const factors::FactorBlock& block = g.block_of(e.f);
    return factors::log_potential(block, e.f - block.first_factor, model_.params.values,
                                  g.enum_configs, scratch_);
  }

  // partial_[level] for level ≥ from; level 0 holds the constants, level d + 1 the factors
  // whose deepest free variable is digit d.
  void recompute_from(int from) {
    for (int level = from; level < static_cast<int>(partial_.size()); ++level) {
      double sum = level == 0 ? graph_.log_constant : partial_[level - 1];
      for (std::int64_t i = level_offsets_[level]; i < level_offsets_[level + 1]; ++i)
        sum += evaluate(factors_[i]);
      partial_[level] = sum;
    }
  }

  static constexpr std::int64_t kMaxTable = std::int64_t{1} << 16;

  const engine::CompiledModel& model_;
  const engine::Graph& graph_;
  std::vector<std::int32_t> free_;   // free variables, odometer digits (last fastest)
  std::vector<std::int32_t> state_;  // the current full state
  std::int64_t num_configurations_ = 0;
  std::vector<FactorEval> factors_;          // grouped by level
  std::vector<std::int64_t> level_offsets_;  // CSR over factors_
  std::vector<double> tables_;
  std::vector<double> partial_;
  std::vector<std::int32_t> scratch_;
};

}  // namespace

EnumerationResult enumerate(const engine::CompiledModel& model, const EnumerationOptions& options) {
  if (!model.graph) throw Error("enumeration: the model has no graph");
  const engine::Graph& g = *model.graph;
  for (const auto& [i, j] : options.pairs) {
    if (i < 0 || j < 0 || i >= g.num_variables() || j >= g.num_variables() || i == j)
      throw Error("enumeration: invalid variable pair (" + std::to_string(i) + ", " +
                  std::to_string(j) + ") for a model of " + std::to_string(g.num_variables()) +
                  " variables");
  }
  EnumerationResult result;

  // Pass 1: log Z by a streaming log-sum-exp, and the MAP.
  double max = kNegInf, scaled_sum = 0.0;  // Z = exp(max)·scaled_sum
  {
    Enumerator e(model, options.max_configurations);
    result.num_configurations = e.num_configurations();
    do {
      const double f = e.value();
      if (std::isnan(f) || f == kPosInf)
        throw Error("enumeration: a configuration has log-potential " + std::to_string(f) +
                    "; log-potentials must be finite or -inf");
      if (f == kNegInf) continue;
      if (f > max) {
        scaled_sum = scaled_sum * std::exp(max - f) + 1.0;
        max = f;
        if (options.map) result.map_state = e.state();
      } else {
        scaled_sum += std::exp(f - max);
      }
    } while (e.next());
    result.log_z = max == kNegInf ? kNegInf : max + std::log(scaled_sum);
    if (options.map) result.map_log_potential = max;
  }
  const bool wants_more = options.marginals || options.map || !options.pairs.empty();
  if (result.log_z == kNegInf && wants_more)
    throw Error(model.num_clamped() > 0
                    ? "enumeration: the evidence has probability zero (log Z = -inf)"
                    : "enumeration: every configuration has probability zero (log Z = -inf)");
  if (!options.marginals && options.pairs.empty()) return result;

  // Pass 2: marginals, weighting each configuration by p(x) = exp(f(x) − max) / scaled_sum;
  // exp(f(x) − log Z) would carry the rounding of log Z = max + log(scaled_sum) to the ulp of
  // max into every weight (about 1e-4 at max = 1e12).
  if (options.marginals)
    result.marginals.assign(static_cast<std::size_t>(g.state_offset.back()), 0.0);
  result.pair_marginals.resize(options.pairs.size());
  for (std::size_t p = 0; p < options.pairs.size(); ++p) {
    const auto [i, j] = options.pairs[p];
    result.pair_marginals[p].assign(static_cast<std::size_t>(g.cardinality[i]) * g.cardinality[j],
                                    0.0);
  }
  Enumerator e(model, options.max_configurations);
  do {
    const double f = e.value();
    if (f == kNegInf) continue;
    const double w = std::exp(f - max) / scaled_sum;
    const auto& x = e.state();
    if (options.marginals)
      for (std::int32_t v = 0; v < g.num_variables(); ++v)
        result.marginals[g.state_offset[v] + x[v]] += w;
    for (std::size_t p = 0; p < options.pairs.size(); ++p) {
      const auto [i, j] = options.pairs[p];
      result.pair_marginals[p][static_cast<std::size_t>(x[i]) * g.cardinality[j] + x[j]] += w;
    }
  } while (e.next());
  return result;
}

}  // namespace dgm::inference
