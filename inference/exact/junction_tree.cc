#include "inference/exact/junction_tree.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "engine/elimination_order.h"
#include "engine/error.h"
#include "factors/factor_eval.h"
#include "factors/infinity.h"
#include "factors/table_layout.h"
#include "inference/exact/log_table.h"

namespace dgm::inference {

namespace {

constexpr std::int64_t kInt64Max = std::numeric_limits<std::int64_t>::max();

std::string entries_text(std::int64_t entries) {
  if (entries == kInt64Max) return "more than 9.2e18 entries";
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
  double bytes = static_cast<double>(entries) * sizeof(double);
  int unit = 0;
  while (bytes >= 1024 && unit < 6) {
    bytes /= 1024;
    ++unit;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "%lld entries (%.3g %s of doubles)",
                static_cast<long long>(entries), bytes, kUnits[unit]);
  return buf;
}

// `order` comes from the search with the reported width cap (no table limit), so that the
// refusal names the same width as dgm check.
// `advice` ends the message: how to raise the limit or what to use instead (empty: the
// advice for --max-table-size).
[[noreturn]] void throw_too_wide(const engine::EliminationOrder& order, std::int64_t limit,
                                 std::string_view advice) {
  const std::string needs = order.complete
                                ? "needs a clique table of " + entries_text(order.largest_table)
                                : "needs clique tables of more than 2^" +
                                      std::to_string(engine::kReportedWidthCap + 1) + " entries";
  throw Error(
      "exact inference is not affordable for this model: the best elimination order "
      "found has " +
      engine::describe_width(order, engine::kReportedWidthCap) + " and " + needs +
      ", more than the limit of " + std::to_string(limit) + " entries. " +
      (advice.empty() ? std::string("Raise the limit with --max-table-size (ExactOptions::"
                                    "max_table_entries) if there is memory for it, or use an "
                                    "approximate method.")
                      : std::string(advice)));
}

// `missing`: what cannot be computed, e.g. "there are no conditional marginals or MAP state".
[[noreturn]] void throw_zero_probability(bool has_evidence, const char* what, const char* missing) {
  if (has_evidence)
    throw Error(std::string(what) + ": the evidence has probability zero (log Z = -inf), so " +
                missing);
  throw Error(std::string(what) +
              ": every configuration has probability zero (log Z = -inf): the "
              "model's hard constraints cannot all be satisfied");
}

constexpr const char* kNoMarginals = "there are no conditional marginals or MAP state";

// Checks a restricted factor table for values that are not log-potentials.
void check_values(std::span<const double> values, const engine::Graph& graph, std::int64_t f) {
  for (double x : values) {
    if (std::isnan(x) || x == kPosInf) {
      const factors::FactorBlock& block = graph.block_of(f);
      throw Error("exact inference: factor " + std::to_string(f - block.first_factor) +
                  " of factor group '" + block.name + "' has log-potential " +
                  (std::isnan(x) ? "nan" : "+inf") +
                  "; log-potentials must be finite or -inf (a hard zero)");
    }
  }
}

}  // namespace

JunctionTree::JunctionTree(std::shared_ptr<const engine::Graph> graph,
                           std::span<const std::int32_t> evidence, std::int64_t max_table_entries,
                           std::string_view advice)
    : graph_(std::move(graph)), max_table_entries_(max_table_entries) {
  const engine::Graph& g = *graph_;
  const std::int32_t num_vars = g.num_variables();
  if (static_cast<std::int64_t>(evidence.size()) != num_vars)
    throw Error("exact inference: evidence has " + std::to_string(evidence.size()) +
                " entries but the model has " + std::to_string(num_vars) + " variables");
  if (max_table_entries < 1)
    throw Error("exact inference: the table size limit must be positive, got " +
                std::to_string(max_table_entries));

  clamped_.assign(num_vars, 0);
  std::vector<std::int32_t> free_vars;
  for (std::int32_t v = 0; v < num_vars; ++v) {
    if (evidence[v] != engine::kFree) {
      clamped_[v] = 1;
      has_evidence_ = true;
    } else {
      free_vars.push_back(v);
      max_cardinality_ = std::max(max_cardinality_, g.cardinality[v]);
    }
  }
  // The best order up to the reported width cap, whatever its tables: the same order dgm check
  // reports. No order within the table limit is lost (its width is below the cap), and the
  // order chosen is the one the table limit alone would choose when one fits.
  const engine::EliminationOrder elimination =
      engine::best_elimination_order(g, free_vars, kInt64Max, engine::kReportedWidthCap);
  if (!elimination.complete || elimination.largest_table > max_table_entries)
    throw_too_wide(elimination, max_table_entries, advice);
  order_ = elimination.order;
  const int n = static_cast<int>(order_.size());
  position_.assign(num_vars, -1);
  for (int i = 0; i < n; ++i) position_[order_[i]] = i;
  auto by_position = [&](std::int32_t a, std::int32_t b) { return position_[a] < position_[b]; };

  // Factors: free variables (distinct, in elimination order) and the bucket each feeds.
  std::vector<std::vector<std::int32_t>> bucket_lists(n);
  factor_axis_offsets_.push_back(0);
  factor_value_offsets_.push_back(0);
  std::vector<std::int32_t> free_scope;
  for (std::int64_t f = 0; f < g.num_factors(); ++f) {
    free_scope.clear();
    for (std::int32_t u : g.scope(f))
      if (!clamped_[u] && std::find(free_scope.begin(), free_scope.end(), u) == free_scope.end())
        free_scope.push_back(u);
    if (free_scope.empty()) {
      constant_factors_.push_back(f);
      continue;
    }
    std::sort(free_scope.begin(), free_scope.end(), by_position);
    std::int64_t entries = 1;
    for (std::int32_t u : free_scope) {
      factor_vars_.push_back(u);
      factor_cards_.push_back(g.cardinality[u]);
      entries *= g.cardinality[u];  // fits: the scope lies in a clique within the limit
    }
    bucket_lists[position_[free_scope[0]]].push_back(static_cast<std::int32_t>(factor_ids_.size()));
    factor_ids_.push_back(f);
    factor_axis_offsets_.push_back(static_cast<std::int64_t>(factor_vars_.size()));
    factor_value_offsets_.push_back(factor_value_offsets_.back() + entries);
  }
  bucket_offsets_.push_back(0);
  for (const auto& list : bucket_lists) {
    buckets_.insert(buckets_.end(), list.begin(), list.end());
    bucket_offsets_.push_back(static_cast<std::int64_t>(buckets_.size()));
  }

  // Symbolic elimination: clique i = {order[i]} ∪ its factors' variables ∪ its children's
  // separators, which is the elimination clique of the chosen order.
  std::vector<std::vector<std::int32_t>> child_lists(n);
  std::vector<std::int32_t> mark(num_vars, -1);
  std::vector<std::int32_t> scope, cards;
  clique_offsets_.push_back(0);
  message_offsets_.push_back(0);
  parent_.assign(n, -1);
  for (int i = 0; i < n; ++i) {
    scope.clear();
    auto add = [&](std::int32_t u) {
      if (mark[u] != i) {
        mark[u] = i;
        scope.push_back(u);
      }
    };
    add(order_[i]);
    for (std::int32_t t : bucket(i))
      for (std::int64_t a = factor_axis_offsets_[t]; a < factor_axis_offsets_[t + 1]; ++a)
        add(factor_vars_[a]);
    for (std::int32_t c : child_lists[i])
      for (std::int32_t u : separator_vars(c)) add(u);
    std::sort(scope.begin(), scope.end(), by_position);
    cards.clear();
    for (std::int32_t u : scope) cards.push_back(g.cardinality[u]);
    const std::int64_t entries = factors::table_size(cards, max_table_entries);
    if (entries < 0) {  // the order's simulation already said so; kept as a guard
      engine::EliminationOrder actual = elimination;
      actual.induced_width = std::max(actual.induced_width, static_cast<int>(scope.size()) - 1);
      actual.largest_table = std::max(actual.largest_table, factors::table_size(cards));
      throw_too_wide(actual, max_table_entries, advice);
    }
    induced_width_ = std::max(induced_width_, static_cast<int>(scope.size()) - 1);
    largest_table_ = std::max(largest_table_, entries);
    clique_vars_.insert(clique_vars_.end(), scope.begin(), scope.end());
    clique_cards_.insert(clique_cards_.end(), cards.begin(), cards.end());
    clique_offsets_.push_back(static_cast<std::int64_t>(clique_vars_.size()));
    message_offsets_.push_back(message_offsets_.back() + entries / cards[0]);
    if (scope.size() > 1) {
      parent_[i] = position_[scope[1]];
      child_lists[parent_[i]].push_back(i);
    }
  }
  child_offsets_.push_back(0);
  for (const auto& list : child_lists) {
    children_.insert(children_.end(), list.begin(), list.end());
    child_offsets_.push_back(static_cast<std::int64_t>(children_.size()));
  }
}

std::span<const std::int32_t> JunctionTree::clique_vars(int i) const {
  return std::span<const std::int32_t>(clique_vars_)
      .subspan(clique_offsets_[i], clique_offsets_[i + 1] - clique_offsets_[i]);
}

std::span<const std::int32_t> JunctionTree::clique_cards(int i) const {
  return std::span<const std::int32_t>(clique_cards_)
      .subspan(clique_offsets_[i], clique_offsets_[i + 1] - clique_offsets_[i]);
}

std::span<const std::int32_t> JunctionTree::children(int i) const {
  return std::span<const std::int32_t>(children_).subspan(
      child_offsets_[i], child_offsets_[i + 1] - child_offsets_[i]);
}

std::span<const std::int32_t> JunctionTree::bucket(int i) const {
  return std::span<const std::int32_t>(buckets_).subspan(
      bucket_offsets_[i], bucket_offsets_[i + 1] - bucket_offsets_[i]);
}

void JunctionTree::check_evidence(std::span<const std::int32_t> evidence) const {
  const engine::Graph& g = *graph_;
  if (static_cast<std::int64_t>(evidence.size()) != g.num_variables())
    throw Error("exact inference: evidence has " + std::to_string(evidence.size()) +
                " entries but the model has " + std::to_string(g.num_variables()) + " variables");
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    const bool clamped = evidence[v] != engine::kFree;
    if (clamped != static_cast<bool>(clamped_[v]))
      throw Error("exact inference: variable " + g.variable_name(v) + " is " +
                  (clamped ? "clamped" : "free") + " but the junction tree was planned with it " +
                  (clamped ? "free" : "clamped"));
    if (clamped && (evidence[v] < 0 || evidence[v] >= g.cardinality[v]))
      throw Error("exact inference: evidence state " + std::to_string(evidence[v]) +
                  " of variable " + g.variable_name(v) + " is out of range 0.." +
                  std::to_string(g.cardinality[v] - 1));
  }
}

