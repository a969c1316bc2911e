#pragma once
// The RBM visible marginal as a sampling target, for gwg, dula and dmala: the benchmark target
// of both papers (Grathwohl et al. 2021, §5.1; Zhang et al. 2022, §5.2). With W (nv × nh), b, c
// the weights and the visible and hidden log-odds biases, the hidden units are summed out:
//   f(v) = bᵀv + Σ_j softplus(a_j),   a = Wᵀv + c (the hidden pre-activations),
// and the samplers move v alone. After every sweep h is drawn exactly from p(h | v) = σ(a), so
// each chain's full state is a joint sample (v, h) of the model, like block Gibbs gives.
//
// Scores of a flip of visible unit i (s_i = 1 − 2v_i, the sign of the change):
//   first order (default): d̃_i = s_i·(b_i + W_i·σ(a)), the gradient of f at v along the flip,
//     as the papers compute it. For all B chains at once this is one float product
//     σ(A) (B × nh) · Wᵀ (nh × nv), column-tiled on oneTBB like inference/gibbs/rbm_block_gibbs.
//   exact: Δ_i = s_i·b_i + Σ_j [softplus(a_j + s_i·W_ij) − softplus(a_j)], nv·nh softplus
//     evaluations per chain and step (for checks and small models).
// The MH test makes gwg and dmala exact with either; the scores only shape the proposal.
//
// A step costs one matrix product plus O(nv + nh) per chain (plus O(nh) per flipped unit):
//   (1) per chain, propose from the cached proposal quantities, update the pre-activations by
//       the flipped rows of W, a' = a + Σ_{flipped} s_i W_i (O(flips · nh), four rows per pass,
//       never a product), and in one vectorised pass over a' get Σ_j softplus(a'_j) (double)
//       and σ(a') (float), with one exponential per unit;
//   (2) one product σ(A') · Wᵀ for all chains: the scores at every proposed state;
//   (3) per chain, the proposal quantities at v', the reverse term and the MH test.
// Each chain keeps two cache slots (pre-activations, Σ softplus, scores, proposal quantities)
// and step (1) fills the one not in use: an accepted proposal just switches slots, so the
// scores computed at the proposed state are the next step's forward scores, without a copy.
// advance() runs (3) of step t and (1) of step t + 1 in one pass over the chains, so a step is
// the product and one parallel pass. (At 784 × 500 with 100 chains, SSE2: the product is ~60%
// of a DMALA step, the row updates for its ~50 flips per chain ~15%, tools/bench.)
//
// Numerics. The target f(v') − f(v) is computed in double from the double pre-activations:
// the exponentials by engine::exp_accurate (≤ 2 ulps) and Σ_j softplus(a_j) by
// engine::softplus_parts/softplus_total (one log per 512 terms, of the product of the
// 1 + e^{−|a_j|} ∈ [1, 2], each rounding corrected), whose error is of the order of the
// rounding of a plain sum of libm softplus values (~1e−15 relative to the sum). The proposals
// are exact as proposals: GWG draws unit i with probability w_i / Σ w,
// w_i ≈ exp(d̃_i/2 − max d̃/2) by engine::exp_estimate (relative error < 3e−7), and the MH
// ratio uses log w_i − log Σ w of the weights actually drawn from, so the estimate only
// perturbs the proposal, never the target. DLP flips unit i with probability σ(z_i),
// z = d̃/2 − 1/(2α), from e_i = exp_accurate(−|z_i|), and log q = −Σ_i softplus(z_i) +
// Σ_{flipped} z_i from the same e_i. Weights below e^{−700} (GWG) and |z| above 700 (DLP) are
// clamped there, a change below 1e−304 in a probability.
//
// Sweeps: gwg, max(1, nv_free / num_flips) steps; dula and dmala, one step. Evidence: clamped
// visible units are never proposed (score −∞); models with a clamped hidden unit, or with an
// infinite bias, are not handled here (rbm_marginal_applies) and run on the factor-graph paths.
// Each chain's cache (pre-activations, scores) belongs to a copy of its visible states; a chain
// whose states differ at the start of advance() (changed from outside) is recomputed, and every
// chain is recomputed from scratch every 4096 steps so that the incremental a never drifts.
//
// Random numbers (chain b, sweep s, CounterRng(seed, stream_id(kSweep, b))): GWG step t reads
// draw sweep_counter(s, t·⌈(n + 1)/2⌉ + j / 2) for its uniforms j = 0..n (n slot draws, then
// the acceptance); a DLP step reads four 32-bit uniforms per draw for the units (unit i: word
// i mod 4 of draw i / 4) and the acceptance from draw ⌈nv/4⌉; hidden unit j of the redraw reads
// word j mod 4 of draw 2^31 + j / 4. The product's tiling depends only on B and the layer
// sizes, so results are bit-identical for any number of threads (but, unlike the factor-graph
// paths, a chain's rounding can depend on the number of chains B, through Eigen's blocking).
#include <Eigen/Core>
#include <cstdint>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/gradient/gradient_params.h"
#include "inference/model_views/rbm_layout.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

// Whether the RBM marginal path can run `model` (laid out as `layout`): no clamped hidden unit
// and every bias finite.
bool rbm_marginal_applies(const engine::CompiledModel& model, const RbmLayout& layout);

class RbmMarginalSampler final : public Sampler {
 public:
  enum class Method { kGwg, kDula, kDmala };
  struct Settings {
    Method method = Method::kGwg;
    RbmScores scores = RbmScores::kFirstOrder;
    std::int32_t num_flips = 1;  // gwg
    double step_size = 0.2;      // dula, dmala
  };
  using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Requires rbm_marginal_applies(model, layout). The model must outlive the sampler.
  RbmMarginalSampler(const engine::CompiledModel& model, const RbmLayout& layout,
                     const Settings& settings, std::uint64_t seed);

