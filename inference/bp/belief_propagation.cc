#include "inference/bp/belief_propagation.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>
#include <tbb/parallel_reduce.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <queue>
#include <utility>

#include "engine/error.h"
#include "factors/infinity.h"

namespace dgm::inference::bp {
namespace {

// Factors per parallel task: enough work to amortise scheduling, few enough to balance.
std::int64_t factor_grain(const UpdateBlock& u, std::int32_t lanes) {
  const bool coupling = u.kind == UpdateKind::kCoupling || u.kind == UpdateKind::kBipartiteCoupling;
  const std::int64_t work_per_factor = (coupling ? 1 : 16) * static_cast<std::int64_t>(lanes);
  return std::max<std::int64_t>(1, 8192 / work_per_factor);
}

// max(a, b) that keeps NaN: a numerical failure must not look like convergence.
double keep_nan_max(double a, double b) { return (a >= b || std::isnan(a)) ? a : b; }

void fail_on_nan(double change, std::int32_t iteration) {
  if (std::isnan(change)) {
    throw Error("BP produced NaN messages in iteration " + std::to_string(iteration) +
                " (a numerical failure; please report the model)");
  }
}

// Records an iteration's largest change in the status and the history and tells the
// observer; false when the observer stops the run.
bool record_iteration(BpStatus& status, std::vector<double>& history, std::int32_t iteration,
                      double change, const BpObserver& observer) {
  fail_on_nan(change, iteration);
  history.push_back(change);
  status.iterations = iteration;
  status.max_change = change;
  if (observer && !observer(iteration, change)) {
    status.interrupted = true;
    return false;
  }
  return true;
}

// Oscillation or stall: the largest change of the last `w` iterations is more than half of
// that of the `w` before.
bool not_decreasing(const std::vector<double>& history) {
  const std::size_t w = std::min<std::size_t>(20, history.size() / 4);
  if (w < 3) return false;
  const auto last = history.end() - static_cast<std::ptrdiff_t>(w);
  const double recent = *std::max_element(last, history.end());
  const double before = *std::max_element(last - static_cast<std::ptrdiff_t>(w), last);
  return recent > 0.5 * before;
}

}  // namespace

BeliefPropagation::BeliefPropagation(std::shared_ptr<const MessageGraph> graph, std::int32_t lanes)
    : graph_(std::move(graph)), lanes_(lanes) {
  if (lanes_ < 1) throw Error("BP needs at least one lane (problem) to run");
  const MessageGraph& g = *graph_;
  // Messages, beliefs and unaries for every lane; refuse clearly rather than fail to allocate.
  const double entries =
      (static_cast<double>(g.num_entries()) + 2.0 * static_cast<double>(g.var_offset.back())) *
      static_cast<double>(lanes_);
  constexpr double kMaxEntries = 2147483648.0;  // 2^31 doubles = 16 GiB
  if (entries > kMaxEntries) {
    throw Error("BP on this model with " + std::to_string(lanes_) + " parallel problems needs " +
                std::to_string(static_cast<long long>(entries * 8.0 / (1 << 20))) +
                " MiB of messages (more than 16 GiB); use fewer chains");
  }
  messages_.assign(static_cast<std::size_t>(g.num_entries()) * lanes_, 0.0);
  beliefs_.assign(static_cast<std::size_t>(g.var_offset.back()) * lanes_, 0.0);
  unary_.resize(beliefs_.size());
  if (g.mode == MessageMode::kFull) {
    finite_sum_.assign(beliefs_.size(), 0.0);
    num_neg_inf_.assign(beliefs_.size(), 0.0);
  }
  reset_unary();
  reset_messages();
  block_update_.assign(g.graph->blocks.size(), -1);
  for (std::size_t i = 0; i < g.updates.size(); ++i) {
    block_update_[g.updates[i].block] = static_cast<std::int32_t>(i);
  }
}

void BeliefPropagation::reset_unary() {
  const std::vector<double>& u = graph_->unary;
  for (std::size_t i = 0; i < u.size(); ++i) {
    std::fill_n(unary_.begin() + static_cast<std::ptrdiff_t>(i * lanes_), lanes_, u[i]);
  }
}

void BeliefPropagation::reset_messages() {
  const std::vector<double>& start = graph_->initial_messages;
  if (start.empty()) {
    std::fill(messages_.begin(), messages_.end(), 0.0);
    return;
  }
  for (std::size_t i = 0; i < start.size(); ++i) {
    std::fill_n(messages_.begin() + static_cast<std::ptrdiff_t>(i * lanes_), lanes_, start[i]);
  }
}

void BeliefPropagation::copy_lane(const BeliefPropagation& other, std::int32_t lane) {
  if (lanes_ != 1 || other.graph_ != graph_) {
    throw Error("copy_lane needs a one-lane run of the same message graph");
  }
  const std::int32_t from = other.lanes_;
  for (std::size_t i = 0; i < messages_.size(); ++i)
    messages_[i] = other.messages_[i * from + lane];
  for (std::size_t i = 0; i < unary_.size(); ++i) {
    unary_[i] = other.unary_[i * from + lane];
    beliefs_[i] = other.beliefs_[i * from + lane];
  }
  for (std::size_t i = 0; i < finite_sum_.size(); ++i) {
    finite_sum_[i] = other.finite_sum_[i * from + lane];
    num_neg_inf_[i] = other.num_neg_inf_[i * from + lane];
  }
}

void BeliefPropagation::clamp(std::int32_t v, std::int32_t k, std::int32_t lane) {
  const MessageGraph& g = *graph_;
  if (g.mode == MessageMode::kBinaryRatio) {
    unary_[g.var_offset[v] * lanes_ + lane] = k == 1 ? kPosInf : kNegInf;
    return;
  }
  for (std::int64_t j = 0; j < g.width(v); ++j) {
    if (j != k) unary_[(g.var_offset[v] + j) * lanes_ + lane] = kNegInf;
  }
}

MessageState BeliefPropagation::state() const {
  MessageState s;
  s.graph = graph_.get();
  s.lanes = lanes_;
  s.messages = const_cast<double*>(messages_.data());  // read-only use through state()
  s.beliefs = beliefs_.data();
  s.unary = unary_.data();
  s.finite_sum = finite_sum_.data();
  s.num_neg_inf = num_neg_inf_.data();
  s.message_floor = message_floor_.data();
  return s;
}

MessageState BeliefPropagation::mutable_state() {
  MessageState s = state();
  s.messages = messages_.data();
  return s;
}

void BeliefPropagation::compute_beliefs(std::int32_t begin, std::int32_t end) {
  const MessageGraph& g = *graph_;
  const std::int64_t lanes = lanes_;
  const bool full = g.mode == MessageMode::kFull;
  for (std::int32_t v = begin; v < end; ++v) {
    const std::int64_t width = g.width(v);
    for (std::int64_t k = 0; k < width; ++k) {
      const std::int64_t at = (g.var_offset[v] + k) * lanes;
      double* b = beliefs_.data() + at;
      const double* u = unary_.data() + at;
      std::copy(u, u + lanes, b);
      for (std::int64_t i = g.var_edge_offsets[v]; i < g.var_edge_offsets[v + 1]; ++i) {
        const double* m = messages_.data() + (g.msg_offset[g.var_edges[i]] + k) * lanes;
        for (std::int64_t l = 0; l < lanes; ++l) b[l] += m[l];
      }
      if (!full) continue;
      // The finite part and the count of −inf terms, for variable_to_factor.
      double* sum = finite_sum_.data() + at;
      double* count = num_neg_inf_.data() + at;
      for (std::int64_t l = 0; l < lanes; ++l) {
        sum[l] = u[l] == kNegInf ? 0.0 : u[l];
        count[l] = u[l] == kNegInf ? 1.0 : 0.0;
      }
      for (std::int64_t i = g.var_edge_offsets[v]; i < g.var_edge_offsets[v + 1]; ++i) {
        const double* m = messages_.data() + (g.msg_offset[g.var_edges[i]] + k) * lanes;
        for (std::int64_t l = 0; l < lanes; ++l) {
          if (m[l] == kNegInf) {
            count[l] += 1.0;
          } else {
            sum[l] += m[l];
          }
        }
      }
    }
  }
}

void BeliefPropagation::compute_all_beliefs() {
  const std::int32_t n = graph_->num_variables();
  const std::int32_t grain = std::max<std::int32_t>(1, 4096 / lanes_);
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, n, grain),
                    [&](const tbb::blocked_range<std::int32_t>& range) {
                      compute_beliefs(range.begin(), range.end());
                    });
}