double JunctionTree::restrict_factors(const engine::Params& params,
                                      std::span<const std::int32_t> evidence,
                                      std::vector<double>& factor_values) const {
  const engine::Graph& g = *graph_;
  factor_values.assign(static_cast<std::size_t>(factor_value_offsets_.back()), 0.0);
  std::vector<double> full;
  std::vector<std::int32_t> cards, states, free_states, axis;
  for (std::size_t t = 0; t < factor_ids_.size(); ++t) {
    const std::int64_t f = factor_ids_[t];
    const factors::FactorBlock& block = g.block_of(f);
    const std::int64_t r = f - block.first_factor;
    const auto scope = g.scope(f);
    cards.resize(scope.size());
    for (std::size_t j = 0; j < scope.size(); ++j) cards[j] = g.cardinality[scope[j]];
    const std::span<const std::int32_t> vars(factor_vars_.data() + factor_axis_offsets_[t],
                                             factor_axis_offsets_[t + 1] - factor_axis_offsets_[t]);
    const std::span<const std::int32_t> vcards(factor_cards_.data() + factor_axis_offsets_[t],
                                               vars.size());
    std::span<double> out(factor_values.data() + factor_value_offsets_[t],
                          factor_value_offsets_[t + 1] - factor_value_offsets_[t]);
    // Where each scope position reads its state: a free variable's axis, or the evidence.
    axis.resize(scope.size());
    states.resize(scope.size());
    for (std::size_t j = 0; j < scope.size(); ++j) {
      const std::int32_t u = scope[j];
      axis[j] =
          clamped_[u]
              ? -1
              : static_cast<std::int32_t>(std::find(vars.begin(), vars.end(), u) - vars.begin());
      if (clamped_[u]) states[j] = evidence[u];
    }
    const std::int64_t full_size = factors::table_size(cards, max_table_entries_);
    const auto restricted_size = static_cast<std::int64_t>(out.size());
    if (block.kind == factors::FactorKind::kEnumeration) {
      // Scatter the listed configurations that agree with the evidence; the rest are −inf.
      std::fill(out.begin(), out.end(), kNegInf);
      const std::int32_t* rows = g.enum_configs.data() + block.config_offset;
      const double* w = block.param >= 0
                            ? params.values.data() + block.param_offset + r * block.param_stride
                            : nullptr;
      free_states.assign(vars.size(), -1);
      for (std::int64_t c = 0; c < block.num_configs; ++c) {
        const std::int32_t* row = rows + c * block.arity;
        std::fill(free_states.begin(), free_states.end(), -1);
        bool agrees = true;
        for (std::size_t j = 0; j < scope.size() && agrees; ++j) {
          if (axis[j] < 0) {
            agrees = row[j] == states[j];
          } else if (free_states[axis[j]] < 0) {
            free_states[axis[j]] = row[j];
          } else {
            agrees = free_states[axis[j]] == row[j];  // a variable repeated in the scope
          }
        }
        if (agrees) out[factors::flat_index(vcards, free_states)] = w != nullptr ? w[c] : 0.0;
      }
    } else if (block.potential == factors::Potential::kTable && full_size > 0 &&
               full_size <= std::max<std::int64_t>(4 * restricted_size, 4096)) {
      // A dense table not much larger than its restriction: copy it, then restrict.
      full.resize(static_cast<std::size_t>(full_size));
      factors::fill_table(block, r, params.values, g.enum_configs, cards, full);
      gather_into(LogTableView{scope, cards, full}, vars, evidence, out);
    } else {
      // Parametrised potentials (Ising, Potts, log-odds, logical), and dense tables much
      // larger than their restriction: evaluate exactly the entries the evidence leaves.
      free_states.assign(vars.size(), 0);
      for (std::int64_t e = 0; e < restricted_size; ++e) {
        for (std::size_t j = 0; j < scope.size(); ++j)
          if (axis[j] >= 0) states[j] = free_states[axis[j]];
        out[e] = factors::log_potential(block, r, params.values, g.enum_configs, states);
        for (std::size_t a = vars.size(); a-- > 0;) {  // odometer, last axis fastest
          if (++free_states[a] < vcards[a]) break;
          free_states[a] = 0;
        }
      }
    }
    check_values(out, g, f);
  }
  double constant = g.log_constant;
  for (std::int64_t f : constant_factors_) {
    const factors::FactorBlock& block = g.block_of(f);
    const auto scope = g.scope(f);
    states.resize(scope.size());
    for (std::size_t j = 0; j < scope.size(); ++j) states[j] = evidence[scope[j]];
    const double x = factors::log_potential(block, f - block.first_factor, params.values,
                                            g.enum_configs, states);
    check_values(std::span<const double>(&x, 1), g, f);
    constant += x;
  }
  return constant;
}