  std::string_view name() const override;
  // Forgets every cache (the next sweep recomputes them from the states).
  void reset(const Chains& chains) override;
  // Rebuilds the weight and bias mirrors and forgets every cache.
  void refresh_parameters() override;
  // The caches: pre-activations are moved by rows of W step after step (and recomputed every
  // 4,096 steps), so recomputing them on restore would differ in the last bits; they are saved.
  void save_state(SamplerStateWriter& out) const override;
  void restore_state(SamplerStateReader& in, const Chains& chains) override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool has_acceptance() const override { return settings_.method != Method::kDula; }

  // `steps` steps of every chain at sweep index `sweep`, without the hidden redraw (benchmarks
  // time steps this way; sweep() is steps_per_sweep() of them and the redraw).
  SweepStats advance(Chains& chains, std::int64_t sweep, std::int64_t steps);
  std::int64_t steps_per_sweep() const;

  // For tests: the cached scores (B × nv; −∞ for clamped units) and pre-activations (B × nh)
  // at each chain's current visible states.
  MatrixD scores() const;
  MatrixD preactivations() const;

 private:
  // Cache row of chain b in slot k ∈ {0, 1}; the chain's current caches are in slot slot_[b].
  std::int32_t row(std::int32_t b, int k) const { return k * num_chains_ + b; }
  std::int32_t current_row(std::int32_t b) const {
    return row(b, slot_[static_cast<std::size_t>(b)]);
  }
  std::int32_t spare_row(std::int32_t b) const {
    return row(b, 1 - slot_[static_cast<std::size_t>(b)]);
  }

  void prepare(std::int32_t num_chains);
  // Recomputes the current caches of the chains whose visible states differ from the cached
  // copy (all of them when `all`).
  void sync(const Chains& chains, bool all);
  // From the pre-activations of cache row r (chain b): Σ_j softplus into sp_[r] and, for first
  // order scores, σ into sigma_.row(b).
  void hidden_terms(std::int32_t b, std::int32_t r);
  // Chain b's pre-activations at its proposal v (flips_[b] applied) into its spare slot:
  // a' = a + Σ_{flipped} s_i W_i.
  void update_preactivations(std::int32_t b, const std::int32_t* v);
  // product_ = sigma_ · Wᵀ for every chain (first order scores).
  void product();
  // The scores of cache row r (chain b, visible states v) and their proposal quantities (GWG:
  // weights and their total; DLP: e^{−|z|} and Σ softplus(z)).
  void scores_and_proposal(std::int32_t b, std::int32_t r, const std::int32_t* v);
  // Step t of chain b (sweep index `sweep`): propose() draws the proposal from the current
  // caches, moves the chain's states to it and fills the spare slot's pre-activations, Σ
  // softplus and σ row; after the product, finish() completes the spare slot (scores, proposal
  // quantities), makes the MH test and switches slots or moves the states back. Stats in
  // stats_[b].
  void propose(Chains& chains, std::int32_t b, std::int64_t sweep, std::int64_t t);
  void finish(Chains& chains, std::int32_t b, std::int64_t sweep, std::int64_t t);
  // The layout of a step's draws in a chain's Philox stream (one counter per 4 words):
  // Philox draws for the DLP flip uniforms, and the first counter of step t.
  std::uint64_t unit_draw_count() const;
  std::uint64_t first_draw(std::int64_t t) const;

  const engine::CompiledModel& model_;
  RbmLayout layout_;
  Settings settings_;
  std::uint64_t seed_;
  std::int32_t nv_ = 0, nh_ = 0;
  MatrixD w_;   // nv × nh, double (pre-activation updates)
  MatrixF wf_;  // nv × nh, float (the score product)
  Eigen::VectorXd b_, c_;
  Eigen::ArrayXd free_mask_;     // nv: 1 for free visible units, 0 for clamped ones
  Eigen::ArrayXd clamp_offset_;  // nv: 0 for free visible units, −∞ for clamped ones
  std::vector<char> visible_free_;
  std::int64_t free_visible_ = 0;
  std::int64_t step_evaluations_ = 0;  // per chain and step (work.h)
  std::int64_t steps_since_refresh_ = 0;

  // Cache rows (2B, slot-major: see row()): pre-activations, Σ softplus, scores, proposal
  // quantities (GWG: the weights; DLP: e^{−|z|}) and their normaliser (GWG: Σ weights; DLP:
  // Σ softplus(z)).
  std::int32_t num_chains_ = 0;
  std::vector<std::uint8_t> slot_;
  std::vector<std::int32_t> cached_v_;  // B × nv: the visible states of the current caches
  MatrixD a_, d_, q_;
  std::vector<double> sp_, norm_;
  MatrixF sigma_, product_;  // B × nh, B × nv: at the proposed states
  // Per chain step scratch.
  std::vector<std::vector<std::int32_t>> flips_, draws_;
  std::vector<double> forward_, difference_;
  std::vector<char> proposed_;
  std::vector<SweepStats> stats_;
};

// The RBM marginal path for `model` if it is RBM-shaped and rbm_marginal_applies, else nullptr.
std::unique_ptr<Sampler> make_rbm_marginal(const engine::CompiledModel& model,
                                           const RbmMarginalSampler::Settings& settings,
                                           std::uint64_t seed);

}  // namespace dgm::inference
