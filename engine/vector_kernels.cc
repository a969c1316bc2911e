#include "engine/vector_kernels.h"

#include <cmath>
#include <limits>

#include "engine/cpu_dispatch.h"
#include "engine/vector_math.h"

namespace dgm::engine {

namespace {

// Each kernel's one body, inlined into a function per level, where the compiler vectorises
// it for that level's registers.

inline std::int64_t bernoulli_logistic_row_body(const float* a, const float* bias, const float* u,
                                                const float* free, const float* value, float* x,
                                                std::int32_t* state, std::int64_t n) {
  std::int64_t changed = 0;  // exact in any order
  for (std::int64_t j = 0; j < n; ++j) {
    const float z = a[j] + bias[j];
    const float e = exp_float_clamped(-z);
    // A NaN log-odds draws 0 whatever its sign bit (the clamp reads the sign bit).
    const float draw = u[j] * (1.0f + e) <= 1.0f && z == z ? 1.0f : 0.0f;
    const float v = draw * free[j] + value[j];
    x[j] = v;
    const auto s = static_cast<std::int32_t>(v);
    changed += s != state[j];
    state[j] = s;
  }
  return changed;
}

inline void logistic_thresholds_row_body(const double* a, const double* u, double* q,
                                         std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) q[j] = u[j] * (1.0 + exp_estimate(-a[j]));
}

inline void sigmoid_softplus_row_body(const double* a, float* sigma, double* terms, double* factors,
                                      std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const double e = exp_neg_abs(a[j]);
    softplus_parts(a[j], e, terms[j], factors[j]);
    sigma[j] = static_cast<float>(sigmoid(a[j], e));
  }
}

inline double first_order_scores_row_body(const std::int32_t* v, const double* bias, const float* g,
                                          const double* offset, double* d, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j)
    d[j] = static_cast<double>(1 - 2 * v[j]) * (bias[j] + static_cast<double>(g[j])) + offset[j];
  // The maximum in four lanes (a separate pass: GCC vectorises neither a max reduction of
  // doubles nor a loop that writes d and reduces it); the lanes' order does not matter.
  double lane[4] = {-HUGE_VAL, -HUGE_VAL, -HUGE_VAL, -HUGE_VAL};
  std::int64_t j = 0;
  for (; j + 4 <= n; j += 4)
    for (int l = 0; l < 4; ++l) lane[l] = if_negative(lane[l] - d[j + l], d[j + l], lane[l]);
  double max = -HUGE_VAL;
  for (; j < n; ++j) max = d[j] > max ? d[j] : max;
  for (const double m : lane) max = m > max ? m : max;
  return max;
}

inline void add_signed_rows_body(const double* from, const double* const* rows, const double* signs,
                                 std::int32_t k, double* to, std::int64_t n) {
  switch (k) {  // one pass per call: `to` is loaded and stored once for up to four rows
    case 4: {
      const double *w0 = rows[0], *w1 = rows[1], *w2 = rows[2], *w3 = rows[3];
      const double s0 = signs[0], s1 = signs[1], s2 = signs[2], s3 = signs[3];
      for (std::int64_t j = 0; j < n; ++j)
        to[j] = (((from[j] + s0 * w0[j]) + s1 * w1[j]) + s2 * w2[j]) + s3 * w3[j];
      return;
    }
    default:
      for (std::int32_t r = 0; r < k; ++r) {
        const double* w = rows[r];
        const double s = signs[r];
        for (std::int64_t j = 0; j < n; ++j) to[j] = from[j] + s * w[j];
        from = to;
      }
  }
}