double BeliefPropagation::flooding_iteration(const UpdateSettings& settings) {
  const MessageState s = mutable_state();
  double change = 0.0;
  for (const UpdateBlock& u : graph_->updates) {
    change = std::max(
        change,
        tbb::parallel_reduce(
            tbb::blocked_range<std::int64_t>(0, u.num_factors, factor_grain(u, lanes_)), 0.0,
            [&](const tbb::blocked_range<std::int64_t>& range, double acc) {
              return std::max(acc, update_factors(s, u, range.begin(), range.end(), settings));
            },
            [](double a, double b) { return std::max(a, b); }));
  }
  compute_all_beliefs();
  return change;
}

double BeliefPropagation::sequential_iteration(const UpdateSettings& settings) {
  const MessageState s = mutable_state();
  const engine::Graph& graph = *graph_->graph;
  double change = 0.0;
  for (const UpdateBlock& u : graph_->updates) {
    for (std::int64_t r = 0; r < u.num_factors; ++r) {
      change = keep_nan_max(change, update_factors(s, u, r, r + 1, settings));
      for (const std::int32_t v : graph.scope(u.first_factor + r)) compute_beliefs(v, v + 1);
    }
  }
  return change;
}

// The floor of the finite message entries, per lane. On a tree every message is a partial
// max-marginal (T = 0) or a partial T-soft marginal of the model: its finite entries, max 0,
// differ by at most the total range Δ of the finite log-potentials (unaries with their
// evidence, clamps and PMP noise, and the factors), plus T·Σ_v log K_v for the T-soft sums
// over configurations. Loopy BP can leave that range: with hard constraints that a variable's
// other factors cannot satisfy cheaply (clamped evidence on an OR of ANDs), max-product's
// messages are max-marginals of the unrolled computation tree, where satisfying one copy of a
// constraint forces a cascade through ever more copies; the finite entries then grow
// geometrically with the iterations (the same with the dense-table kernels) until they
// overflow into false −inf, i.e. false contradictions. Entries are therefore kept ≥
// −(Δ + T·Σ log K + 1): never binding on a tree, and on loopy graphs a state below it is
// only "worse than anything the model's finite potentials can express", which is what the
// growing entries meant. PGMax clips its messages at a fixed floor for the same reason
// (Zhou et al. 2022); here the floor is the model's own range, so trees stay exact.
void BeliefPropagation::update_message_floor(double temperature) {
  const MessageGraph& g = *graph_;
  message_floor_.assign(lanes_, 0.0);
  if (g.mode != MessageMode::kFull) return;  // coupling messages are bounded by |w|
  for (std::int32_t l = 0; l < lanes_; ++l) {
    double range = g.factor_range, log_states = 0.0;
    for (std::int32_t v = 0; v < g.num_variables(); ++v) {
      double lo = kPosInf, hi = kNegInf;
      std::int32_t possible = 0;
      for (std::int64_t k = 0; k < g.width(v); ++k) {
        const double u = unary_[(g.var_offset[v] + k) * lanes_ + l];
        if (u == kNegInf) continue;
        lo = std::min(lo, u);
        hi = std::max(hi, u);
        ++possible;
      }
      if (possible > 0) range += hi - lo;
      if (possible > 1) log_states += std::log(static_cast<double>(possible));
    }
    message_floor_[l] = range + temperature * log_states + 1.0;
  }
}

