#pragma once
// Block Gibbs for restricted Boltzmann machines: the fast path of the `block-gibbs` sampler
// for models made of one bipartite block and unary biases. With v the block's left group
// (visible), h its right group (hidden), W[i, j] its weights and b, c the visible and hidden
// log-odds biases, one sweep moves all B chains at once (Hinton 2010, "A practical guide to
// training RBMs"):
//
//   h ~ p(h | v) = σ(v·W + c)        (B × nh, one float GEMM)
//   v ~ p(v | h) = σ(h·Wᵀ + b)       (B × nv, one float GEMM)
//
// Unary biases are converted once to log-odds: log_odds w gives w, a spin field h gives 2h
// (θ = h·s, s = 2x − 1), a table t gives t[1] − t[0]; several unaries on one variable add.
// The weights and biases are mirrored in float (parameters are double, docs/decisions.md);
// the mirrors are rebuilt by refresh_parameters() (the constructor's too), so a learner that
// changes the model's parameters must call it before the next sweep.
//
// Sparse states (at most kMaxSparseDensity ones: MNIST-like visible states have ~13%) make a
// layer's product a sum of the rows of W (hidden target) or of Wᵀ (visible target, a
// transposed mirror derived from the float W when first needed after a refresh) that the
// other layer's ones select (engine::sum_selected_rows_float, in the ones' order): one
// addition per selected weight against a GEMM's multiply-add per weight. Denser states (a
// learning RBM's hidden layer, ~44% ones) take the GEMM. The choice depends on the states
// only, so it is the same on any thread count.
//
// Work is split into tiles — blocks of at most kRowBlock chains × column ranges whose sizes
// depend only on B and the layer sizes — and the tiles run in parallel on oneTBB. Each tile
// does its slice of the GEMM on its own thread (engine/dense_product.h: OpenBLAS with kernels
// chosen for the CPU at run time, or Eigen at dispatch level portable), then adds the biases
// and draws (engine/vector_kernels.h, one Philox call per 16 draws on AVX-512,
// engine/philox_batch.h). Since the tiling never depends on the number of threads and a
// product of given shapes is deterministic, samples are bit-identical for any thread count.
// (Another BLAS, CPU or dispatch level may round the products differently, which changes a
// draw only where a uniform falls within float rounding of its probability.)
//
// Random numbers: the draw of unit u of chain b in sweep s uses word u mod 4 of
// CounterRng(seed, stream_id(kSweep, b)).bits(sweep_counter(s, first + u / 4)), with
// first = 0 for hidden units and ⌈nh / 4⌉ for visible ones: four uniforms per Philox call.
// Unit u takes state 1 iff uniform·(1 + e^{−a}) ≤ 1, a its log-odds (the rule of
// inference/sampling/draw.h, in float), so a = ±∞ (hard unary biases) is exact.
//
// A sweep reads the visible states from the chains and resamples the hidden ones first, so the
// hidden states a chain holds before a sweep do not matter. With visible_first
// (BlockGibbsConfig), it reads the hidden states and resamples the visible ones first; each
// unit's random words are the same in either order.
//
// Evidence: clamped variables are masked — their draw is discarded and they keep their
// evidence state, which is what the other side is conditioned on. Every unit consumes its
// uniform whether clamped or not, so the uniforms of a free unit do not depend on which other
// units are clamped.
//
// site_updates = B·(nv + nh) per sweep (clamped units included); `changed` counts the units
// whose state changed. Work (inference/sampling/work.h): every unit's conditional, Σ K_v·deg(v)
// factor evaluations per chain, computed as two products of 2·nv·nh flops each.
#include <Eigen/Core>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/model_views/rbm_layout.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

class RbmBlockGibbs final : public Sampler {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

  // Chains per row block of a tile.
  static constexpr std::int32_t kRowBlock = 256;
  // Largest fraction of ones in the given layer's states for which a product sums rows. The
  // sums load one weight per addition, a GEMM (OpenBLAS) does a multiply-add per weight with
  // its operands in registers; measured on Zen 4 (784 × 500, 100 chains, one thread: AVX-512
  // sums, OpenBLAS's AVX2 kernels) the two cross near 30% ones for a hidden target and 37% for
  // a visible one (docs/performance.md), whose sums also need the transposed mirror.
  static constexpr double kMaxSparseDensity = 0.3;

  // `model` must be RBM-shaped with this layout (see rbm_layout) and must outlive the sampler.
  RbmBlockGibbs(const engine::CompiledModel& model, const RbmLayout& layout, std::uint64_t seed,
                bool visible_first = false);

  std::string_view name() const override { return "block-gibbs"; }
  // The chains hold no cache: checks their shape only.
  void reset(const Chains& chains) override;
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;

  // Rebuilds the float mirrors. Throws dgm::Error when a weight is not finite (or beyond float's
  // range) or a bias is NaN (the parameters were changed into something that is no longer an RBM).
  void refresh_parameters() override;