inline void sum_selected_rows_float_body(const float* rows, std::int64_t stride,
                                         const std::int32_t* selected, std::int64_t count,
                                         float* to, std::int64_t n) {
  // Starts from the first rows rather than from zeros (a loop of zeros would be a call to
  // memset per row of the caller).
  if (count == 0) {
    for (std::int64_t j = 0; j < n; ++j) to[j] = 0.0f;
    return;
  }
  std::int64_t k = 0;
  if (count >= 4) {
    const float* w0 = rows + selected[0] * stride;
    const float* w1 = rows + selected[1] * stride;
    const float* w2 = rows + selected[2] * stride;
    const float* w3 = rows + selected[3] * stride;
    for (std::int64_t j = 0; j < n; ++j) to[j] = ((w0[j] + w1[j]) + w2[j]) + w3[j];
    k = 4;
  } else {
    const float* w0 = rows + selected[0] * stride;
    for (std::int64_t j = 0; j < n; ++j) to[j] = w0[j];
    k = 1;
  }
  for (; k + 4 <= count; k += 4) {  // `to` loaded and stored once per four rows
    const float* w0 = rows + selected[k] * stride;
    const float* w1 = rows + selected[k + 1] * stride;
    const float* w2 = rows + selected[k + 2] * stride;
    const float* w3 = rows + selected[k + 3] * stride;
    for (std::int64_t j = 0; j < n; ++j) to[j] = (((to[j] + w0[j]) + w1[j]) + w2[j]) + w3[j];
  }
  for (; k < count; ++k) {
    const float* w = rows + selected[k] * stride;
    for (std::int64_t j = 0; j < n; ++j) to[j] += w[j];
  }
}

inline void logistic_row_body(const float* a, const float* bias, float* p, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) p[j] = 1.0f / (1.0f + exp_float_clamped(-(a[j] + bias[j])));
}

inline void gwg_weights_row_body(const double* d, const double* mask, double shift, double* q,
                                 std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const double y = 0.5 * d[j] - shift;
    q[j] = exp_estimate(if_negative(y + 700.0, -700.0, y)) * mask[j];
  }
}

inline void langevin_terms_row_body(const double* d, const double* mask, double h, double* e,
                                    double* terms, double* factors, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const double z = 0.5 * d[j] - h;
    e[j] = exp_neg_abs(z) * mask[j];
    softplus_parts(z, e[j], terms[j], factors[j]);
  }
}

inline void langevin_flips_row_body(const double* u, const double* e, const double* d, double h,
                                    double* flip, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j)
    flip[j] = u[j] * (1.0 + e[j]) <= if_negative(0.5 * d[j] - h, e[j], 1.0) ? 1.0 : 0.0;
}

// (__restrict: with five outputs GCC would not check their overlap at run time, and would
// leave the loop scalar.)
inline void annealed_hidden_row_body(double* __restrict a, const double* __restrict base,
                                     double beta, double previous, const double* __restrict u,
                                     double* __restrict t1, double* __restrict f1,
                                     double* __restrict t0, double* __restrict f0, std::int64_t n) {
  for (std::int64_t j = 0; j < n; ++j) {
    const double x1 = (1.0 - beta) * base[j] + beta * a[j];
    const double x0 = (1.0 - previous) * base[j] + previous * a[j];
    const double e1 = exp_neg_abs(x1);
    softplus_parts(x1, e1, t1[j], f1[j]);
    softplus_parts(x0, exp_neg_abs(x0), t0[j], f0[j]);
    a[j] = if_negative(sigmoid(x1, e1) - u[j], 0.0, 1.0);
  }
}

inline void annealed_visible_row_body(const float* g, const double* b, const double* base,
                                      double beta, const double* u, const double* free,
                                      const double* value, float* v, std::int64_t n) {
  for (std::int64_t i = 0; i < n; ++i) {
    const double x = (1.0 - beta) * base[i] + beta * (b[i] + static_cast<double>(g[i]));
    const double p = sigmoid(x, exp_neg_abs(x));
    v[i] = static_cast<float>(if_negative(p - u[i], 0.0, free[i]) + value[i]);
  }
}