void JunctionTree::clique_potential(int i, std::span<const double> factor_values,
                                    std::span<const double> messages,
                                    std::vector<double>& out) const {
  const auto vars = clique_vars(i);
  const auto cards = clique_cards(i);
  std::int64_t entries = 1;
  for (std::int32_t k : cards) entries *= k;
  out.assign(static_cast<std::size_t>(entries), 0.0);
  for (std::int32_t t : bucket(i)) {
    const std::int64_t a0 = factor_axis_offsets_[t], a1 = factor_axis_offsets_[t + 1];
    const LogTableView factor{
        std::span<const std::int32_t>(factor_vars_.data() + a0, a1 - a0),
        std::span<const std::int32_t>(factor_cards_.data() + a0, a1 - a0),
        factor_values.subspan(factor_value_offsets_[t],
                              factor_value_offsets_[t + 1] - factor_value_offsets_[t])};
    add_into(vars, cards, out, factor);
  }
  if (messages.empty()) return;
  for (std::int32_t c : children(i)) {
    const LogTableView message{
        separator_vars(c), separator_cards(c),
        messages.subspan(message_offsets_[c], message_offsets_[c + 1] - message_offsets_[c])};
    add_into(vars, cards, out, message);
  }
}

void JunctionTree::collect(std::span<const double> factor_values, bool max_product,
                           std::vector<double>& messages) const {
  messages.assign(static_cast<std::size_t>(message_offsets_.back()), 0.0);
  std::vector<double> clique;
  for (int i = 0; i < static_cast<int>(order_.size()); ++i) {
    // Children precede their parent in the order, so their messages are ready.
    clique_potential(i, factor_values, messages, clique);
    const LogTableView table{clique_vars(i), clique_cards(i), clique};
    std::span<double> out(messages.data() + message_offsets_[i],
                          message_offsets_[i + 1] - message_offsets_[i]);
    if (max_product) {
      max_onto(table, separator_vars(i), out);
    } else {
      sum_onto(table, separator_vars(i), out);
    }
  }
}

