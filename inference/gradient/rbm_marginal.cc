#include "inference/gradient/rbm_marginal.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <cmath>
#include <string>

#include "engine/dense_product.h"
#include "engine/error.h"
#include "engine/parallel_tiles.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "engine/vector_kernels.h"
#include "engine/vector_math.h"
#include "factors/factor_block.h"
#include "factors/infinity.h"
#include "inference/sampling/chain_checks.h"
#include "inference/sampling/work.h"

namespace dgm::inference {

namespace {

// Steps between two recomputations of every chain's cache from its states.
constexpr std::int64_t kRefreshSteps = 4096;
// Tiles of the score product: blocks of chains × column ranges of the visible layer, fixed by
// the sizes alone (never by the number of threads).
constexpr std::int32_t kRowBlock = 128;
constexpr std::int32_t kColumnTile = 256;
// Below this many multiply-adds the product runs on the calling thread.
constexpr std::int64_t kParallelWork = std::int64_t{1} << 16;
// Below this many chains × units the per-chain passes run on the calling thread.
constexpr std::int64_t kParallelUnits = 4096;
// Counter index of the first draw of the hidden redraw within a sweep.
constexpr std::uint64_t kHiddenFirstDraw = std::uint64_t{1} << 31;

double uniform64(const engine::CounterRng& rng, std::uint64_t sweep, std::uint64_t j,
                 std::uint64_t first) {
  const auto r = rng.bits(engine::sweep_counter(sweep, first + j / 2));
  const std::size_t w = 2 * (j % 2);
  return r123::u01<double>((static_cast<std::uint64_t>(r[w]) << 32) | r[w + 1]);
}

// Runs f(b) for every chain, on oneTBB unless the work (chains × units, ~10 ns per unit) is
// too small to pay for a parallel region: tiny models on many chains are dominated by it.
template <class F>
void for_chains(std::int32_t num_chains, std::int32_t units, F f) {
  if (std::int64_t{num_chains} * units < kParallelUnits) {
    for (std::int32_t b = 0; b < num_chains; ++b) f(b);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    for (std::int32_t b = range.begin(); b != range.end(); ++b) f(b);
  });
}

// Per-thread buffers of the vectorised passes (a task runs on one thread, and none nests).
struct Scratch {
  std::vector<double> terms, factors;
};
Scratch& scratch(std::int32_t n) {
  thread_local Scratch s;
  if (s.terms.size() < static_cast<std::size_t>(n)) {
    s.terms.resize(static_cast<std::size_t>(n));
    s.factors.resize(static_cast<std::size_t>(n));
  }
  return s;
}

// Σ_j softplus(a_j + s·w_j) (exact scores).
double shifted_softplus_sum(const double* a, const double* w, double s, std::int32_t n) {
  Scratch& buffers = scratch(n);
  double* terms = buffers.terms.data();
  double* factors = buffers.factors.data();
  for (std::int32_t j = 0; j < n; ++j) {
    const double x = a[j] + s * w[j];
    engine::softplus_parts(x, engine::exp_neg_abs(x), terms[j], factors[j]);
  }
  return engine::softplus_total(terms, factors, n);
}

}  // namespace

bool rbm_marginal_applies(const engine::CompiledModel& model, const RbmLayout& layout) {
  for (std::int32_t j = 0; j < layout.num_hidden; ++j)
    if (!model.evidence.empty() &&
        model.evidence[static_cast<std::size_t>(layout.hidden_begin + j)] != engine::kFree)
      return false;
  const std::vector<double> bias = rbm_bias_log_odds(model);
  return std::all_of(bias.begin(), bias.end(), [](double x) { return std::isfinite(x); });
}