BpStatus BeliefPropagation::run(const BpParams& params, const BpObserver& observer) {
  validate(params);
  update_message_floor(params.temperature);
  if (params.schedule == Schedule::kResidual) return run_residual(params, observer);
  const UpdateSettings settings{params.damping, params.temperature};
  BpStatus status;
  std::vector<double> history;
  compute_all_beliefs();
  for (std::int32_t it = 1; it <= params.max_iterations; ++it) {
    const double change = params.schedule == Schedule::kFlooding ? flooding_iteration(settings)
                                                                 : sequential_iteration(settings);
    if (!record_iteration(status, history, it, change, observer)) break;
    if (params.tolerance > 0.0 && change < params.tolerance) {
      status.converged = true;
      break;
    }
  }
  finish(status, history, params);
  return status;
}

// Oscillation (not converged, the change stopped decreasing) and contradictions.
void BeliefPropagation::finish(BpStatus& status, const std::vector<double>& history,
                               const BpParams& params) const {
  if (!status.converged && !status.interrupted && params.tolerance > 0.0) {
    status.oscillating = not_decreasing(history);
  }
  check_contradiction(status);
}

// A variable whose beliefs are all −inf in some lane (full mode only; in ratio mode every
// message is finite).
void BeliefPropagation::check_contradiction(BpStatus& status) const {
  const MessageGraph& g = *graph_;
  if (g.mode != MessageMode::kFull) return;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    for (std::int32_t l = 0; l < lanes_; ++l) {
      bool possible = false;
      for (std::int64_t k = 0; k < g.width(v) && !possible; ++k) {
        possible = beliefs_[(g.var_offset[v] + k) * lanes_ + l] != kNegInf;
      }
      if (!possible) {
        status.contradiction_variable = v;
        return;
      }
    }
  }
}