void JunctionTree::send_to_children(std::span<const std::int32_t> kids, std::span<const double> up,
                                    std::span<const double> acc, int i, int depth,
                                    std::vector<std::vector<double>>& scratch,
                                    std::vector<double>& down) const {
  // `acc` is ψ_i plus the parent's message plus the messages of every child of i except
  // those in `kids`. One child left: its message is acc marginalised onto its separator.
  // Otherwise each half of `kids` receives acc plus the other half's messages.
  const auto vars = clique_vars(i);
  const auto cards = clique_cards(i);
  if (kids.size() == 1) {
    const int c = kids[0];
    sum_onto(LogTableView{vars, cards, acc}, separator_vars(c),
             std::span<double>(down.data() + message_offsets_[c],
                               message_offsets_[c + 1] - message_offsets_[c]));
    return;
  }
  const std::size_t mid = kids.size() / 2;
  const auto halves = {std::pair{kids.subspan(0, mid), kids.subspan(mid)},
                       std::pair{kids.subspan(mid), kids.subspan(0, mid)}};
  for (const auto& [receivers, others] : halves) {
    std::vector<double>& table = scratch[depth];
    table.assign(acc.begin(), acc.end());
    for (std::int32_t c : others)
      add_into(vars, cards, table,
               LogTableView{
                   separator_vars(c), separator_cards(c),
                   up.subspan(message_offsets_[c], message_offsets_[c + 1] - message_offsets_[c])});
    send_to_children(receivers, up, table, i, depth + 1, scratch, down);
  }
}

