#include "inference/ais/rbm_ais.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Eigen/Core>
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "engine/dense_product.h"
#include "engine/parallel_tiles.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "engine/vector_kernels.h"
#include "engine/vector_math.h"

namespace dgm::inference {

namespace {

using MatrixF = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using MatrixD = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

constexpr std::int32_t kRowBlock = 256;
constexpr std::int32_t kMaxTileWidth = 256;
// βs per block between progress reports and stop checks.
constexpr std::int64_t kBlock = 64;
// Below this many multiply-adds per product the tiles run on the calling thread.
constexpr std::int64_t kParallelWork = std::int64_t{1} << 16;

// Column tiles of a layer of n units: one below 128 units, two below 256, otherwise
// max(4, ⌈n/256⌉) (an even split keeps two or four threads busy); inner bounds on multiples of
// 16 (whole Philox draws of four words, whole SIMD registers), so a tile is at most
// kMaxTileWidth + 16 wide.
std::vector<std::int32_t> column_bounds(std::int32_t n) {
  const std::int32_t tiles = n < 128   ? 1
                             : n < 256 ? 2
                                       : std::max(4, (n + kMaxTileWidth - 1) / kMaxTileWidth);
  std::vector<std::int32_t> bounds;
  for (std::int32_t t = 0; t < tiles; ++t)
    bounds.push_back(
        static_cast<std::int32_t>((static_cast<std::int64_t>(t) * n / tiles + 8) / 16 * 16));
  bounds.push_back(n);
  bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
  return bounds;
}

// Runs fn(r0, m, c0, n) over the tiles of an M × n_cols output.
template <class Fn>
void for_tiles(std::int32_t runs, const std::vector<std::int32_t>& bounds, std::int64_t work,
               Fn&& fn) {
  const std::int32_t row_blocks = (runs + kRowBlock - 1) / kRowBlock;
  const auto col_tiles = static_cast<std::int32_t>(bounds.size()) - 1;
  engine::run_tiles(row_blocks * col_tiles, work >= kParallelWork, [&](std::int32_t t) {
    const std::int32_t r0 = t / col_tiles * kRowBlock;
    const std::int32_t c = t % col_tiles;
    fn(r0, std::min(kRowBlock, runs - r0), bounds[static_cast<std::size_t>(c)],
       bounds[static_cast<std::size_t>(c) + 1] - bounds[static_cast<std::size_t>(c)]);
  });
}

// Uniforms for units [c0, c0 + n) (c0 a multiple of 4) from the draws starting at `first`.
void uniforms(const engine::CounterRng& rng, std::uint64_t k, std::uint64_t first, std::int32_t c0,
              std::int32_t n, double* out) {
  // The tile's whole Philox draws at once (engine/philox_batch.h, the words of rng.bits).
  float u[kMaxTileWidth + 16];
  engine::philox_uniform_floats(
      rng, engine::sweep_counter(k, first + static_cast<std::uint64_t>(c0 / 4)), (n + 3) / 4, u);
  for (std::int32_t j = 0; j < n; ++j) out[j] = u[j];
}

}  // namespace

bool rbm_ais_applies(const engine::CompiledModel& model) {
  const std::optional<RbmLayout> layout = rbm_layout(model);
  if (!layout) return false;
  for (std::int32_t j = 0; j < layout->num_hidden; ++j)
    if (!model.evidence.empty() &&
        model.evidence[static_cast<std::size_t>(layout->hidden_begin + j)] != engine::kFree)
      return false;
  const std::optional<RbmParameters> rbm = rbm_parameters(model);
  return rbm.has_value() && std::all_of(rbm->w.data(), rbm->w.data() + rbm->w.size(), [](double x) {
           return std::isfinite(static_cast<float>(x)) || !std::isfinite(x);
         });
}

std::int64_t run_rbm_ais(const engine::CompiledModel& model, const RbmParameters& rbm,
                         const BaseModel& base, std::span<const double> betas,
                         const AisOptions& options, std::span<double> log_weights) {
  const RbmLayout& l = rbm.layout;
  const std::int32_t nv = l.num_visible, nh = l.num_hidden, runs = options.runs;
  const auto num_betas = static_cast<std::int64_t>(betas.size());
  // W for V·W and Wᵀ for H·Wᵀ, both row-major, so that neither product reads a transposed view
  // (Eigen packs a transposed block more slowly).
  const MatrixF wf = rbm.w.cast<float>();
  const MatrixF wft = wf.transpose();

  // The base: log-odds b⁰ (0 for clamped visible units, which p_0 does not cover), c⁰, and
  // k⁰ = Σ_{free} u(0); the model's visible log-odds minus the base's, and k − k⁰.
  std::vector<double> b0(static_cast<std::size_t>(nv), 0.0), c0(static_cast<std::size_t>(nh));
  std::vector<double> free_v(static_cast<std::size_t>(nv), 1.0),
      value_v(static_cast<std::size_t>(nv), 0.0);
  std::vector<double> d(static_cast<std::size_t>(nv));
  double k0 = 0.0;
  for (std::int32_t i = 0; i < nv; ++i) {
    const std::int32_t v = l.visible_begin + i;
    if (base.is_free(v)) {
      b0[static_cast<std::size_t>(i)] = base.log_odds(v);
      k0 += base.of(v)[0];
    } else {
      free_v[static_cast<std::size_t>(i)] = 0.0;
      value_v[static_cast<std::size_t>(i)] = model.evidence[static_cast<std::size_t>(v)];
    }
    d[static_cast<std::size_t>(i)] = rbm.b[i] - b0[static_cast<std::size_t>(i)];
  }
  for (std::int32_t j = 0; j < nh; ++j) {
    c0[static_cast<std::size_t>(j)] = base.log_odds(l.hidden_begin + j);
    k0 += base.of(l.hidden_begin + j)[0];
  }
  const double dk = rbm.constant - k0;

  const std::vector<std::int32_t> hidden_bounds = column_bounds(nh),
                                  visible_bounds = column_bounds(nv);
  const std::uint64_t hidden_draws = static_cast<std::uint64_t>(nh + 3) / 4;
  const std::int64_t work = std::int64_t{runs} * nv * nh;
  MatrixF v(runs, nv), h(runs, nh), a(runs, nh), bv(runs, nv);
  // Per run and hidden column tile: its part of the weight's softplus difference; per run, the
  // linear part (b − b⁰)ᵀv + k − k⁰.
  MatrixD partial(runs, static_cast<Eigen::Index>(hidden_bounds.size()) - 1);
  std::vector<double> linear(static_cast<std::size_t>(runs));
  std::vector<double> log_weight(static_cast<std::size_t>(runs), 0.0);
  std::vector<engine::CounterRng> rngs;
  rngs.reserve(static_cast<std::size_t>(runs));
  for (std::int32_t m = 0; m < runs; ++m)
    rngs.emplace_back(options.seed, engine::stream_id(engine::StreamPurpose::kAnnealing,
                                                      static_cast<std::uint64_t>(m)));

  // v ~ p_0 (draw index 0, visible words after the hidden ones as at every β).
  for_tiles(runs, visible_bounds, work,
            [&](std::int32_t r0, std::int32_t m, std::int32_t c0v, std::int32_t n) {
              double u[kMaxTileWidth + 16];
              for (std::int32_t r = r0; r < r0 + m; ++r) {
                uniforms(rngs[static_cast<std::size_t>(r)], 0, hidden_draws, c0v, n, u);
                for (std::int32_t i = c0v; i < c0v + n; ++i) {
                  const double x = b0[static_cast<std::size_t>(i)];
                  const double p = engine::sigmoid(x, engine::exp_neg_abs(x));
                  v(r, i) = static_cast<float>(u[i - c0v] <= p ? free_v[static_cast<std::size_t>(i)]
                                                               : 0.0) +
                            static_cast<float>(value_v[static_cast<std::size_t>(i)]);
                }
              }
            });

  // The weight at β_k and the hidden half of the transition at β_k (at the last β the draws
  // are made and ignored, which keeps the loop free of branches).
  auto hidden_tile = [&](std::int64_t k, std::int32_t r0, std::int32_t m, std::int32_t c0h,
                         std::int32_t n) {
    const double beta = betas[static_cast<std::size_t>(k)];
    const double previous = betas[static_cast<std::size_t>(k - 1)];
    engine::gemm(false, false, m, n, nv, 1.0f, v.data() + std::int64_t{r0} * nv, nv,
                 wf.data() + c0h, nh, 0.0f, a.data() + std::int64_t{r0} * nh + c0h, nh);
    double u[kMaxTileWidth + 16], pre[kMaxTileWidth + 16];
    double t1r[kMaxTileWidth + 16], f1r[kMaxTileWidth + 16], t0r[kMaxTileWidth + 16],
        f0r[kMaxTileWidth + 16];
    const auto tile = static_cast<std::size_t>(
        std::find(hidden_bounds.begin(), hidden_bounds.end(), c0h) - hidden_bounds.begin());
    const double* __restrict c = rbm.c.data() + c0h;
    const double* __restrict base_c = c0.data() + c0h;
    for (std::int32_t r = r0; r < r0 + m; ++r) {
      uniforms(rngs[static_cast<std::size_t>(r)], static_cast<std::uint64_t>(k), 0, c0h, n, u);
      const float* __restrict ar = a.row(r).data() + c0h;
      float* __restrict hr = h.row(r).data() + c0h;
      // Three passes, each vectorisable (GCC does not vectorise one loop that mixes the float
      // inputs and outputs with this much double arithmetic); the middle one, all the
      // exponentials, on the CPU's widest vector unit (engine/vector_kernels.h).
      for (std::int32_t j = 0; j < n; ++j) pre[j] = static_cast<double>(ar[j]) + c[j];
      engine::annealed_hidden_row(pre, base_c, beta, previous, u, t1r, f1r, t0r, f0r, n);
      for (std::int32_t j = 0; j < n; ++j) hr[j] = static_cast<float>(pre[j]);
      // This tile's part of Σ_j softplus at β_k minus at β_{k−1} (the weight adds the tiles'
      // parts in column order), and in the first tile the linear part of f_β.
      partial(r, static_cast<Eigen::Index>(tile)) =
          engine::softplus_total(t1r, f1r, n) - engine::softplus_total(t0r, f0r, n);
      if (tile == 0)
        linear[static_cast<std::size_t>(r)] = dk + Eigen::Map<const Eigen::VectorXd>(d.data(), nv)
                                                       .dot(v.row(r).transpose().cast<double>());
    }
  };
  auto weight = [&](std::int64_t k, std::int32_t r) {
    double hidden_terms = 0.0;
    for (Eigen::Index t = 0; t < partial.cols(); ++t) hidden_terms += partial(r, t);
    log_weight[static_cast<std::size_t>(r)] +=
        (betas[static_cast<std::size_t>(k)] - betas[static_cast<std::size_t>(k - 1)]) *
            linear[static_cast<std::size_t>(r)] +
        hidden_terms;
  };
  // The visible half of the transition at β_k.
  auto visible_tile = [&](std::int64_t k, std::int32_t r0, std::int32_t m, std::int32_t c0v,
                          std::int32_t n) {
    const double beta = betas[static_cast<std::size_t>(k)];
    engine::gemm(false, false, m, n, nh, 1.0f, h.data() + std::int64_t{r0} * nh, nh,
                 wft.data() + c0v, nv, 0.0f, bv.data() + std::int64_t{r0} * nv + c0v, nv);
    double u[kMaxTileWidth + 16];
    const double* __restrict b = rbm.b.data() + c0v;
    const double* __restrict base_b = b0.data() + c0v;
    const double* __restrict free = free_v.data() + c0v;
    const double* __restrict value = value_v.data() + c0v;
    for (std::int32_t r = r0; r < r0 + m; ++r) {
      uniforms(rngs[static_cast<std::size_t>(r)], static_cast<std::uint64_t>(k), hidden_draws, c0v,
               n, u);
      const float* __restrict br = bv.row(r).data() + c0v;
      float* __restrict vr = v.row(r).data() + c0v;
      engine::annealed_visible_row(br, b, base_b, beta, u, free, value, vr, n);
    }
  };
  auto step = [&](std::int64_t k) {
    for_tiles(runs, hidden_bounds, work,
              [&](std::int32_t r0, std::int32_t m, std::int32_t c, std::int32_t n) {
                hidden_tile(k, r0, m, c, n);
              });
    for (std::int32_t r = 0; r < runs; ++r) weight(k, r);  // a few additions per run
    if (k == num_betas - 1) return;
    for_tiles(runs, visible_bounds, work,
              [&](std::int32_t r0, std::int32_t m, std::int32_t c, std::int32_t n) {
                visible_tile(k, r0, m, c, n);
              });
  };

  std::int64_t done = 1;
  while (done < num_betas) {
    if (options.stop != nullptr && options.stop->load()) break;
    const std::int64_t end = std::min(num_betas, done + kBlock);
    for (std::int64_t k = done; k < end; ++k) step(k);
    done = end;
    if (options.progress) options.progress(done, num_betas);
  }
  std::copy(log_weight.begin(), log_weight.end(), log_weights.begin());
  return done;
}

}  // namespace dgm::inference
