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
// f(v') − f(v) always comes from the pre-activations in double: a' = a + Σ_{flipped} s_i W_i
// (O(flips · nh)), so the target itself is never rounded to float.
//
// A step for all chains: (1) per chain, propose from the cached scores (GWG: softmax(d̃/2) by
// inverse CDF over nv cached weights; DLP: every unit flips with σ(d̃_i/2 − 1/(2α))) and compute
// a', f(v') − f(v) and σ(a'); (2) one product for the scores at v'; (3) per chain, the reverse
// term and the MH test. The scores, weights and pre-activations at v' become the next step's
// forward ones when the proposal is accepted, so a step costs about one matrix product.
//
// Sweeps: gwg, max(1, nv_free / num_flips) steps; dula and dmala, one step. Evidence: clamped
// visible units are never proposed (score −∞); models with a clamped hidden unit, or with an
// infinite bias, are not handled here (rbm_marginal_applies) and run on the factor-graph paths.
// Each chain's cache (pre-activations, scores) belongs to a copy of its visible states; a chain
// whose states differ at the start of a sweep (changed from outside) is recomputed, and every
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
#include "inference/gibbs/rbm_block_gibbs.h"
#include "inference/gradient/gradient_params.h"
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
  // Re-reads the parameters and forgets every cache.
  void reset(const Chains& chains) override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool has_acceptance() const override { return settings_.method != Method::kDula; }

  // `steps` steps of every chain at sweep index `sweep`, without the hidden redraw (benchmarks
  // time steps this way; sweep() is steps_per_sweep() of them and the redraw).
  SweepStats advance(Chains& chains, std::int64_t sweep, std::int64_t steps);
  std::int64_t steps_per_sweep() const;

  // For tests: the cached scores (B × nv; −∞ for clamped units) and pre-activations (B × nh)
  // at each chain's current visible states.
  const MatrixD& scores() const { return d_; }
  const MatrixD& preactivations() const { return a_; }

 private:
  void refresh_parameters();
  void prepare(std::int32_t num_chains);
  // Recomputes the caches of the chains whose visible states differ from the cached copy (all
  // of them when `all`).
  void sync(const Chains& chains, bool all);
  // Scores at the states of `chains` for the rows flagged in `rows` of `pre` (B × nh) into `out`.
  void compute_scores(const Chains& chains, const MatrixD& pre, const std::vector<char>& rows,
                      MatrixD& out);
  // The proposal's derived quantities (GWG weights / DLP e^{−|z|}, log(1 + e^{−|z|})) of row b.
  void derive(const MatrixD& d, std::int32_t b, MatrixD& first, MatrixD& second,
              std::vector<double>& total, std::vector<double>& shift) const;
  double softplus_sum(const MatrixD& pre, std::int32_t b) const;
  SweepStats step(Chains& chains, std::int64_t sweep, std::int64_t t);

  const engine::CompiledModel& model_;
  RbmLayout layout_;
  Settings settings_;
  std::uint64_t seed_;
  std::int32_t nv_ = 0, nh_ = 0;
  MatrixD w_;   // nv × nh, double (pre-activation updates)
  MatrixF wf_;  // nv × nh, float (the score product)
  Eigen::VectorXd b_, c_;
  std::vector<char> visible_free_;
  std::int64_t free_visible_ = 0;
  std::int64_t steps_since_refresh_ = 0;

  // Per chain (rows): the visible states the caches belong to, the pre-activations, Σ softplus,
  // the scores and their derived proposal quantities; "_next" at the proposed states.
  std::vector<std::int32_t> cached_v_;
  MatrixD a_, a_next_, d_, d_next_, p1_, p1_next_, p2_, p2_next_;
  std::vector<double> sp_, sp_next_, total_, total_next_, shift_, shift_next_;
  MatrixF sigma_, product_;
  // Per chain step scratch.
  std::vector<std::vector<std::int32_t>> flips_, draws_;
  std::vector<double> forward_, difference_;
  std::vector<char> proposed_, all_rows_;
};

// The RBM marginal path for `model` if it is RBM-shaped and rbm_marginal_applies, else nullptr.
std::unique_ptr<Sampler> make_rbm_marginal(const engine::CompiledModel& model,
                                           const RbmMarginalSampler::Settings& settings,
                                           std::uint64_t seed);

}  // namespace dgm::inference