void JunctionTree::prepare_factor_marginals(std::span<const std::int32_t> evidence,
                                            ExactResult& out) const {
  const engine::Graph& g = *graph_;
  out.factor_marginal_offsets.assign(static_cast<std::size_t>(g.num_factors()) + 1, 0);
  for (std::int64_t f = 0; f < g.num_factors(); ++f) {
    std::int64_t size = 1;
    for (const std::int32_t u : g.scope(f)) size *= g.cardinality[u];
    out.factor_marginal_offsets[static_cast<std::size_t>(f) + 1] =
        out.factor_marginal_offsets[static_cast<std::size_t>(f)] + size;
    if (out.factor_marginal_offsets[static_cast<std::size_t>(f) + 1] > (std::int64_t{1} << 28))
      throw Error("exact factor marginals: the factors' tables hold more than 2^28 entries in all");
  }
  out.factor_marginals.assign(static_cast<std::size_t>(out.factor_marginal_offsets.back()), 0.0);
  for (const std::int64_t f : constant_factors_) {
    std::int64_t index = 0;
    for (const std::int32_t u : g.scope(f)) index = index * g.cardinality[u] + evidence[u];
    out.factor_marginals[static_cast<std::size_t>(out.factor_marginal_offsets[f] + index)] = 1.0;
  }
}