RbmMarginalSampler::RbmMarginalSampler(const engine::CompiledModel& model, const RbmLayout& layout,
                                       const Settings& settings, std::uint64_t seed)
    : model_(model),
      layout_(layout),
      settings_(settings),
      seed_(seed),
      nv_(layout.num_visible),
      nh_(layout.num_hidden) {
  visible_free_.assign(static_cast<std::size_t>(nv_), 1);
  for (std::int32_t i = 0; i < nv_; ++i)
    if (!model.evidence.empty() &&
        model.evidence[static_cast<std::size_t>(layout.visible_begin + i)] != engine::kFree)
      visible_free_[static_cast<std::size_t>(i)] = 0;
  free_visible_ = std::count(visible_free_.begin(), visible_free_.end(), 1);
  const std::vector<std::int64_t> cost = conditional_costs(*model.graph);
  for (std::int32_t i = 0; i < nv_; ++i)
    if (visible_free_[static_cast<std::size_t>(i)])
      step_evaluations_ += cost[static_cast<std::size_t>(layout.visible_begin + i)];
  free_mask_.resize(nv_);
  clamp_offset_.resize(nv_);
  for (std::int32_t i = 0; i < nv_; ++i) {
    free_mask_[i] = visible_free_[static_cast<std::size_t>(i)];
    clamp_offset_[i] = visible_free_[static_cast<std::size_t>(i)] ? 0.0 : kNegInf;
  }
  refresh_parameters();
}

std::string_view RbmMarginalSampler::name() const {
  switch (settings_.method) {
    case Method::kGwg:
      return "gwg";
    case Method::kDula:
      return "dula";
    case Method::kDmala:
      return "dmala";
  }
  return "";
}

std::int64_t RbmMarginalSampler::steps_per_sweep() const {
  if (free_visible_ == 0) return 0;
  return settings_.method == Method::kGwg
             ? std::max<std::int64_t>(1, free_visible_ / settings_.num_flips)
             : 1;
}

void RbmMarginalSampler::refresh_parameters() {
  num_chains_ = 0;  // forget every cache
  const factors::FactorBlock& block = model_.graph->blocks[static_cast<std::size_t>(layout_.block)];
  const double* w = model_.params.values.data() + block.param_offset;
  w_ = Eigen::Map<const MatrixD>(w, nv_, nh_);
  wf_ = w_.cast<float>();
  // The float products cannot hold a finite weight beyond ±3.4e38 (it would become ±inf, and
  // inf − inf a NaN score): refused, as block Gibbs does.
  for (std::int64_t k = 0; k < w_.size(); ++k)
    if (std::isfinite(w[k]) && !std::isfinite(wf_.data()[k]))
      throw_weight_outside_float(model_, layout_, k, std::string(name()));
  const std::vector<double> bias = rbm_bias_log_odds(model_);
  b_ = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout_.visible_begin, nv_);
  c_ = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout_.hidden_begin, nh_);
}

void RbmMarginalSampler::reset(const Chains& chains) {
  check_chain_shape(chains, model_, name());
  num_chains_ = 0;  // forget every cache
}

void RbmMarginalSampler::prepare(std::int32_t num_chains) {
  if (num_chains_ == num_chains && a_.rows() == 2 * num_chains) return;
  num_chains_ = num_chains;
  const auto rows = static_cast<std::size_t>(num_chains);
  slot_.assign(rows, 0);
  cached_v_.assign(rows * static_cast<std::size_t>(nv_), -1);  // matches no state: sync all
  a_.setZero(2 * num_chains, nh_);
  d_.setZero(2 * num_chains, nv_);
  q_.setZero(2 * num_chains, nv_);
  for (std::vector<double>* v : {&sp_, &norm_}) v->assign(2 * rows, 0.0);
  for (std::vector<double>* v : {&forward_, &difference_}) v->assign(rows, 0.0);
  stats_.assign(rows, SweepStats());
  sigma_.setZero(num_chains, nh_);
  product_.setZero(num_chains, nv_);
  flips_.assign(rows, {});
  draws_.assign(rows, {});
  for (auto& f : flips_) f.reserve(static_cast<std::size_t>(nv_));
  for (auto& d : draws_) d.reserve(static_cast<std::size_t>(settings_.num_flips));
  proposed_.assign(rows, 0);
}

