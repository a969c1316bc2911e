#pragma once
// Settings of the gradient-informed samplers, with their defaults. The proto messages in
// proto/dgm/sampler.proto (GwgConfig, DulaConfig, DmalaConfig) mirror them; a zero proto field
// means the default below.
#include <cstdint>

namespace dgm::inference {

// How the RBM visible-marginal target scores a flip of visible unit i (see rbm_marginal.h).
enum class RbmScores {
  // d̃_i = (1 − 2v_i)·(b_i + W_i·σ(Wᵀv + c)): the first-order Taylor estimate the papers use.
  // The default: it costs one B×nh×nv float matrix product per step for all chains, where
  // exact differences cost nv·nh softplus evaluations per chain (a GWG step ~50× slower at
  // 784×500: 145 against 2.7 ms for 100 chains, one thread); the Metropolis–Hastings test
  // keeps GWG and DMALA exact with either.
  kFirstOrder,
  // Δ_i = f(v with v_i flipped) − f(v), exactly (softplus sums).
  kExact,
};

// Settings shared by the three samplers.
struct GradientCommon {
  // Use the generic per-factor scores even where the binary pairwise fast path applies.
  bool generic_only = false;
  // On an RBM-shaped model (inference/model_views/rbm_layout.h) with no clamped hidden unit,
  // sample the visible marginal p(v) ∝ exp(bᵀv + Σ_j softplus((Wᵀv + c)_j)) with the hidden
  // units summed out (the benchmark target of both papers), drawing h | v exactly
  // after every sweep. false: sample (v, h) jointly as any other factor graph.
  bool rbm_marginal = true;
  RbmScores rbm_scores = RbmScores::kFirstOrder;
};

// gwg: Gibbs-with-gradients (Grathwohl et al. 2021) with the Metropolis–Hastings correction.
struct GwgParams {
  GradientCommon common;
  // Draws per proposal (GWG-n): n slots drawn with replacement from q(· | x), the last draw of
  // each variable giving its new state. One sweep is max(1, N / n) proposals, N the number of
  // free variables, so a sweep is about N proposed variable moves whatever n.
  std::int32_t num_flips = 1;
  // Recompute every score and rebuild the proposal tree at every step, as the reference
  // implementations recompute the full gradient (for benchmarks and tests; same chains up to
  // rounding).
  bool full_recompute = false;
  // For tests only (not in the proto): a deliberately wrong MH ratio, the reverse term scored
  // with the forward normaliser log Σ_s exp(Δ_s(x)/2) instead of the one at x'. The exactness
  // tests must catch it.
  bool wrong_reverse_for_testing = false;
};

// dula and dmala: the discrete Langevin proposal (Zhang et al. 2022). One sweep is one
// proposal step, which moves every free variable at once.
struct DlpParams {
  GradientCommon common;
  // Step size α: a binary variable flips with probability σ(Δ/2 − 1/(2α)); a categorical one
  // takes state k ≠ x_v with logit Δ_{v,k}/2 − 1/α (and keeps x_v with logit 0). Zhang et al. 2022
  // (Alg. 1 and its categorical form): DMALA 0.2 and DULA 0.1 (the RBM settings of the paper), the
  // defaults here.
  double step_size = 0.2;
  // DMALA: Metropolis–Hastings test (exact). DULA: accept every proposal (biased for α > 0).
  bool metropolis = true;
  // For tests only (not in the proto): a deliberately wrong MH ratio, the reverse proposal
  // scored with the scores at x instead of x'. The exactness tests must catch it.
  bool wrong_reverse_for_testing = false;
};

// Throw dgm::Error naming the setting when it is out of range: num_flips in [1, 2^20] (more
// draws than that per proposal only costs time: a step is O(n)); step_size finite in
// [1e-6, 1e6] (below, 1/α overflows and nothing ever moves while acceptance reads 1).
void validate_num_flips(std::int32_t num_flips);
void validate_step_size(const char* sampler, double step_size);

}  // namespace dgm::inference