void JunctionTree::factor_marginal(std::int64_t f, LogTableView belief,
                                   std::span<const std::int32_t> evidence,
                                   std::vector<double>& scratch, ExactResult& out) const {
  const engine::Graph& g = *graph_;
  const auto scope = g.scope(f);
  std::vector<std::int32_t> free_vars;
  std::int64_t free_size = 1;
  for (const std::int32_t u : scope)
    if (!clamped_[u]) {
      free_vars.push_back(u);
      free_size *= g.cardinality[u];
    }
  // The belief summed onto the factor's free variables, in scope order (last fastest).
  scratch.assign(static_cast<std::size_t>(free_size), 0.0);
  sum_onto(belief, free_vars, scratch);
  normalise_log_weights(scratch);
  // Spread over the full scope: clamped positions stay at their evidence states, so entry c
  // of the free table goes to the full configuration with the free digits of c.
  double* table = out.factor_marginals.data() + out.factor_marginal_offsets[f];
  std::vector<std::int32_t> digit(scope.size(), 0);
  for (std::int64_t c = 0; c < free_size; ++c) {
    std::int64_t rest = c;
    for (std::size_t j = scope.size(); j-- > 0;) {
      const std::int32_t u = scope[j];
      if (clamped_[u]) continue;
      digit[j] = static_cast<std::int32_t>(rest % g.cardinality[u]);
      rest /= g.cardinality[u];
    }
    std::int64_t index = 0;
    for (std::size_t j = 0; j < scope.size(); ++j)
      index =
          index * g.cardinality[scope[j]] + (clamped_[scope[j]] ? evidence[scope[j]] : digit[j]);
    table[index] = scratch[static_cast<std::size_t>(c)];
  }
}

void JunctionTree::distribute(std::span<const double> factor_values, std::span<const double> up,
                              std::vector<double>& down, std::vector<double>& marginals,
                              ExactResult* factor_marginals,
                              std::span<const std::int32_t> evidence) const {
  const engine::Graph& g = *graph_;
  down.assign(up.size(), 0.0);
  // Scratch tables for the halving recursion: one per level.
  std::size_t max_children = 0;
  for (int i = 0; i < static_cast<int>(order_.size()); ++i)
    max_children = std::max(max_children, children(i).size());
  int levels = 0;
  while ((std::size_t{1} << levels) < max_children) ++levels;
  std::vector<std::vector<double>> scratch(levels + 1);

  std::vector<double> belief, marginal;
  for (int i = static_cast<int>(order_.size()) - 1; i >= 0; --i) {
    const auto vars = clique_vars(i);
    const auto cards = clique_cards(i);
    clique_potential(i, factor_values, {}, belief);
    if (parent_[i] >= 0)
      add_into(
          vars, cards, belief,
          LogTableView{separator_vars(i), separator_cards(i),
                       std::span<const double>(down).subspan(
                           message_offsets_[i], message_offsets_[i + 1] - message_offsets_[i])});
    const auto kids = children(i);
    if (!kids.empty()) send_to_children(kids, up, belief, i, 0, scratch, down);
    for (std::int32_t c : kids)
      add_into(vars, cards, belief,
               LogTableView{
                   separator_vars(c), separator_cards(c),
                   up.subspan(message_offsets_[c], message_offsets_[c + 1] - message_offsets_[c])});
    if (factor_marginals != nullptr) {
      for (const std::int32_t t : bucket(i))
        factor_marginal(factor_ids_[static_cast<std::size_t>(t)], LogTableView{vars, cards, belief},
                        evidence, marginal, *factor_marginals);
    }
    // The clique belief's marginal on its eliminated variable (the first axis).
    const std::int32_t v = order_[i];
    marginal.assign(cards[0], 0.0);
    sum_onto(LogTableView{vars, cards, belief}, vars.subspan(0, 1), marginal);
    normalise_log_weights(marginal);
    std::copy(marginal.begin(), marginal.end(), marginals.begin() + g.state_offset[v]);
  }
}

double JunctionTree::root_total(double constant, std::span<const double> messages) const {
  double total = constant;
  for (int i = 0; i < static_cast<int>(order_.size()); ++i)
    if (parent_[i] < 0) total += messages[message_offsets_[i]];
  return total;
}