RbmMarginalSampler::MatrixD RbmMarginalSampler::scores() const {
  MatrixD out(num_chains_, nv_);
  for (std::int32_t b = 0; b < num_chains_; ++b) out.row(b) = d_.row(current_row(b));
  return out;
}

RbmMarginalSampler::MatrixD RbmMarginalSampler::preactivations() const {
  MatrixD out(num_chains_, nh_);
  for (std::int32_t b = 0; b < num_chains_; ++b) out.row(b) = a_.row(current_row(b));
  return out;
}

void RbmMarginalSampler::hidden_terms(std::int32_t b, std::int32_t r) {
  Scratch& buffers = scratch(nh_);
  double* terms = buffers.terms.data();
  double* factors = buffers.factors.data();
  const double* a = a_.row(r).data();
  float* sigma = sigma_.row(b).data();
  // One exponential for both: σ(a) = (a ≥ 0 ? 1 : e)/(1 + e), e = e^{−|a|}.
  engine::sigmoid_softplus_row(a, sigma, terms, factors, nh_);
  sp_[static_cast<std::size_t>(r)] = engine::softplus_total(terms, factors, nh_);
}

void RbmMarginalSampler::product() {
  const std::int32_t row_blocks = (num_chains_ + kRowBlock - 1) / kRowBlock;
  const std::int32_t col_tiles = std::max(1, (nv_ + kColumnTile - 1) / kColumnTile);
  auto run_tile = [&](std::int32_t t) {
    const std::int32_t r0 = t / col_tiles * kRowBlock, m = std::min(kRowBlock, num_chains_ - r0);
    const std::int32_t c0 =
        static_cast<std::int32_t>(std::int64_t{t % col_tiles} * nv_ / col_tiles);
    const std::int32_t c1 =
        static_cast<std::int32_t>(std::int64_t{t % col_tiles + 1} * nv_ / col_tiles);
    // σ(a)·W[c0 .. c1, :]ᵀ (engine/dense_product.h: OpenBLAS, or Eigen at level portable).
    engine::gemm(false, true, m, c1 - c0, nh_, 1.0f, sigma_.data() + std::int64_t{r0} * nh_, nh_,
                 wf_.data() + std::int64_t{c0} * nh_, nh_, 0.0f,
                 product_.data() + std::int64_t{r0} * nv_ + c0, nv_);
  };
  const std::int32_t tiles = row_blocks * col_tiles;
  engine::run_tiles(tiles, std::int64_t{num_chains_} * nv_ * nh_ >= kParallelWork, run_tile);
}

void RbmMarginalSampler::update_preactivations(std::int32_t b, const std::int32_t* v) {
  const double* from = a_.row(current_row(b)).data();
  double* to = a_.row(spare_row(b)).data();
  const std::vector<std::int32_t>& flips = flips_[static_cast<std::size_t>(b)];
  // v holds the proposal: a unit now on adds its row, one now off subtracts it (s = ±1, so
  // s·W_ij is exact). Four rows per pass, so that a' is loaded and stored once per four rows:
  // the pass is then bound by reading W (3.1 MB at 784 × 500, from L3). The sums keep the
  // flips' order.
  const std::size_t n = flips.size();
  for (std::size_t k = 0; k < n; k += 4) {
    const auto count = static_cast<std::int32_t>(std::min<std::size_t>(4, n - k));
    const double* rows[4];
    double signs[4];
    for (std::int32_t l = 0; l < count; ++l) {
      rows[l] = w_.row(flips[k + static_cast<std::size_t>(l)]).data();
      signs[l] = v[flips[k + static_cast<std::size_t>(l)]] != 0 ? 1.0 : -1.0;
    }
    engine::add_signed_rows(from, rows, signs, count, to, nh_);
    from = to;
  }
}

