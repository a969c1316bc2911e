#pragma once
// Row kernels of the samplers, compiled for each instruction-set level and chosen at run time
// (engine/cpu_dispatch.h). Every level gives bit-identical results: element-wise IEEE
// arithmetic from engine/vector_math.h, compiled without fused multiply-adds, and no sum in an
// order the vector width could change (tests/engine/dispatch_test.cc compares the levels).
#include <cstdint>

namespace dgm::engine {

// One Bernoulli draw per element of a row, x_j ~ Bernoulli(σ(a_j + bias_j)) by
// x_j = [u_j·(1 + e^{−(a_j + bias_j)}) ≤ 1] (u_j uniform in (0, 1]; 0 for a NaN log-odds),
// except where free_j = 0:
// there x_j = value_j (evidence). Writes the draw as a float (x) and as the state of the chain
// (state), and returns how many states changed.
std::int64_t bernoulli_logistic_row(const float* a, const float* bias, const float* u,
                                    const float* free, const float* value, float* x,
                                    std::int32_t* state, std::int64_t n);

// Heat-bath thresholds of binary site updates: q_j = u_j·(1 + e^{−a_j}) by exp_estimate (a_j
// the log-odds of state 1, u_j its uniform); the state is 1 iff q_j < 1. Valid for
// |a_j| ≤ 700 only (callers decide the rest, and the cases near q = 1, exactly).
void logistic_thresholds_row(const double* a, const double* u, double* q, std::int64_t n);

// For a row of log-odds a: σ(a_j) (as float) and the parts of Σ_j softplus(a_j) that
// softplus_total adds up (engine/vector_math.h, softplus_parts), from one exponential each.
void sigmoid_softplus_row(const double* a, float* sigma, double* terms, double* factors,
                          std::int64_t n);

// First-order flip scores of binary units: d_j = (1 − 2·v_j)·(bias_j + g_j) + offset_j
// (offset 0, or −∞ for clamped units). Returns max_j d_j (−∞ for n = 0; a maximum does not
// depend on the order it is taken in).
double first_order_scores_row(const std::int32_t* v, const double* bias, const float* g,
                              const double* offset, double* d, std::int64_t n);

// to_j = (((from_j + s_0·w_0j) + s_1·w_1j) + …) for the k rows w_0 … w_{k−1} with signs s
// (±1): a row of pre-activations moved by flipped units, k ≤ 4 rows per call, summed in the
// rows' order.
void add_signed_rows(const double* from, const double* const* rows, const double* signs,
                     std::int32_t k, double* to, std::int64_t n);

// to[0 .. n) = Σ_k rows[selected[k]·stride .. + n) over k = 0 … count − 1 in that order, one
// rounding per row after the first, in float (0 for count = 0): a product with 0/1 states as the
// sum of the rows its ones select (an RBM's v·W with sparse visible states: no multiplication, a
// fraction of a dense product's additions).
void sum_selected_rows_float(const float* rows, std::int64_t stride, const std::int32_t* selected,
                             std::int64_t count, float* to, std::int64_t n);

// p_j = σ(a_j + bias_j) = 1/(1 + e^{−(a_j + bias_j)}) in float, by exp_float_clamped: within a
// few float ulps for |a_j + bias_j| ≤ 87; beyond, the clamp gives 1 and about 1.6e−38.
void logistic_row(const float* a, const float* bias, float* p, std::int64_t n);

// Gibbs-with-gradients proposal weights q_j = e^{d_j/2 − shift}·mask_j, the exponent clamped
// to ≥ −700 (so d = −∞ gives a finite value the mask zeroes), by exp_estimate.
void gwg_weights_row(const double* d, const double* mask, double shift, double* q, std::int64_t n);

// Discrete Langevin proposal terms for z_j = d_j/2 − h: e_j = e^{−|z_j|}·mask_j and the parts
// of Σ_j softplus(z_j).
void langevin_terms_row(const double* d, const double* mask, double h, double* e, double* terms,
                        double* factors, std::int64_t n);

// Discrete Langevin flips: flip_j = 1 iff u_j ≤ σ(z_j), z_j = d_j/2 − h, tested as
// u_j·(1 + e_j) ≤ (z_j ≥ 0 ? 1 : e_j) with e_j from langevin_terms_row; else 0.
void langevin_flips_row(const double* u, const double* e, const double* d, double h, double* flip,
                        std::int64_t n);

// Annealed importance sampling on an RBM (inference/ais/rbm_ais.cc), the hidden pass of a tile
// row: with x_β = (1 − β)·base_j + β·a_j the log-odds on the geometric path, the softplus
// parts of x at β (t1, f1) and at the previous β (t0, f0) for the run's weight, and the draw
// h_j = [u_j ≤ σ(x_β)] (written over a as 0 or 1).
void annealed_hidden_row(double* a, const double* base, double beta, double previous,
                         const double* u, double* t1, double* f1, double* t0, double* f0,
                         std::int64_t n);

// The visible pass: x_i = (1 − β)·base_i + β·(b_i + g_i), v_i = [u_i ≤ σ(x_i)]·free_i + value_i.
void annealed_visible_row(const float* g, const double* b, const double* base, double beta,
                          const double* u, const double* free, const double* value, float* v,
                          std::int64_t n);

// The sum-product message (temperature T > 0) of a binary coupling of weight w = v·T, for
// incoming log-ratios μ (Yedidia, Freeman and Weiss 2003; the form of
// inference/bp/factor_updates.cc): out_l = T·log((1 + e^{u+v})/(1 + e^u)), u = μ_l/T, computed
// as T·((v > 0 ? v : 0) + log(σ(−u)·a + σ(u)·b)) with (a, b) = (e^{−v}, 1) for v > 0 and
// (1, e^{v}) otherwise, e_small = e^{−|v|}. exotic_l = 1 where that form does not apply
// (μ = ±∞ or NaN, |u| > 700, or the sum below 1e−290, where both terms underflowed): the
// caller computes those lanes another way; else 0.
void soft_coupling_row(const double* mu, double inv_t, double temperature, double v, double e_small,
                       double* out, double* exotic, std::int64_t n);

// The max-product (T = 0) messages of a binary coupling of weight w, for n lanes, in place:
// with μ_i = b_i − m_i and μ_j = b_j − m_j (the variables' messages to the factor),
//   m_j ← d·m_j + (1 − d)·(max(0, w + μ_i) − max(0, μ_i)),   m_i likewise from μ_j,
// and w where μ = +∞ (inference/bp/factor_updates.cc). Returns the largest |new − old| of any
// entry, or NaN if some new entry is NaN. The four arrays must not overlap.
double max_coupling_row(double* m_i, double* m_j, const double* b_i, const double* b_j, double w,
                        double damping, std::int64_t n);

}  // namespace dgm::engine