// Residual BP (Elidan, McGraw & Koller 2006): repeatedly update the factor whose new
// messages differ most from its current ones, then refresh the residuals of the factors
// that share a variable with it. A max-heap with lazy deletion: an entry whose residual no
// longer matches the factor's current one is skipped. One iteration = as many updates as
// there are message-carrying factors.
BpStatus BeliefPropagation::run_residual(const BpParams& params, const BpObserver& observer) {
  if (lanes_ != 1) {
    throw Error(
        "the residual schedule orders updates by one problem's residuals, so it runs one "
        "problem at a time; use the flooding or sequential schedule for batches (PMP)");
  }
  const UpdateSettings settings{params.damping, params.temperature};
  const MessageGraph& g = *graph_;
  const engine::Graph& graph = *g.graph;
  const MessageState s = mutable_state();
  const std::int64_t num_factors = graph.num_factors();
  // Residual per factor id (−1 for unary factors, which carry no messages).
  std::vector<double> residual(num_factors, -1.0);
  using Entry = std::pair<double, std::int64_t>;
  std::priority_queue<Entry> heap;
  const auto refresh = [&](std::int64_t f) {
    const std::int32_t ui = block_update_[graph.block_index(f)];
    if (ui < 0) return;
    const UpdateBlock& u = g.updates[ui];
    residual[f] = factor_residual(s, u, f - u.first_factor, settings);
    heap.emplace(residual[f], -f);  // ties: lowest factor id first
  };
  compute_all_beliefs();
  for (std::int64_t f = 0; f < num_factors; ++f) refresh(f);
  // Edge → factor, for the neighbours of an updated factor.
  std::vector<std::int32_t> edge_factor(graph.factor_vars.size());
  for (std::int64_t f = 0; f < num_factors; ++f) {
    for (std::int64_t e = graph.factor_offsets[f]; e < graph.factor_offsets[f + 1]; ++e) {
      edge_factor[e] = static_cast<std::int32_t>(f);
    }
  }
  // The largest current residual: drops stale entries from the top first.
  const auto top_residual = [&]() {
    while (!heap.empty() && heap.top().first != residual[-heap.top().second]) heap.pop();
    return heap.empty() ? 0.0 : heap.top().first;
  };
  // Stale entries accumulate (each update pushes 1 + the neighbours' count); rebuilding the
  // heap from the current residuals keeps it within a few times the number of factors.
  const auto compact = [&]() {
    std::vector<Entry> live;
    live.reserve(g.num_message_factors);
    for (std::int64_t f = 0; f < num_factors; ++f) {
      if (residual[f] >= 0.0) live.emplace_back(residual[f], -f);
    }
    heap = std::priority_queue<Entry>(std::less<Entry>(), std::move(live));
  };
  const std::size_t heap_limit = 4 * static_cast<std::size_t>(g.num_message_factors) + 1024;
  BpStatus status;
  std::vector<double> history;
  const std::int64_t per_iteration = std::max<std::int64_t>(1, g.num_message_factors);
  const bool use_tolerance = params.tolerance > 0.0;
  for (std::int32_t it = 1; it <= params.max_iterations; ++it) {
    if (use_tolerance && top_residual() < params.tolerance) {
      status.converged = true;
      status.max_change = top_residual();
      break;
    }
    double change = 0.0;
    for (std::int64_t step = 0; step < per_iteration; ++step) {
      const double value = top_residual();
      if (heap.empty() || (use_tolerance && value < params.tolerance)) break;
      const std::int64_t f = -heap.top().second;
      heap.pop();
      const std::int32_t ui = block_update_[graph.block_index(f)];
      const UpdateBlock& u = g.updates[ui];
      change = keep_nan_max(
          change, update_factors(s, u, f - u.first_factor, f - u.first_factor + 1, settings));
      for (const std::int32_t v : graph.scope(f)) compute_beliefs(v, v + 1);
      refresh(f);
      for (const std::int32_t v : graph.scope(f)) {
        for (std::int64_t i = g.var_edge_offsets[v]; i < g.var_edge_offsets[v + 1]; ++i) {
          const std::int64_t other = edge_factor[g.var_edges[i]];
          if (other != f) refresh(other);
        }
      }
      if (heap.size() > heap_limit) compact();
    }
    if (!record_iteration(status, history, it, change, observer)) break;
  }
  if (!status.converged && !status.interrupted && use_tolerance &&
      top_residual() < params.tolerance) {
    status.converged = true;  // the last iteration's updates brought every residual down
    status.max_change = top_residual();
  }
  finish(status, history, params);
  return status;
}