void RbmMarginalSampler::scores_and_proposal(std::int32_t b, std::int32_t r,
                                             const std::int32_t* v) {
  const auto rs = static_cast<std::size_t>(r);
  const bool first_order = settings_.scores == RbmScores::kFirstOrder;
  double* d = d_.row(r).data();
  if (!first_order) {
    const double* a = a_.row(r).data();
    for (std::int32_t i = 0; i < nv_; ++i) {
      if (!visible_free_[static_cast<std::size_t>(i)]) {
        d[i] = kNegInf;
        continue;
      }
      const double s = 1 - 2 * v[i];
      d[i] = s * b_[i] + shifted_softplus_sum(a, w_.row(i).data(), s, nh_) - sp_[rs];
    }
  }
  // First order: d_i = s_i·(b_i + g_i) from the product g = W·σ(a), plus 0 or −∞ (clamped).
  double* q = q_.row(r).data();
  const double* mask = free_mask_.data();
  double max = kNegInf;
  if (first_order)
    max = engine::first_order_scores_row(v, b_.data(), product_.row(b).data(), clamp_offset_.data(),
                                         d, nv_);
  else if (settings_.method == Method::kGwg)
    max = Eigen::Map<const Eigen::ArrayXd>(d, nv_).maxCoeff();
  if (settings_.method == Method::kGwg) {
    // Weights w_i ≈ exp(d_i/2 − shift), shift = max d/2, by exp_estimate on arguments clamped
    // to ≥ −700 (so −∞ gives a finite value, which the mask zeroes); the MH ratio reads log w_i.
    const double shift = max == kNegInf ? 0.0 : 0.5 * max;
    engine::gwg_weights_row(d, mask, shift, q, nv_);
    norm_[rs] = Eigen::Map<const Eigen::ArrayXd>(q, nv_).sum();
    return;
  }
  // DLP: e_i = e^{−|z_i|} (0 for clamped units), z = d/2 − 1/(2α), and Σ_i softplus(z_i):
  // log q(x' | x) = Σ_i log σ(±z_i) = −Σ_i softplus(z_i) + Σ_{flipped} z_i.
  Scratch& buffers = scratch(nv_);
  double* terms = buffers.terms.data();
  double* factors = buffers.factors.data();
  engine::langevin_terms_row(d, mask, 0.5 / settings_.step_size, q, terms, factors, nv_);
  norm_[rs] = engine::softplus_total(terms, factors, nv_);
}

void RbmMarginalSampler::sync(const Chains& chains, bool all) {
  const std::int32_t num_chains = chains.num_chains();
  std::vector<char>& rows = proposed_;  // reused as the flags of the chains to recompute
  bool any = false;
  for (std::int32_t b = 0; b < num_chains; ++b) {
    const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    const std::int32_t* cached = cached_v_.data() + static_cast<std::size_t>(b) * nv_;
    rows[static_cast<std::size_t>(b)] = all || !std::equal(v, v + nv_, cached);
    any = any || rows[static_cast<std::size_t>(b)];
  }
  if (all) steps_since_refresh_ = 0;
  if (!any) return;
  for_chains(num_chains, nv_ + nh_, [&](std::int32_t b) {
    if (!rows[static_cast<std::size_t>(b)]) return;
    const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    const std::int32_t r = current_row(b);
    a_.row(r) = c_.transpose();
    for (std::int32_t i = 0; i < nv_; ++i)
      if (v[i] != 0) a_.row(r) += w_.row(i);
    hidden_terms(b, r);
    std::copy(v, v + nv_, cached_v_.data() + static_cast<std::size_t>(b) * nv_);
  });
  if (settings_.scores == RbmScores::kFirstOrder) product();
  for_chains(num_chains, nv_ + nh_, [&](std::int32_t b) {
    if (rows[static_cast<std::size_t>(b)])
      scores_and_proposal(b, current_row(b), chains.chain(b).data() + layout_.visible_begin);
  });
}