void JunctionTree::conditional_row(int i, std::span<const double> factor_values,
                                   std::span<const double> messages,
                                   std::span<const std::int32_t> state,
                                   std::span<double> row) const {
  const std::int32_t card = clique_cards(i)[0];
  std::fill(row.begin(), row.begin() + card, 0.0);
  // Adds table (vars, cards, values), whose first axis is the clique's variable: the entries
  // (k, s) sit at k·stride + rest, with rest and stride from the other axes (row-major).
  auto add = [&](std::span<const std::int32_t> vars, std::span<const std::int32_t> cards,
                 const double* values) {
    std::int64_t rest = 0, stride = 1;
    for (std::size_t j = 1; j < vars.size(); ++j) {
      rest = rest * cards[j] + state[vars[j]];
      stride *= cards[j];
    }
    const double* at = values + rest;
    for (std::int32_t k = 0; k < card; ++k) row[k] += at[k * stride];
  };
  for (std::int32_t t : bucket(i)) {
    const std::int64_t a0 = factor_axis_offsets_[t], a1 = factor_axis_offsets_[t + 1];
    add(std::span<const std::int32_t>(factor_vars_.data() + a0, a1 - a0),
        std::span<const std::int32_t>(factor_cards_.data() + a0, a1 - a0),
        factor_values.data() + factor_value_offsets_[t]);
  }
  for (std::int32_t c : children(i))
    add(separator_vars(c), separator_cards(c), messages.data() + message_offsets_[c]);
}

std::vector<std::int32_t> JunctionTree::traceback(std::span<const double> factor_values,
                                                  std::span<const double> max_up,
                                                  std::span<const std::int32_t> evidence) const {
  std::vector<std::int32_t> state(evidence.begin(), evidence.end());
  std::vector<double> row(static_cast<std::size_t>(max_cardinality_));
  // Reverse elimination order: every variable of a clique's separator is eliminated later,
  // so its state is already chosen; pick the best state of the clique's own variable,
  // scoring with the same additions, in the same order, as the max pass.
  for (int i = static_cast<int>(order_.size()) - 1; i >= 0; --i) {
    conditional_row(i, factor_values, max_up, state, row);
    const std::int32_t card = clique_cards(i)[0];
    double best = kNegInf;
    std::int32_t best_state = 0;
    for (std::int32_t k = 0; k < card; ++k) {
      if (row[k] > best) {
        best = row[k];
        best_state = k;
      }
    }
    state[order_[i]] = best_state;
  }
  return state;
}

SamplingTables JunctionTree::prepare_sampling(const engine::Params& params,
                                              std::span<const std::int32_t> evidence) const {
  check_evidence(evidence);
  SamplingTables tables;
  const double constant = restrict_factors(params, evidence, tables.factor_values);
  collect(tables.factor_values, false, tables.up);
  tables.log_z = root_total(constant, tables.up);
  if (tables.log_z == kNegInf)
    throw_zero_probability(has_evidence_, "exact sampling",
                           "there is no conditional distribution to sample from");
  return tables;
}

std::int64_t JunctionTree::sampling_evaluations() const {
  std::int64_t total = 0;
  for (int i = 0; i < static_cast<int>(order_.size()); ++i)
    total += std::int64_t{clique_cards(i)[0]} *
             static_cast<std::int64_t>(bucket(i).size() + children(i).size());
  return total;
}

std::int64_t JunctionTree::sample(const SamplingTables& tables, std::span<const double> uniforms,
                                  std::span<std::int32_t> state, std::vector<double>& row) const {
  if (tables.up.size() != static_cast<std::size_t>(message_offsets_.back()) ||
      tables.factor_values.size() != static_cast<std::size_t>(factor_value_offsets_.back()))
    throw Error("exact sampling: the sampling tables were not made by this junction tree");
  if (uniforms.size() < order_.size())
    throw Error("exact sampling: " + std::to_string(uniforms.size()) + " uniforms for " +
                std::to_string(order_.size()) + " free variables");
  if (static_cast<std::int64_t>(state.size()) != graph_->num_variables())
    throw Error("exact sampling: a state of " + std::to_string(state.size()) +
                " variables for a model of " + std::to_string(graph_->num_variables()));
  if (row.size() < static_cast<std::size_t>(max_cardinality_))
    row.resize(static_cast<std::size_t>(max_cardinality_));
  std::int64_t changed = 0;
  // Reverse elimination order, as traceback: the separator S_v of the variable at position i
  // holds variables eliminated later, already drawn, and p(x_v | x_{S_v}, everything drawn
  // before) = p(x_v | x_{S_v}) ∝ exp(ψ_v + Σ_children m_child) at those states, since the
  // collect messages sum out exactly the variables eliminated before v (Dawid 1992).
  for (int i = static_cast<int>(order_.size()) - 1; i >= 0; --i) {
    conditional_row(i, tables.factor_values, tables.up, state, row);
    const std::int32_t card = clique_cards(i)[0];
    double top = kNegInf;
    for (std::int32_t k = 0; k < card; ++k) top = std::max(top, row[k]);
    // A separator state drawn with positive probability has a positive conditional; −inf
    // here means the tables are not this tree's collect pass for the evidence.
    if (!(top > kNegInf) || std::isinf(top))
      throw Error("exact sampling: the conditional of variable " +
                  graph_->variable_name(order_[i]) +
                  " is not a distribution; the sampling tables do not belong to this tree");
    // Inversion: the first state whose cumulative weight reaches u · total (u ∈ (0, 1], so
    // a state of weight 0 is never chosen).
    double total = 0.0;
    for (std::int32_t k = 0; k < card; ++k) {
      row[k] = std::exp(row[k] - top);  // exp(−inf) = 0: hard zeros stay impossible
      total += row[k];
    }
    const double target = uniforms[static_cast<std::size_t>(i)] * total;
    std::int32_t pick = card - 1;
    double cumulative = 0.0;
    for (std::int32_t k = 0; k < card; ++k) {
      cumulative += row[k];
      if (cumulative >= target && row[k] > 0.0) {
        pick = k;
        break;
      }
    }
    // Rounding can leave the last states behind u · total only when u is 1 and they have
    // weight 0: take the last possible state then.
    while (row[pick] == 0.0 && pick > 0) --pick;
    const std::int32_t v = order_[i];
    changed += state[v] != pick;
    state[v] = pick;
  }
  return changed;
}