void BeliefPropagation::log_belief(std::int32_t v, std::int32_t lane, std::span<double> out,
                                   bool sum_normalise) const {
  const MessageGraph& g = *graph_;
  const std::int32_t k_count = g.graph->cardinality[v];
  if (g.mode == MessageMode::kBinaryRatio) {
    const double r = beliefs_[g.var_offset[v] * lanes_ + lane];
    out[0] = r > 0.0 ? -r : 0.0;  // max-normalised (0, r), exact for r = ±inf
    out[1] = r > 0.0 ? 0.0 : r;
  } else {
    for (std::int32_t k = 0; k < k_count; ++k) {
      out[k] = beliefs_[(g.var_offset[v] + k) * lanes_ + lane];
    }
  }
  const double hi = *std::max_element(out.begin(), out.begin() + k_count);
  if (hi == kNegInf) return;
  double shift = hi;
  if (sum_normalise) {
    double sum = 0.0;
    for (std::int32_t k = 0; k < k_count; ++k) sum += std::exp(out[k] - hi);
    shift = hi + std::log(sum);
  }
  for (std::int32_t k = 0; k < k_count; ++k) out[k] -= shift;
}

std::int32_t BeliefPropagation::decode(std::int32_t lane, std::span<std::int32_t> states) const {
  const MessageGraph& g = *graph_;
  const std::int32_t n = g.num_variables();
  std::int32_t undecided = 0;
  if (g.mode == MessageMode::kBinaryRatio) {
    for (std::int32_t v = 0; v < n; ++v) {
      const double r = beliefs_[v * lanes_ + lane];
      if (std::isnan(r)) {
        // No usable belief: the unary's sign (±inf when clamped) decides.
        states[v] = unary_[v * lanes_ + lane] > 0.0 ? 1 : 0;
        ++undecided;
      } else {
        states[v] = r > 0.0 ? 1 : 0;
      }
    }
    return undecided;
  }
  // argmax over the states of v of values[·] > −inf (NaN never wins), or −1.
  const auto argmax = [&](const std::vector<double>& values, std::int32_t v) {
    std::int32_t best = -1;
    double best_value = kNegInf;
    for (std::int64_t k = 0; k < g.width(v); ++k) {
      const double b = values[(g.var_offset[v] + k) * lanes_ + lane];
      if (b > best_value) {
        best_value = b;
        best = static_cast<std::int32_t>(k);
      }
    }
    return best;
  };
  for (std::int32_t v = 0; v < n; ++v) {
    std::int32_t best = argmax(beliefs_, v);
    if (best < 0) {
      // No possible state (a contradiction, or NaN): the unary alone, so that evidence and
      // clamps hold whatever the messages did.
      ++undecided;
      best = std::max(argmax(unary_, v), 0);
    }
    states[v] = best;
  }
  return undecided;
}

}  // namespace dgm::inference::bp