std::uint64_t RbmMarginalSampler::unit_draw_count() const {
  return (static_cast<std::uint64_t>(nv_) + 3) / 4;  // four 32-bit words per Philox draw
}

std::uint64_t RbmMarginalSampler::first_draw(std::int64_t t) const {
  // GWG: n proposal uniforms and the MH uniform, two per draw; DLP: one word per unit and
  // the MH uniform.
  const auto n = static_cast<std::uint64_t>(settings_.num_flips);
  const std::uint64_t per_step =
      settings_.method == Method::kGwg ? (n + 2) / 2 : unit_draw_count() + 1;
  return static_cast<std::uint64_t>(t) * per_step;
}

void RbmMarginalSampler::propose(Chains& chains, std::int32_t b, std::int64_t sweep_index,
                                 std::int64_t t) {
  const bool gwg = settings_.method == Method::kGwg;
  const auto sweep = static_cast<std::uint64_t>(sweep_index);
  const auto n = static_cast<std::uint64_t>(settings_.num_flips);
  const std::uint64_t first = first_draw(t);
  const double h = 0.5 / settings_.step_size;
  const auto bs = static_cast<std::size_t>(b);
  const std::int32_t r = current_row(b), next = spare_row(b);
  const auto rs = static_cast<std::size_t>(r);
  const engine::CounterRng rng(
      seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
  std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
  std::vector<std::int32_t>& flips = flips_[bs];
  flips.clear();
  draws_[bs].clear();
  proposed_[bs] = 0;
  double forward = 0.0;
  if (gwg) {
    if (!(norm_[rs] > 0.0)) return;
    const double* weight = q_.row(r).data();
    for (std::uint64_t j = 0; j < n; ++j) {
      const double target = (1.0 - uniform64(rng, sweep, j, first)) * norm_[rs];
      double cumulative = 0.0;
      std::int32_t pick = -1;
      for (std::int32_t i = 0; i < nv_; ++i) {
        if (!(weight[i] > 0.0)) continue;
        cumulative += weight[i];
        pick = i;
        if (cumulative > target) break;
      }
      draws_[bs].push_back(pick);
      forward += std::log(weight[pick]);
      if (std::find(flips.begin(), flips.end(), pick) == flips.end()) flips.push_back(pick);
    }
    forward -= static_cast<double>(n) * std::log(norm_[rs]);
  } else {
    const double* d = d_.row(r).data();
    const double* e = q_.row(r).data();
    // Unit i flips iff u_i ≤ σ(z_i) (0 for clamped units, which never flip; e = e^{−|z|}),
    // u_i = r123::u01<double>(word i): a branch-free pass, then the flipped units gathered
    // without branches either (a flip is rare and unpredictable).
    Scratch& buffers = scratch(nv_ + 3);
    double* u = buffers.terms.data();
    double* flip = buffers.factors.data();
    engine::philox_uniform_doubles(rng, engine::sweep_counter(sweep, first), unit_draw_count(), u);
    engine::langevin_flips_row(u, e, d, h, flip, nv_);
    flips.resize(static_cast<std::size_t>(nv_));
    std::size_t count = 0;
    for (std::int32_t i = 0; i < nv_; ++i) {
      flips[count] = i;
      count += static_cast<std::size_t>(flip[i]);
    }
    flips.resize(count);
    forward = -norm_[rs];
    for (const std::int32_t i : flips) forward += 0.5 * d[i] - h;
  }
  forward_[bs] = forward;
  if (flips.empty()) return;
  proposed_[bs] = 1;
  double linear = 0.0;
  for (const std::int32_t i : flips) {
    linear += v[i] == 0 ? b_[i] : -b_[i];
    v[i] = 1 - v[i];
  }
  update_preactivations(b, v);
  hidden_terms(b, next);
  difference_[bs] = linear + sp_[static_cast<std::size_t>(next)] - sp_[rs];
}

void RbmMarginalSampler::finish(Chains& chains, std::int32_t b, std::int64_t sweep_index,
                                std::int64_t t) {
  const bool gwg = settings_.method == Method::kGwg;
  const auto sweep = static_cast<std::uint64_t>(sweep_index);
  const auto n = static_cast<std::uint64_t>(settings_.num_flips);
  const std::uint64_t unit_draws = unit_draw_count();
  const std::uint64_t first = first_draw(t);
  const double h = 0.5 / settings_.step_size;
  const auto bs = static_cast<std::size_t>(b);
  const std::int32_t r = current_row(b), next = spare_row(b);
  SweepStats& st = stats_[bs];
  st = SweepStats();
  if (gwg && !(norm_[static_cast<std::size_t>(r)] > 0.0)) return;
  st.proposals = 1;
  st.site_updates = gwg ? static_cast<std::int64_t>(flips_[bs].size()) : free_visible_;
  // Work (inference/sampling/work.h): the scores of every free visible unit at the proposed
  // state, one product (2·nv·nh flops), after moving the pre-activations by the flipped rows.
  st.factor_evaluations = step_evaluations_;
  st.flops = 2 * std::int64_t{nv_} * nh_ + 2 * st.site_updates * nh_;
  if (!proposed_[bs]) {  // DLP moved nothing: trivially accepted
    st.accepted = 1;
    return;
  }
  std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
  scores_and_proposal(b, next, v);
  bool accept = true;
  if (settings_.method != Method::kDula) {
    const auto ns = static_cast<std::size_t>(next);
    double reverse = 0.0;
    if (gwg) {
      for (const std::int32_t i : draws_[bs]) reverse += std::log(q_(next, i));
      reverse -= static_cast<double>(n) * std::log(norm_[ns]);
    } else {
      reverse = -norm_[ns];
      for (const std::int32_t i : flips_[bs]) reverse += 0.5 * d_(next, i) - h;
    }
    const double log_ratio = difference_[bs] + reverse - forward_[bs];
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
    const double u =
        gwg ? uniform64(rng, sweep, n, first) : uniform64(rng, sweep, 2 * unit_draws, first);
    accept = log_ratio >= 0.0 || u <= std::exp(log_ratio);
  }
  if (!accept) {
    for (const std::int32_t i : flips_[bs]) v[i] = 1 - v[i];
    return;
  }
  st.accepted = 1;
  st.changed = static_cast<std::int64_t>(flips_[bs].size());
  slot_[bs] = static_cast<std::uint8_t>(1 - slot_[bs]);
  std::int32_t* cached = cached_v_.data() + bs * static_cast<std::size_t>(nv_);
  for (const std::int32_t i : flips_[bs]) cached[i] = v[i];
}

SweepStats RbmMarginalSampler::advance(Chains& chains, std::int64_t sweep, std::int64_t steps) {
  check_chain_shape(chains, model_, name());
  const std::int32_t num_chains = chains.num_chains();
  prepare(num_chains);
  // The chains may have changed since the last call; within the loop only propose() and
  // finish() move them, and they keep the caches and cached_v_ up to date.
  sync(chains, steps_since_refresh_ >= kRefreshSteps);
  SweepStats total;
  if (steps <= 0) return total;
  for_chains(num_chains, nv_ + nh_, [&](std::int32_t b) { propose(chains, b, sweep, 0); });
  for (std::int64_t t = 0; t < steps; ++t) {
    if (settings_.scores == RbmScores::kFirstOrder) product();  // the scores at the proposals
    ++steps_since_refresh_;
    const bool refresh = steps_since_refresh_ >= kRefreshSteps;
    const bool next = t + 1 < steps;
    // A chain's MH test for step t, then (while its caches are hot) its proposal for t + 1.
    for_chains(num_chains, nv_ + nh_, [&](std::int32_t b) {
      finish(chains, b, sweep, t);
      if (next && !refresh) propose(chains, b, sweep, t + 1);
    });
    for (const SweepStats& s : stats_) total += s;
    if (next && refresh) {
      sync(chains, true);
      for_chains(num_chains, nv_ + nh_, [&](std::int32_t b) { propose(chains, b, sweep, t + 1); });
    }
  }
  return total;
}

SweepStats RbmMarginalSampler::sweep(Chains& chains, std::int64_t sweep) {
  SweepStats stats = advance(chains, sweep, steps_per_sweep());
  prepare(chains.num_chains());
  sync(chains, false);
  // h | v exactly from the cached pre-activations: every chain holds a joint sample. Unit j
  // is on iff u·(1 + e) ≤ (a_j ≥ 0 ? 1 : e), e = e^{−|a_j|}, i.e. u ≤ σ(a_j).
  for_chains(chains.num_chains(), nv_ + nh_, [&](std::int32_t b) {
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
    const double* a = a_.row(current_row(b)).data();
    double* e = scratch(nh_).terms.data();
    for (std::int32_t j = 0; j < nh_; ++j) e[j] = engine::exp_neg_abs(a[j]);
    std::int32_t* hidden = chains.chain(b).data() + layout_.hidden_begin;
    for (std::int32_t j0 = 0; j0 < nh_; j0 += 4) {
      const auto r =
          rng.bits(engine::sweep_counter(static_cast<std::uint64_t>(sweep),
                                         kHiddenFirstDraw + static_cast<std::uint64_t>(j0 / 4)));
      for (std::int32_t j = j0; j < std::min(nh_, j0 + 4); ++j) {
        const double u = r123::u01<double>(r[static_cast<std::size_t>(j - j0)]);
        hidden[j] = u * (1.0 + e[j]) <= (a[j] >= 0.0 ? 1.0 : e[j]) ? 1 : 0;
      }
    }
  });
  return stats;
}

void RbmMarginalSampler::save_state(SamplerStateWriter& out) const {
  out.put_value<std::int32_t>(num_chains_);
  if (num_chains_ == 0) return;  // no caches yet
  out.put_value<std::int64_t>(steps_since_refresh_);
  out.put(slot_);
  out.put(cached_v_);
  for (const MatrixD* m : {&a_, &d_, &q_})
    out.put(std::span<const double>(m->data(), static_cast<std::size_t>(m->size())));
  out.put(sp_);
  out.put(norm_);
}

void RbmMarginalSampler::restore_state(SamplerStateReader& in, const Chains& chains) {
  const auto saved_chains = in.get_value<std::int32_t>();
  if (saved_chains == 0) return;
  if (saved_chains != chains.num_chains())
    throw Error("saved " + std::string(name()) + " state is for " + std::to_string(saved_chains) +
                " chains, not " + std::to_string(chains.num_chains()));
  prepare(saved_chains);
  steps_since_refresh_ = in.get_value<std::int64_t>();
  slot_ = in.get<std::uint8_t>(static_cast<std::int64_t>(slot_.size()));
  cached_v_ = in.get<std::int32_t>(static_cast<std::int64_t>(cached_v_.size()));
  for (MatrixD* m : {&a_, &d_, &q_}) {
    const std::vector<double> values = in.get<double>(m->size());
    std::copy(values.begin(), values.end(), m->data());
  }
  sp_ = in.get<double>(static_cast<std::int64_t>(sp_.size()));
  norm_ = in.get<double>(static_cast<std::int64_t>(norm_.size()));
}

std::unique_ptr<Sampler> make_rbm_marginal(const engine::CompiledModel& model,
                                           const RbmMarginalSampler::Settings& settings,
                                           std::uint64_t seed) {
  const std::optional<RbmLayout> layout = rbm_layout(model);
  if (!layout || !rbm_marginal_applies(model, *layout)) return nullptr;
  return std::make_unique<RbmMarginalSampler>(model, *layout, settings, seed);
}

}  // namespace dgm::inference