inline void soft_coupling_row_body(const double* mu, double inv_t, double temperature, double v,
                                   double e_small, double* out, double* exotic, std::int64_t n) {
  const bool positive = v > 0.0;
  const double a = positive ? e_small : 1.0, b = positive ? 1.0 : e_small;
  const double v_part = positive ? v : 0.0;
  for (std::int64_t l = 0; l < n; ++l) {
    const double u = mu[l] * inv_t;
    const double au = std::abs(u);
    const double e = exp_accurate(-if_negative(au - 700.0, au, 700.0));  // e^{−|u|}
    const double big = 1.0 / (1.0 + e);                                  // σ(|u|)
    const double small = e * big;                                        // σ(−|u|)
    const double sum = if_negative(u, big, small) * a + if_negative(u, small, big) * b;
    out[l] = temperature * (v_part + log_accurate(if_negative(sum - 1e-290, 1.0, sum)));
    // 1 where |u| > 700 (±∞ included), the sum is too small, or anything was NaN.
    exotic[l] = au <= 700.0 && sum > 1e-290 ? 0.0 : 1.0;
  }
}

// One lane of max_coupling_row: both messages of the coupling from the old ones, damped,
// written in place; the lane's change folded into `change`, a NaN into `bad`. Selects, not
// branches (the comparisons of random log-ratios defeat a branch predictor), each the same
// operation as inference/bp/factor_updates.cc's scalar MaxReduce: std::max(0, x) is
// 0 < x ? x : 0, std::max(a, b) is a < b ? b : a.
inline void max_coupling_lane(double& m_i, double& m_j, double b_i, double b_j, double w,
                              double damping, double keep, double& change, double& bad) {
  const double mu_i = b_i - m_i, mu_j = b_j - m_j;  // x_i → factor, x_j → factor
  const double wi = w + mu_i, wj = w + mu_j;
  const double r_j = mu_i == HUGE_VAL ? w : (0.0 < wi ? wi : 0.0) - (0.0 < mu_i ? mu_i : 0.0);
  const double r_i = mu_j == HUGE_VAL ? w : (0.0 < wj ? wj : 0.0) - (0.0 < mu_j ? mu_j : 0.0);
  const double to_j = damping * m_j + keep * r_j;
  const double to_i = damping * m_i + keep * r_i;
  const double dj = std::abs(to_j - m_j), di = std::abs(to_i - m_i);
  const double d = dj < di ? di : dj;
  change = change < d ? d : change;
  bad = to_j != to_j || to_i != to_i ? 1.0 : bad;
  m_j = to_j;
  m_i = to_i;
}

inline double max_coupling_row_body(double* __restrict m_i, double* __restrict m_j,
                                    const double* __restrict b_i, const double* __restrict b_j,
                                    double w, double damping, std::int64_t n) {
  const double keep = 1.0 - damping;
  // Four independent accumulators (GCC vectorises no scalar max reduction of doubles); the
  // maximum does not depend on the order in which it is taken.
  double change[4] = {0.0, 0.0, 0.0, 0.0}, bad[4] = {0.0, 0.0, 0.0, 0.0};
  std::int64_t l = 0;
  for (; l + 4 <= n; l += 4)
    for (int k = 0; k < 4; ++k)
      max_coupling_lane(m_i[l + k], m_j[l + k], b_i[l + k], b_j[l + k], w, damping, keep, change[k],
                        bad[k]);
  for (; l < n; ++l)
    max_coupling_lane(m_i[l], m_j[l], b_i[l], b_j[l], w, damping, keep, change[0], bad[0]);
  double most = 0.0;
  for (int k = 0; k < 4; ++k) {
    if (bad[k] != 0.0) return std::numeric_limits<double>::quiet_NaN();
    most = most < change[k] ? change[k] : most;
  }
  return most;
}

}  // namespace