  // Conditional log-odds log p(h_j = 1 | v) − log p(h_j = 0 | v) of every hidden unit given
  // each chain's visible states (B × nh), and of every visible unit given the hidden states
  // (B × nv): the very computation a sweep draws from. Not for concurrent calls on one sampler
  // (like sweeps: they may derive the transposed mirror).
  Matrix hidden_log_odds(const Chains& chains) const;
  Matrix visible_log_odds(const Chains& chains) const;

  // The products v·W (B × nh, row-major, without the hidden biases) that the latest sweep's
  // hidden half-step drew from: v the visible states the chains held when that sweep began
  // (hidden first), or hold at its end (visible first). Empty before the first sweep. Learning
  // reads them instead of computing σ(v·W + c) a second time (learning/gradient.cc): CD after
  // its first sweep (the minibatch's), PCD after its sweeps (the negatives').
  std::span<const float> hidden_products() const {
    return {scratch_h_.data(), static_cast<std::size_t>(scratch_h_.size())};
  }

  // The float mirror of the weights W (nv × nh, row-major) the sweeps read, as the latest
  // refresh_parameters() converted them: the same storage for the sampler's lifetime, its
  // values changed only by refresh_parameters(). Learning's RBM gradient reads them instead of
  // converting the same weights again.
  std::span<const float> float_weights() const {
    return {weights_.data(), static_cast<std::size_t>(weights_.size())};
  }

  const RbmLayout& layout() const { return layout_; }
  bool visible_first() const { return visible_first_; }

 private:
  // One layer: its variables, biases, evidence mask, column tiles and random words.
  struct Layer {
    std::int32_t begin = 0;
    std::int32_t size = 0;
    Eigen::RowVectorXf bias;  // log-odds
    // Evidence as a mask: a unit's new state is draw·free + value, so free units take their
    // draw (free = 1, value = 0) and clamped ones their evidence state (free = 0).
    std::vector<float> free, value;
    std::vector<std::int32_t> bounds;  // column tiles: [bounds[t], bounds[t + 1])
    std::uint64_t first_word = 0;      // counter index of the layer's first word in a sweep
  };

  // The ones of each row of a layer's states: row b's at [b·size, b·size + count[b]).
  struct Ones {
    std::vector<std::int32_t> index, count;
  };

  // Fills `out` (B × size) with the layer's states from the chains.
  void gather(const Chains& chains, const Layer& layer, Matrix& out) const;
  // Indexes the ones of `states` (B × size, 0/1) into `ones`; returns &ones when they are
  // sparse enough for a product to sum rows (kMaxSparseDensity), else null.
  const Ones* index_ones(const Matrix& states, Ones& ones) const;
  // The product part of the log-odds of tile (rows [r0, r0 + m), columns [c0, c0 + n)) of
  // `target` given the other layer's states `given` (without the biases), written to `out`
  // at the same place; from `ones` (the given states' ones) when not null.
  void tile_product(const Layer& target, const Matrix& given, const Ones* ones, std::int32_t r0,
                    std::int32_t m, std::int32_t c0, std::int32_t n, Matrix& out) const;
  // Readies what tile_product will read: the transposed mirror Wᵀ when `target` is the visible
  // layer and its product sums rows (`ones` not null), built after each refresh_parameters only
  // if some half-step needs it (learning's RBMs mostly have over 30% hidden ones: GEMMs).
  void prepare_product(const Layer& target, const Ones* ones) const;
  // Log-odds of every unit of `target` (B × size) into `out`, tile by tile.
  void log_odds(const Layer& target, const Matrix& given, const Ones* ones, Matrix& out) const;
  // Draws every unit of `target` given `given`: updates `states` (B × size) and the chains;
  // returns the number of units that changed.
  std::int64_t half_step(const Layer& target, const Matrix& given, const Ones* ones,
                         std::int64_t sweep, Matrix& states, Chains& chains);

  const engine::CompiledModel& model_;
  RbmLayout layout_;
  std::uint64_t seed_;
  bool visible_first_ = false;
  Matrix weights_;  // nv × nh
  // Wᵀ (nh × nv), derived from weights_ on demand (prepare_product); current when the flag is.
  mutable Matrix transposed_;
  mutable bool transposed_current_ = false;
  Layer visible_, hidden_;
  std::int64_t sweep_evaluations_ = 0;  // per chain
  // Per-sweep buffers, sized on first use: layer states and log-odds scratch.
  Matrix v_, h_, scratch_v_, scratch_h_;
  Ones ones_;
};

// The RBM fast path of block Gibbs: a sampler for `model` when it is RBM-shaped (rbm_layout),
// nullptr otherwise. `model` must outlive the sampler.
std::unique_ptr<Sampler> make_rbm_block_gibbs(const engine::CompiledModel& model,
                                              std::uint64_t seed, bool visible_first = false);

}  // namespace dgm::inference
