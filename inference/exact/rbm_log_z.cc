#include "inference/exact/rbm_log_z.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/vector_math.h"
#include "factors/infinity.h"
#include "inference/model_views/rbm_parameters.h"

namespace dgm::inference {

namespace {

constexpr int kChunkBits = 12;

// One layer seen from the enumeration: E is enumerated, S summed out. m(e, s) is the weight
// between unit e of E and unit s of S.
struct Sides {
  std::vector<std::int32_t> free_e;     // indices (within E) of E's free units
  std::vector<std::int32_t> clamped_e;  // E's units clamped to 1
  std::vector<double> s_free;           // per S unit: 1 when summed out, 0 when clamped
  std::vector<double> s_state;          // per S unit: its clamped state (0 when free)
  RbmParameters::Matrix m;              // nE × nS
  Eigen::VectorXd e_bias, s_bias;
};

std::int64_t count_free(const engine::CompiledModel& model, std::int32_t begin, std::int32_t n) {
  std::int64_t free = 0;
  for (std::int32_t i = 0; i < n; ++i)
    free += model.evidence.empty() ||
            model.evidence[static_cast<std::size_t>(begin + i)] == engine::kFree;
  return free;
}

std::int64_t work_of(std::int64_t enumerated_free, std::int64_t summed) {
  if (enumerated_free >= 62) return std::numeric_limits<std::int64_t>::max();
  const std::int64_t configs = std::int64_t{1} << enumerated_free;
  if (summed > 0 && configs > std::numeric_limits<std::int64_t>::max() / summed)
    return std::numeric_limits<std::int64_t>::max();
  return configs * std::max<std::int64_t>(summed, 1);
}

// Whether the visible layer is the one to enumerate (fewer free units).
bool enumerate_visible(const engine::CompiledModel& model, const RbmLayout& l) {
  return count_free(model, l.visible_begin, l.num_visible) <
         count_free(model, l.hidden_begin, l.num_hidden);
}

}  // namespace

std::int64_t rbm_log_z_work(const engine::CompiledModel& model) {
  const std::optional<RbmParameters> rbm = rbm_parameters(model);
  if (!rbm) return -1;
  const RbmLayout& l = rbm->layout;
  const bool visible = enumerate_visible(model, l);
  return work_of(visible ? count_free(model, l.visible_begin, l.num_visible)
                         : count_free(model, l.hidden_begin, l.num_hidden),
                 visible ? l.num_hidden : l.num_visible);
}

double rbm_exact_log_z(const engine::CompiledModel& model, std::int64_t max_work) {
  const std::optional<RbmParameters> rbm = rbm_parameters(model);
  if (!rbm)
    throw Error(model.source +
                    ": the exact RBM log Z needs an RBM-shaped model (one bipartite "
                    "block and unary biases) with finite biases",
                error_details(ErrorCode::kUnsupported));
  const RbmLayout& l = rbm->layout;
  const bool visible = enumerate_visible(model, l);
  const std::int32_t e_begin = visible ? l.visible_begin : l.hidden_begin;
  const std::int32_t s_begin = visible ? l.hidden_begin : l.visible_begin;
  const std::int32_t ne = visible ? l.num_visible : l.num_hidden;
  const std::int32_t ns = visible ? l.num_hidden : l.num_visible;
  const std::int64_t work = work_of(count_free(model, e_begin, ne), ns);
  if (work > max_work)
    throw Error(model.source + ": the exact RBM log Z would enumerate 2^" +
                    std::to_string(count_free(model, e_begin, ne)) + " configurations of the " +
                    (visible ? "visible" : "hidden") + " layer × " + std::to_string(ns) +
                    " units = " + std::to_string(work) + " softplus evaluations, over the limit " +
                    std::to_string(max_work),
                error_details(ErrorCode::kLimit, std::to_string(work)));

  Sides s;
  s.m = visible ? rbm->w : RbmParameters::Matrix(rbm->w.transpose());
  s.e_bias = visible ? rbm->b : rbm->c;
  s.s_bias = visible ? rbm->c : rbm->b;
  for (std::int32_t i = 0; i < ne; ++i) {
    const std::int32_t e = model.evidence.empty()
                               ? engine::kFree
                               : model.evidence[static_cast<std::size_t>(e_begin + i)];
    if (e == engine::kFree)
      s.free_e.push_back(i);
    else if (e == 1)
      s.clamped_e.push_back(i);
  }
  s.s_free.assign(static_cast<std::size_t>(ns), 1.0);
  s.s_state.assign(static_cast<std::size_t>(ns), 0.0);
  for (std::int32_t j = 0; j < ns; ++j) {
    const std::int32_t e = model.evidence.empty()
                               ? engine::kFree
                               : model.evidence[static_cast<std::size_t>(s_begin + j)];
    if (e != engine::kFree) {
      s.s_free[static_cast<std::size_t>(j)] = 0.0;
      s.s_state[static_cast<std::size_t>(j)] = e;
    }
  }

  const int n_free = static_cast<int>(s.free_e.size());
  const Eigen::VectorXd s_state =
      Eigen::Map<const Eigen::VectorXd>(s.s_state.data(), static_cast<Eigen::Index>(ns));
  const bool any_clamped = std::find(s.s_free.begin(), s.s_free.end(), 0.0) != s.s_free.end();
  const int low_bits = std::min(n_free, kChunkBits);
  const std::int64_t chunks = std::int64_t{1} << (n_free - low_bits);
  // Per chunk: (max, Σ exp(value − max)) of its configurations.
  std::vector<double> chunk_max(static_cast<std::size_t>(chunks)),
      chunk_sum(static_cast<std::size_t>(chunks));

  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, chunks, 1), [&](const auto& range) {
    Eigen::VectorXd a(ns);
    std::vector<double> terms(static_cast<std::size_t>(ns)), factors(static_cast<std::size_t>(ns));
    for (std::int64_t chunk = range.begin(); chunk != range.end(); ++chunk) {
      // The chunk's first configuration: its top bits set, the low bits 0.
      a = s.s_bias;
      double e_value = 0.0;
      for (const std::int32_t i : s.clamped_e) {
        a += s.m.row(i).transpose();
        e_value += s.e_bias[i];
      }
      for (int t = low_bits; t < n_free; ++t) {
        if (((chunk >> (t - low_bits)) & 1) == 0) continue;
        const std::int32_t i = s.free_e[static_cast<std::size_t>(t)];
        a += s.m.row(i).transpose();
        e_value += s.e_bias[i];
      }
      double best = kNegInf, sum = 0.0;
      std::uint64_t gray = 0;
      const std::uint64_t configs = std::uint64_t{1} << low_bits;
      for (std::uint64_t step = 0; step < configs; ++step) {
        if (step > 0) {
          // Gray code: configuration step differs from step − 1 in bit ctz(step).
          const int t = __builtin_ctzll(step);
          const std::int32_t i = s.free_e[static_cast<std::size_t>(t)];
          const double sign = ((gray >> t) & 1) != 0 ? -1.0 : 1.0;
          gray ^= std::uint64_t{1} << t;
          a += sign * s.m.row(i).transpose();
          e_value += sign * s.e_bias[i];
        }
        // Elementwise (vectorised: no reduction in the loop); the clamped units' s·a as a dot
        // product.
        const double* __restrict av = a.data();
        const double* __restrict free = s.s_free.data();
        double* __restrict t = terms.data();
        double* __restrict fa = factors.data();
        for (std::int32_t j = 0; j < ns; ++j) {
          const double x = av[j] * free[j];
          engine::softplus_parts(x, engine::exp_neg_abs(x), t[j], fa[j]);
          t[j] *= free[j];
          fa[j] = free[j] * fa[j] + (1.0 - free[j]);
        }
        const double clamped = any_clamped ? a.dot(s_state) : 0.0;
        const double value =
            e_value + clamped + engine::softplus_total(terms.data(), factors.data(), ns);
        if (value > best) {
          sum = sum * std::exp(best - value) + 1.0;
          best = value;
        } else {
          sum += std::exp(value - best);
        }
      }
      chunk_max[static_cast<std::size_t>(chunk)] = best;
      chunk_sum[static_cast<std::size_t>(chunk)] = sum;
    }
  });
  const double best = *std::max_element(chunk_max.begin(), chunk_max.end());
  double total = 0.0;
  for (std::int64_t c = 0; c < chunks; ++c)
    total += chunk_sum[static_cast<std::size_t>(c)] *
             std::exp(chunk_max[static_cast<std::size_t>(c)] - best);
  return rbm->constant + best + std::log(total);
}

}  // namespace dgm::inference