// For each kernel: a copy per x86 level (target attributes: the body is inlined and
// vectorised with that level's instructions; nothing it calls out of line is recompiled, so
// no AVX code can leak into another function), and the public function that picks one.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define DGM_DISPATCHED_KERNEL(ret, name, params, args)                                          \
  namespace {                                                                                   \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx2"))) ret name##_avx512 params { \
    return name##_body args;                                                                    \
  }                                                                                             \
  __attribute__((target("avx2"))) ret name##_avx2 params { return name##_body args; }           \
  }                                                                                             \
  ret name params {                                                                             \
    switch (simd_level()) {                                                                     \
      case SimdLevel::kAvx512:                                                                  \
        return name##_avx512 args;                                                              \
      case SimdLevel::kAvx2:                                                                    \
        return name##_avx2 args;                                                                \
      case SimdLevel::kPortable:                                                                \
        break;                                                                                  \
    }                                                                                           \
    return name##_body args;                                                                    \
  }
#else
#define DGM_DISPATCHED_KERNEL(ret, name, params, args) \
  ret name params { return name##_body args; }
#endif

DGM_DISPATCHED_KERNEL(std::int64_t, bernoulli_logistic_row,
                      (const float* a, const float* bias, const float* u, const float* free,
                       const float* value, float* x, std::int32_t* state, std::int64_t n),
                      (a, bias, u, free, value, x, state, n))
DGM_DISPATCHED_KERNEL(void, logistic_thresholds_row,
                      (const double* a, const double* u, double* q, std::int64_t n), (a, u, q, n))
DGM_DISPATCHED_KERNEL(void, sigmoid_softplus_row,
                      (const double* a, float* sigma, double* terms, double* factors,
                       std::int64_t n),
                      (a, sigma, terms, factors, n))
DGM_DISPATCHED_KERNEL(void, annealed_hidden_row,
                      (double* a, const double* base, double beta, double previous, const double* u,
                       double* t1, double* f1, double* t0, double* f0, std::int64_t n),
                      (a, base, beta, previous, u, t1, f1, t0, f0, n))
DGM_DISPATCHED_KERNEL(void, annealed_visible_row,
                      (const float* g, const double* b, const double* base, double beta,
                       const double* u, const double* free, const double* value, float* v,
                       std::int64_t n),
                      (g, b, base, beta, u, free, value, v, n))
DGM_DISPATCHED_KERNEL(void, soft_coupling_row,
                      (const double* mu, double inv_t, double temperature, double v, double e_small,
                       double* out, double* exotic, std::int64_t n),
                      (mu, inv_t, temperature, v, e_small, out, exotic, n))
DGM_DISPATCHED_KERNEL(double, max_coupling_row,
                      (double* m_i, double* m_j, const double* b_i, const double* b_j, double w,
                       double damping, std::int64_t n),
                      (m_i, m_j, b_i, b_j, w, damping, n))
DGM_DISPATCHED_KERNEL(void, add_signed_rows,
                      (const double* from, const double* const* rows, const double* signs,
                       std::int32_t k, double* to, std::int64_t n),
                      (from, rows, signs, k, to, n))
DGM_DISPATCHED_KERNEL(void, sum_selected_rows_float,
                      (const float* rows, std::int64_t stride, const std::int32_t* selected,
                       std::int64_t count, float* to, std::int64_t n),
                      (rows, stride, selected, count, to, n))
DGM_DISPATCHED_KERNEL(void, logistic_row,
                      (const float* a, const float* bias, float* p, std::int64_t n),
                      (a, bias, p, n))
DGM_DISPATCHED_KERNEL(double, first_order_scores_row,
                      (const std::int32_t* v, const double* bias, const float* g,
                       const double* offset, double* d, std::int64_t n),
                      (v, bias, g, offset, d, n))
DGM_DISPATCHED_KERNEL(void, gwg_weights_row,
                      (const double* d, const double* mask, double shift, double* q,
                       std::int64_t n),
                      (d, mask, shift, q, n))
DGM_DISPATCHED_KERNEL(void, langevin_terms_row,
                      (const double* d, const double* mask, double h, double* e, double* terms,
                       double* factors, std::int64_t n),
                      (d, mask, h, e, terms, factors, n))
DGM_DISPATCHED_KERNEL(void, langevin_flips_row,
                      (const double* u, const double* e, const double* d, double h, double* flip,
                       std::int64_t n),
                      (u, e, d, h, flip, n))

}  // namespace dgm::engine