ExactResult JunctionTree::run(const engine::Params& params, std::span<const std::int32_t> evidence,
                              const ExactOptions& options) const {
  check_evidence(evidence);
  const engine::Graph& g = *graph_;
  ExactResult result;
  result.induced_width = induced_width_;
  result.largest_table = largest_table_;

  std::vector<double> factor_values;
  const double constant = restrict_factors(params, evidence, factor_values);

  const bool marginals = options.marginals || options.factor_marginals;
  if (options.log_z || marginals) {
    std::vector<double> up;
    collect(factor_values, false, up);
    result.log_z = root_total(constant, up);
    if (marginals) {
      if (result.log_z == kNegInf)
        throw_zero_probability(has_evidence_, "exact inference", kNoMarginals);
      result.marginals.assign(static_cast<std::size_t>(g.state_offset.back()), 0.0);
      for (std::int32_t v = 0; v < g.num_variables(); ++v)
        if (clamped_[v]) result.marginals[g.state_offset[v] + evidence[v]] = 1.0;
      if (options.factor_marginals) prepare_factor_marginals(evidence, result);
      std::vector<double> down;
      distribute(factor_values, up, down, result.marginals,
                 options.factor_marginals ? &result : nullptr, evidence);
    }
  }
  if (options.map) {
    std::vector<double> max_up;
    collect(factor_values, true, max_up);
    result.map_log_potential = root_total(constant, max_up);
    if (result.map_log_potential == kNegInf)
      throw_zero_probability(has_evidence_, "exact inference", kNoMarginals);
    result.map_state = traceback(factor_values, max_up, evidence);
  }
  return result;
}

ExactResult exact_inference(const engine::CompiledModel& model, const ExactOptions& options) {
  if (!model.graph) throw Error("exact inference: the model has no graph");
  std::vector<std::int32_t> evidence = model.evidence;
  if (evidence.empty()) evidence.assign(model.graph->num_variables(), engine::kFree);
  const JunctionTree tree(model.graph, evidence, options.max_table_entries);
  return tree.run(model.params, evidence, options);
}

double exact_log_z(const engine::CompiledModel& model, std::int64_t max_table_entries) {
  ExactOptions options;
  options.max_table_entries = max_table_entries;
  options.marginals = false;
  options.map = false;
  return exact_inference(model, options).log_z;
}

ExactResult exact_marginals(const engine::CompiledModel& model, std::int64_t max_table_entries) {
  ExactOptions options;
  options.max_table_entries = max_table_entries;
  options.map = false;
  return exact_inference(model, options);
}

ExactResult exact_map(const engine::CompiledModel& model, std::int64_t max_table_entries) {
  ExactOptions options;
  options.max_table_entries = max_table_entries;
  options.log_z = false;
  options.marginals = false;
  return exact_inference(model, options);
}

}  // namespace dgm::inference
