#include "inference/bp/factor_updates.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <span>
#include <vector>

#include "engine/vector_kernels.h"
#include "factors/infinity.h"
#include "factors/messages.h"

namespace dgm::inference::bp {
namespace {

// max(a, b) that keeps NaN (std::max would drop it), so a numerical failure is never
// mistaken for convergence.
inline double max_change(double a, double b) { return (a >= b || std::isnan(a)) ? a : b; }

// |a − b| where equal infinities count as no change.
inline double entry_change(double a, double b) {
  if (a == b) return 0.0;
  return std::fabs(a - b);
}

// d·old + (1 − d)·new, −inf-safe (0·(−inf) would be NaN).
inline double damp(double old_value, double new_value, double damping) {
  if (damping == 0.0 || old_value == kNegInf || new_value == kNegInf) {
    return damping == 0.0 ? new_value : kNegInf;
  }
  return damping * old_value + (1.0 - damping) * new_value;
}

// --- binary ratio mode -----------------------------------------------------------------------

// The message ratio a coupling w·x_i·x_j sends to x_j given the ratio μ of x_i's message to
// the factor: reduce(0, w + μ) − reduce(0, μ), where reduce is max (T = 0) or T·logsumexp(·/T):
// reduce over x_i of w·x_i·x_j + μ·x_i at x_j = 1, minus the same at x_j = 0. μ = +inf (x_i
// clamped to 1) gives w and μ = −inf gives 0, computed without inf − inf. prepare(w) does the
// per-factor work once for all lanes. Max-product's arithmetic is written once, in the
// dispatched kernel engine::max_coupling_row (coupling_lanes below).
struct MaxReduce {
  double prepare(double w) const { return w; }
};

// Sum-product and soft max (T > 0): T·[softplus((w + μ)/T) − softplus(μ/T)]. With u = μ/T,
// v = w/T and σ the logistic function, the ratio of the two partition terms is
// (1 + e^{u+v}) / (1 + e^u) = σ(−u) + σ(u)·e^v, a sum of two non-negative terms, so
//   v ≤ 0:  T·log(σ(−u) + σ(u)·e^v),      v > 0:  T·(v + log(σ(−u)·e^{−v} + σ(u))),
// accurate everywhere (no cancellation, no overflow) with one exp and one log per message;
// σ(±u) come from the same e^{−|u|}, e^{∓|v|} once per factor.
struct SoftReduce {
  double temperature;
  double inv_t;
  struct Coupling {
    double v;        // w / T
    double e_small;  // e^{−|v|}
    bool positive;   // v > 0
    double w;
  };
  Coupling prepare(double w) const {
    const double v = w * inv_t;
    return {v, std::exp(-std::fabs(v)), v > 0.0, w};
  }
  double operator()(double mu, const Coupling& c) const {
    if (mu == kPosInf) return c.w;
    if (mu == kNegInf) return 0.0;
    const double u = mu * inv_t;
    const double e = std::exp(-std::fabs(u));
    const double big = 1.0 / (1.0 + e);           // σ(|u|)
    const double small = e * big;                 // σ(−|u|)
    const double s_pos = u >= 0.0 ? big : small;  // σ(u)
    const double s_neg = u >= 0.0 ? small : big;  // σ(−u)
    const double sum = c.positive ? s_neg * c.e_small + s_pos : s_neg + s_pos * c.e_small;
    if (sum > 1e-290) return temperature * ((c.positive ? c.v : 0.0) + std::log(sum));
    // Both terms underflow (|u| and |v| in the hundreds): the softplus form, exact there.
    return temperature * (softplus(u + c.v) - softplus(u));
  }
  static double softplus(double x) {
    return std::max(x, 0.0) + std::log1p(std::exp(-std::fabs(x)));
  }
};

// Lanes go through the kernels in chunks of this many (stack buffers).
constexpr std::int32_t kLaneChunk = 64;

// Sum-product over the lanes (a batch of problems): the messages of up to kLaneChunk lanes at
// a time through the dispatched kernel (engine/vector_kernels.h: vectorised exponential and
// logarithm instead of a libm call each, 2× faster on a 100-problem RBM), the rare lanes it
// cannot do (infinite or huge log-ratios, underflowing sums) by SoftReduce itself; then
// damping as for max-product. Used for one lane too, so that a lane of a batch computes the
// very numbers of a single run.

template <bool kCommit>
double coupling_lanes(double* m_i, double* m_j, const double* b_i, const double* b_j,
                      double coupling, std::int32_t lanes, double damping,
                      const SoftReduce& reduce) {
  const SoftReduce::Coupling w = reduce.prepare(coupling);
  double change = 0.0;
  bool nan_seen = false;
  double mu_i[kLaneChunk], mu_j[kLaneChunk], to_j[kLaneChunk], to_i[kLaneChunk];
  double exotic_j[kLaneChunk], exotic_i[kLaneChunk];
  for (std::int32_t l0 = 0; l0 < lanes; l0 += kLaneChunk) {
    const std::int32_t n = std::min(kLaneChunk, lanes - l0);
    for (std::int32_t l = 0; l < n; ++l) {
      mu_i[l] = b_i[l0 + l] - m_i[l0 + l];  // x_i → factor
      mu_j[l] = b_j[l0 + l] - m_j[l0 + l];  // x_j → factor
    }
    engine::soft_coupling_row(mu_i, reduce.inv_t, reduce.temperature, w.v, w.e_small, to_j,
                              exotic_j, n);
    engine::soft_coupling_row(mu_j, reduce.inv_t, reduce.temperature, w.v, w.e_small, to_i,
                              exotic_i, n);
    for (std::int32_t l = 0; l < n; ++l) {
      if (exotic_j[l] != 0.0) to_j[l] = reduce(mu_i[l], w);
      if (exotic_i[l] != 0.0) to_i[l] = reduce(mu_j[l], w);
    }
    for (std::int32_t l = 0; l < n; ++l) {
      double& mj = m_j[l0 + l];
      double& mi = m_i[l0 + l];
      const double new_j = damping * mj + (1.0 - damping) * to_j[l];
      const double new_i = damping * mi + (1.0 - damping) * to_i[l];
      change = std::max(change, std::max(std::fabs(new_j - mj), std::fabs(new_i - mi)));
      nan_seen |= new_j != new_j || new_i != new_i;
      if constexpr (kCommit) {
        mj = new_j;
        mi = new_i;
      }
    }
  }
  return nan_seen ? std::numeric_limits<double>::quiet_NaN() : change;
}

// One coupling factor over the lanes, max-product: edges at m_i (to x_i) and m_j (to x_j),
// beliefs of x_i and x_j at b_i and b_j. (Sum-product: the overload above.)
template <bool kCommit>
inline double coupling_lanes(double* m_i, double* m_j, const double* b_i, const double* b_j,
                             double coupling, std::int32_t lanes, double damping,
                             const MaxReduce& reduce) {
  const double w = reduce.prepare(coupling);
  // The update itself: the dispatched kernel, branch-free (a branch per comparison of random
  // log-ratios mispredicts about half the time, and was most of a PMP iteration's time).
  if constexpr (kCommit) {
    return engine::max_coupling_row(m_i, m_j, b_i, b_j, w, damping, lanes);
  } else {  // the residual: the same kernel on copies of the messages, nothing written
    double change = 0.0;
    double copy_i[kLaneChunk], copy_j[kLaneChunk];
    for (std::int32_t l0 = 0; l0 < lanes; l0 += kLaneChunk) {
      const std::int32_t n = std::min(kLaneChunk, lanes - l0);
      std::copy(m_i + l0, m_i + l0 + n, copy_i);
      std::copy(m_j + l0, m_j + l0 + n, copy_j);
      change = max_change(
          change, engine::max_coupling_row(copy_i, copy_j, b_i + l0, b_j + l0, w, damping, n));
    }
    return change;
  }
}

template <bool kCommit, typename Reduce>
double coupling_range(const MessageState& s, const UpdateBlock& u, std::int64_t begin,
                      std::int64_t end, double damping, const Reduce& reduce) {
  const MessageGraph& g = *s.graph;
  const engine::Graph& graph = *g.graph;
  const std::int32_t lanes = s.lanes;
  double change = 0.0;
  for (std::int64_t r = begin; r < end; ++r) {
    const std::int64_t e = graph.factor_offsets[u.first_factor + r];
    const std::int32_t vi = graph.factor_vars[e], vj = graph.factor_vars[e + 1];
    const double w = g.couplings[u.data_offset + r * u.data_stride];
    change = max_change(change, coupling_lanes<kCommit>(s.messages + g.msg_offset[e] * lanes,
                                                        s.messages + g.msg_offset[e + 1] * lanes,
                                                        s.beliefs + g.var_offset[vi] * lanes,
                                                        s.beliefs + g.var_offset[vj] * lanes, w,
                                                        lanes, damping, reduce));
  }
  return change;
}

// A bipartite block as the L × R weight matrix, row by row: factor r = i·R + j joins left
// variable i and right variable j, its two edges are consecutive in the IR, and row i's
// belief is read once for the whole row.
template <bool kCommit, typename Reduce>
double bipartite_range(const MessageState& s, const UpdateBlock& u, std::int64_t begin,
                       std::int64_t end, double damping, const Reduce& reduce) {
  const MessageGraph& g = *s.graph;
  const engine::Graph& graph = *g.graph;
  const factors::FactorBlock& block = graph.blocks[u.block];
  const std::int32_t lanes = s.lanes;
  const std::int64_t cols = block.right_count;
  const std::int64_t base_edge = graph.factor_offsets[u.first_factor];
  double* const base = s.messages + g.msg_offset[base_edge] * lanes;
  double change = 0.0;
  for (std::int64_t r = begin; r < end;) {
    const std::int64_t row = r / cols;
    const std::int64_t row_end = std::min(end, (row + 1) * cols);
    const double* b_i = s.beliefs + (block.left_begin + row) * static_cast<std::int64_t>(lanes);
    for (; r < row_end; ++r) {
      const std::int64_t col = r % cols;
      const double* b_j = s.beliefs + (block.right_begin + col) * static_cast<std::int64_t>(lanes);
      const double w = g.couplings[u.data_offset + r * u.data_stride];
      double* m_i = base + 2 * r * lanes;
      change = std::max(
          change, coupling_lanes<kCommit>(m_i, m_i + lanes, b_i, b_j, w, lanes, damping, reduce));
    }
  }
  return change;
}

// --- full mode -------------------------------------------------------------------------------

struct Scratch {
  std::vector<double> in, out, damped;
};
Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Writes the damped, normalised new message of one edge and returns its change. Finite
// entries below −floor are raised to −floor (see BeliefPropagation::update_message_floor):
// no exact message goes below it, so only loopy over-counting is cut off. `values` is
// workspace of k_count entries.
template <bool kCommit>
double commit_edge(double* m, const double* fresh, std::int64_t k_count, std::int32_t lanes,
                   std::int32_t lane, double damping, double floor, double* values) {
  double hi = kNegInf;
  for (std::int64_t k = 0; k < k_count; ++k) {
    values[k] = damp(m[k * lanes + lane], fresh[k], damping);
    hi = std::max(hi, values[k]);
  }
  double change = 0.0;
  for (std::int64_t k = 0; k < k_count; ++k) {
    const double v =
        hi == kNegInf || values[k] == kNegInf ? values[k] : std::max(values[k] - hi, -floor);
    change = max_change(change, entry_change(v, m[k * lanes + lane]));
    if constexpr (kCommit) m[k * lanes + lane] = v;
  }
  return change;
}

template <bool kCommit>
double full_range(const MessageState& s, const UpdateBlock& u, std::int64_t begin, std::int64_t end,
                  const UpdateSettings& settings) {
  const MessageGraph& g = *s.graph;
  const engine::Graph& graph = *g.graph;
  const factors::FactorBlock& block = graph.blocks[u.block];
  Scratch& sc = scratch();
  double change = 0.0;
  for (std::int64_t r = begin; r < end; ++r) {
    const std::int64_t f = u.first_factor + r;
    const auto scope = graph.scope(f);
    const std::int64_t e0 = graph.factor_offsets[f];
    std::int64_t total = 0;
    if (u.kind == UpdateKind::kOr || u.kind == UpdateKind::kAnd) {
      total = 2 * static_cast<std::int64_t>(scope.size());
    } else {
      for (const std::int32_t v : scope) total += graph.cardinality[v];
    }
    sc.in.resize(total);
    sc.out.resize(total);
    sc.damped.resize(total);
    const std::span<const double> data(g.tables.data() + u.data_offset + r * u.data_stride,
                                       static_cast<std::size_t>(u.data_size));
    for (std::int32_t lane = 0; lane < s.lanes; ++lane) {
      std::int64_t pos = 0;
      for (std::size_t j = 0; j < scope.size(); ++j) {
        const std::int32_t v = scope[j];
        for (std::int64_t k = 0; k < graph.cardinality[v]; ++k) {
          sc.in[pos++] = variable_to_factor(s, v, e0 + static_cast<std::int64_t>(j), k, lane);
        }
      }
      switch (u.kind) {
        case UpdateKind::kTable:
          factors::dense_table_messages(data, u.cards, sc.in, settings.temperature, sc.out);
          break;
        case UpdateKind::kEnumeration:
          factors::enumeration_messages(
              std::span<const std::int32_t>(graph.enum_configs)
                  .subspan(block.config_offset, block.num_configs * block.arity),
              block.num_configs, data, u.cards, sc.in, settings.temperature, sc.out);
          break;
        case UpdateKind::kOr:
          factors::or_messages(sc.in, settings.temperature, sc.out);
          break;
        case UpdateKind::kAnd:
          factors::and_messages(sc.in, settings.temperature, sc.out);
          break;
        default:
          assert(false);
      }
      pos = 0;
      for (std::size_t j = 0; j < scope.size(); ++j) {
        const std::int64_t e = e0 + static_cast<std::int64_t>(j);
        const std::int64_t k_count = graph.cardinality[scope[j]];
        change = max_change(change, commit_edge<kCommit>(s.messages + g.msg_offset[e] * s.lanes,
                                                         sc.out.data() + pos, k_count, s.lanes,
                                                         lane, settings.damping,
                                                         s.message_floor[lane], sc.damped.data()));
        pos += k_count;
      }
    }
  }
  return change;
}

template <bool kCommit>
double dispatch(const MessageState& s, const UpdateBlock& u, std::int64_t begin, std::int64_t end,
                const UpdateSettings& settings) {
  const bool coupling = u.kind == UpdateKind::kCoupling;
  if (coupling || u.kind == UpdateKind::kBipartiteCoupling) {
    if (settings.temperature == 0.0) {
      const MaxReduce reduce;
      return coupling ? coupling_range<kCommit>(s, u, begin, end, settings.damping, reduce)
                      : bipartite_range<kCommit>(s, u, begin, end, settings.damping, reduce);
    }
    const SoftReduce reduce{settings.temperature, 1.0 / settings.temperature};
    return coupling ? coupling_range<kCommit>(s, u, begin, end, settings.damping, reduce)
                    : bipartite_range<kCommit>(s, u, begin, end, settings.damping, reduce);
  }
  return full_range<kCommit>(s, u, begin, end, settings);
}

}  // namespace

double variable_to_factor(const MessageState& s, std::int32_t v, std::int64_t e, std::int64_t k,
                          std::int32_t lane) {
  const MessageGraph& g = *s.graph;
  const std::int32_t lanes = s.lanes;
  const double m = s.messages[(g.msg_offset[e] + k) * lanes + lane];
  const std::int64_t i = (g.var_offset[v] + k) * lanes + lane;
  if (m != kNegInf) return s.beliefs[i] - m;
  return s.num_neg_inf[i] == 1.0 ? s.finite_sum[i] : kNegInf;
}

double update_factors(const MessageState& state, const UpdateBlock& update, std::int64_t begin,
                      std::int64_t end, const UpdateSettings& settings) {
  return dispatch<true>(state, update, begin, end, settings);
}

double factor_residual(const MessageState& state, const UpdateBlock& update, std::int64_t r,
                       const UpdateSettings& settings) {
  return dispatch<false>(state, update, r, r + 1, settings);
}

}  // namespace dgm::inference::bp
