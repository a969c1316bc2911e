#include "inference/gradient/rbm_marginal.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <Random123/uniform.hpp>
#include <algorithm>
#include <cmath>
#include <limits>

#include "engine/random.h"
#include "factors/factor_block.h"
#include "inference/gibbs/chain_checks.h"

namespace dgm::inference {

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
// Steps between two recomputations of every chain's cache from its states.
constexpr std::int64_t kRefreshSteps = 4096;
// Tiles of the score product: blocks of chains × column ranges of the visible layer, fixed by
// the sizes alone (never by the number of threads).
constexpr std::int32_t kRowBlock = 128;
constexpr std::int32_t kColumnTile = 256;
// Below this many multiply-adds the product runs on the calling thread.
constexpr std::int64_t kParallelWork = std::int64_t{1} << 16;
// Counter index of the first draw of the hidden redraw within a sweep.
constexpr std::uint64_t kHiddenFirstDraw = std::uint64_t{1} << 31;

double uniform64(const engine::CounterRng& rng, std::uint64_t sweep, std::uint64_t j,
                 std::uint64_t first) {
  const auto r = rng.bits(engine::sweep_counter(sweep, first + j / 2));
  const std::size_t w = 2 * (j % 2);
  return r123::u01<double>((static_cast<std::uint64_t>(r[w]) << 32) | r[w + 1]);
}

// Runs f(b) for every chain on oneTBB.
template <class F>
void for_chains(std::int32_t num_chains, F f) {
  tbb::parallel_for(tbb::blocked_range<std::int32_t>(0, num_chains), [&](const auto& range) {
    for (std::int32_t b = range.begin(); b != range.end(); ++b) f(b);
  });
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
  const factors::FactorBlock& block = model_.graph->blocks[static_cast<std::size_t>(layout_.block)];
  const double* w = model_.params.values.data() + block.param_offset;
  w_ = Eigen::Map<const MatrixD>(w, nv_, nh_);
  wf_ = w_.cast<float>();
  const std::vector<double> bias = rbm_bias_log_odds(model_);
  b_ = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout_.visible_begin, nv_);
  c_ = Eigen::Map<const Eigen::VectorXd>(bias.data() + layout_.hidden_begin, nh_);
}

void RbmMarginalSampler::reset(const Chains& chains) {
  check_chain_shape(chains, model_, name());
  refresh_parameters();
  a_.resize(0, 0);  // forget every cache
}

void RbmMarginalSampler::prepare(std::int32_t num_chains) {
  if (a_.rows() == num_chains && a_.cols() == nh_) return;
  const auto rows = static_cast<std::size_t>(num_chains);
  cached_v_.assign(rows * static_cast<std::size_t>(nv_), -1);  // matches no state: sync all
  for (MatrixD* m : {&a_, &a_next_}) m->setZero(num_chains, nh_);
  for (MatrixD* m : {&d_, &d_next_, &p1_, &p1_next_, &p2_, &p2_next_}) m->setZero(num_chains, nv_);
  for (std::vector<double>* v :
       {&sp_, &sp_next_, &total_, &total_next_, &shift_, &shift_next_, &forward_, &difference_})
    v->assign(rows, 0.0);
  sigma_.setZero(num_chains, nh_);
  product_.setZero(num_chains, nv_);
  flips_.assign(rows, {});
  draws_.assign(rows, {});
  for (auto& f : flips_) f.reserve(static_cast<std::size_t>(nv_));
  for (auto& d : draws_) d.reserve(static_cast<std::size_t>(settings_.num_flips));
  proposed_.assign(rows, 0);
  all_rows_.assign(rows, 1);
}

double RbmMarginalSampler::softplus_sum(const MatrixD& pre, std::int32_t b) const {
  const auto a = pre.row(b).array();
  return (a.max(0.0) + (1.0 + (-a.abs()).exp()).log()).sum();
}

void RbmMarginalSampler::compute_scores(const Chains& chains, const MatrixD& pre,
                                        const std::vector<char>& rows, MatrixD& out) {
  const auto num_chains = static_cast<std::int32_t>(pre.rows());
  const std::vector<double>& sp = &pre == &a_ ? sp_ : sp_next_;
  if (settings_.scores == RbmScores::kExact) {
    for_chains(num_chains, [&](std::int32_t b) {
      if (!rows[static_cast<std::size_t>(b)]) return;
      const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
      const auto a = pre.row(b).array();
      for (std::int32_t i = 0; i < nv_; ++i) {
        if (!visible_free_[static_cast<std::size_t>(i)]) {
          out(b, i) = kNegInf;
          continue;
        }
        const double s = 1 - 2 * v[i];
        const auto moved = a + s * w_.row(i).array();
        const double moved_sum = (moved.max(0.0) + (1.0 + (-moved.abs()).exp()).log()).sum();
        out(b, i) = s * b_[i] + moved_sum - sp[static_cast<std::size_t>(b)];
      }
    });
    return;
  }
  // First order: σ(a) · Wᵀ for every chain, one tiled float product.
  for_chains(num_chains, [&](std::int32_t b) {
    sigma_.row(b) = (1.0 / (1.0 + (-pre.row(b).array()).exp())).cast<float>().matrix();
  });
  const std::int32_t row_blocks = (num_chains + kRowBlock - 1) / kRowBlock;
  const std::int32_t col_tiles = std::max(1, (nv_ + kColumnTile - 1) / kColumnTile);
  auto run_tile = [&](std::int32_t t) {
    const std::int32_t r0 = t / col_tiles * kRowBlock, m = std::min(kRowBlock, num_chains - r0);
    const std::int32_t c0 =
        static_cast<std::int32_t>(std::int64_t{t % col_tiles} * nv_ / col_tiles);
    const std::int32_t c1 =
        static_cast<std::int32_t>(std::int64_t{t % col_tiles + 1} * nv_ / col_tiles);
    product_.block(r0, c0, m, c1 - c0).noalias() =
        sigma_.middleRows(r0, m) * wf_.middleRows(c0, c1 - c0).transpose();
  };
  const std::int32_t tiles = row_blocks * col_tiles;
  if (std::int64_t{num_chains} * nv_ * nh_ < kParallelWork) {
    for (std::int32_t t = 0; t < tiles; ++t) run_tile(t);
  } else {
    tbb::parallel_for(
        tbb::blocked_range<std::int32_t>(0, tiles, 1),
        [&](const tbb::blocked_range<std::int32_t>& r) {
          for (std::int32_t t = r.begin(); t < r.end(); ++t) run_tile(t);
        },
        tbb::simple_partitioner());
  }
  for_chains(num_chains, [&](std::int32_t b) {
    if (!rows[static_cast<std::size_t>(b)]) return;
    const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    const float* g = product_.row(b).data();
    for (std::int32_t i = 0; i < nv_; ++i)
      out(b, i) = visible_free_[static_cast<std::size_t>(i)]
                      ? (1 - 2 * v[i]) * (b_[i] + static_cast<double>(g[i]))
                      : kNegInf;
  });
}

void RbmMarginalSampler::derive(const MatrixD& d, std::int32_t b, MatrixD& first, MatrixD& second,
                                std::vector<double>& total, std::vector<double>& shift) const {
  const auto row = d.row(b).array();
  if (settings_.method == Method::kGwg) {
    // Weights exp(d/2 − shift) of q(i | v) = softmax(d/2); shift = max d/2.
    const double max = row.maxCoeff();
    shift[static_cast<std::size_t>(b)] = max == kNegInf ? 0.0 : 0.5 * max;
    first.row(b) = (0.5 * row - shift[static_cast<std::size_t>(b)]).exp().matrix();
    total[static_cast<std::size_t>(b)] = first.row(b).sum();
    return;
  }
  // DLP: e = exp(−|z|) and log(1 + e), z = d/2 − 1/(2α): log σ(±z) = min(±z, 0) − log(1 + e).
  const double h = 0.5 / settings_.step_size;
  const auto z = 0.5 * row - h;
  first.row(b) = (-z.abs()).exp().matrix();
  second.row(b) = (1.0 + first.row(b).array()).log().matrix();
}

void RbmMarginalSampler::sync(const Chains& chains, bool all) {
  const std::int32_t num_chains = chains.num_chains();
  std::vector<char>& rows = proposed_;  // reused as the flags of the rows to recompute
  bool any = false;
  for (std::int32_t b = 0; b < num_chains; ++b) {
    const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    const std::int32_t* cached = cached_v_.data() + static_cast<std::size_t>(b) * nv_;
    rows[static_cast<std::size_t>(b)] = all || !std::equal(v, v + nv_, cached);
    any = any || rows[static_cast<std::size_t>(b)];
  }
  if (!any) return;
  for_chains(num_chains, [&](std::int32_t b) {
    if (!rows[static_cast<std::size_t>(b)]) return;
    const std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    a_.row(b) = c_.transpose();
    for (std::int32_t i = 0; i < nv_; ++i)
      if (v[i] != 0) a_.row(b) += w_.row(i);
    sp_[static_cast<std::size_t>(b)] = softplus_sum(a_, b);
    std::copy(v, v + nv_, cached_v_.data() + static_cast<std::size_t>(b) * nv_);
  });
  compute_scores(chains, a_, rows, d_);
  for_chains(num_chains, [&](std::int32_t b) {
    if (rows[static_cast<std::size_t>(b)]) derive(d_, b, p1_, p2_, total_, shift_);
  });
  if (all) steps_since_refresh_ = 0;
}

SweepStats RbmMarginalSampler::step(Chains& chains, std::int64_t sweep_index, std::int64_t t) {
  const std::int32_t num_chains = chains.num_chains();
  const bool gwg = settings_.method == Method::kGwg;
  const auto sweep = static_cast<std::uint64_t>(sweep_index);
  const auto n = static_cast<std::uint64_t>(settings_.num_flips);
  const std::uint64_t unit_draws = (static_cast<std::uint64_t>(nv_) + 3) / 4;
  const std::uint64_t words = gwg ? (n + 2) / 2 : unit_draws + 1;
  const std::uint64_t first = static_cast<std::uint64_t>(t) * words;
  const double h = 0.5 / settings_.step_size;

  // (1) Propose from the cached scores; pre-activations and f(v') − f(v) at the proposal.
  for_chains(num_chains, [&](std::int32_t b) {
    const auto bs = static_cast<std::size_t>(b);
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
    std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    std::vector<std::int32_t>& flips = flips_[bs];
    flips.clear();
    draws_[bs].clear();
    proposed_[bs] = 0;
    double forward = 0.0;
    if (gwg) {
      if (!(total_[bs] > 0.0)) return;
      const double* weight = p1_.row(b).data();
      for (std::uint64_t j = 0; j < n; ++j) {
        const double target = (1.0 - uniform64(rng, sweep, j, first)) * total_[bs];
        double cumulative = 0.0;
        std::int32_t pick = -1;
        for (std::int32_t i = 0; i < nv_; ++i) {
          if (!(weight[i] > 0.0)) continue;
          cumulative += weight[i];
          pick = i;
          if (cumulative > target) break;
        }
        draws_[bs].push_back(pick);
        forward += 0.5 * d_(b, pick);
        if (std::find(flips.begin(), flips.end(), pick) == flips.end()) flips.push_back(pick);
      }
      forward -= static_cast<double>(n) * (shift_[bs] + std::log(total_[bs]));
    } else {
      const double* d = d_.row(b).data();
      const double* e = p1_.row(b).data();
      const double* l = p2_.row(b).data();
      for (std::int32_t i0 = 0; i0 < nv_; i0 += 4) {
        const auto r =
            rng.bits(engine::sweep_counter(sweep, first + static_cast<std::uint64_t>(i0 / 4)));
        for (std::int32_t i = i0; i < std::min(nv_, i0 + 4); ++i) {
          const double z = 0.5 * d[i] - h;
          const double u = r123::u01<double>(r[static_cast<std::size_t>(i - i0)]);
          // u ≤ σ(z): σ(z) = 1/(1 + e) for z ≥ 0 and e/(1 + e) below (e = e^{−|z|}).
          const bool flip = u * (1.0 + e[i]) <= (z >= 0.0 ? 1.0 : e[i]);
          forward += -l[i] - (flip ? std::max(-z, 0.0) : std::max(z, 0.0));
          if (flip) flips.push_back(i);
        }
      }
    }
    forward_[bs] = forward;
    if (flips.empty()) return;
    proposed_[bs] = 1;
    a_next_.row(b) = a_.row(b);
    double linear = 0.0;
    for (const std::int32_t i : flips) {
      const double s = 1 - 2 * v[i];
      a_next_.row(b) += s * w_.row(i);
      linear += s * b_[i];
      v[i] = 1 - v[i];
    }
    sp_next_[bs] = softplus_sum(a_next_, b);
    difference_[bs] = linear + sp_next_[bs] - sp_[bs];
  });

  // (2) The scores at the proposed states.
  compute_scores(chains, a_next_, proposed_, d_next_);

  // (3) Reverse terms and the MH test.
  std::vector<SweepStats> stats(static_cast<std::size_t>(num_chains));
  for_chains(num_chains, [&](std::int32_t b) {
    const auto bs = static_cast<std::size_t>(b);
    SweepStats& st = stats[bs];
    if (gwg && !(total_[bs] > 0.0)) return;
    st.proposals = 1;
    st.site_updates = gwg ? static_cast<std::int64_t>(flips_[bs].size()) : free_visible_;
    if (!proposed_[bs]) {  // DLP moved nothing: trivially accepted
      st.accepted = 1;
      return;
    }
    std::int32_t* v = chains.chain(b).data() + layout_.visible_begin;
    const std::int32_t* old_v = cached_v_.data() + bs * static_cast<std::size_t>(nv_);
    derive(d_next_, b, p1_next_, p2_next_, total_next_, shift_next_);
    bool accept = true;
    if (settings_.method != Method::kDula) {
      double reverse = 0.0;
      if (gwg) {
        for (const std::int32_t i : draws_[bs]) reverse += 0.5 * d_next_(b, i);
        reverse -= static_cast<double>(n) * (shift_next_[bs] + std::log(total_next_[bs]));
      } else {
        const double* d = d_next_.row(b).data();
        const double* l = p2_next_.row(b).data();
        for (std::int32_t i = 0; i < nv_; ++i) {
          const double z = 0.5 * d[i] - h;
          reverse += -l[i] - (v[i] != old_v[i] ? std::max(-z, 0.0) : std::max(z, 0.0));
        }
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
    a_.row(b) = a_next_.row(b);
    d_.row(b) = d_next_.row(b);
    p1_.row(b) = p1_next_.row(b);
    p2_.row(b) = p2_next_.row(b);
    sp_[bs] = sp_next_[bs];
    total_[bs] = total_next_[bs];
    shift_[bs] = shift_next_[bs];
    std::copy(v, v + nv_, cached_v_.data() + bs * static_cast<std::size_t>(nv_));
  });
  SweepStats total;
  for (const SweepStats& s : stats) total += s;
  return total;
}

SweepStats RbmMarginalSampler::advance(Chains& chains, std::int64_t sweep, std::int64_t steps) {
  check_chain_shape(chains, model_, name());
  prepare(chains.num_chains());
  SweepStats total;
  for (std::int64_t t = 0; t < steps; ++t) {
    sync(chains, steps_since_refresh_ >= kRefreshSteps);
    total += step(chains, sweep, t);
    ++steps_since_refresh_;
  }
  return total;
}

SweepStats RbmMarginalSampler::sweep(Chains& chains, std::int64_t sweep) {
  SweepStats stats = advance(chains, sweep, steps_per_sweep());
  prepare(chains.num_chains());
  sync(chains, false);
  // h | v exactly from the cached pre-activations: every chain holds a joint sample.
  for_chains(chains.num_chains(), [&](std::int32_t b) {
    const engine::CounterRng rng(
        seed_, engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(b)));
    std::int32_t* h = chains.chain(b).data() + layout_.hidden_begin;
    for (std::int32_t j0 = 0; j0 < nh_; j0 += 4) {
      const auto r =
          rng.bits(engine::sweep_counter(static_cast<std::uint64_t>(sweep),
                                         kHiddenFirstDraw + static_cast<std::uint64_t>(j0 / 4)));
      for (std::int32_t j = j0; j < std::min(nh_, j0 + 4); ++j) {
        const double u = r123::u01<double>(r[static_cast<std::size_t>(j - j0)]);
        h[j] = u * (1.0 + std::exp(-a_(b, j))) <= 1.0 ? 1 : 0;
      }
    }
  });
  return stats;
}

std::unique_ptr<Sampler> make_rbm_marginal(const engine::CompiledModel& model,
                                           const RbmMarginalSampler::Settings& settings,
                                           std::uint64_t seed) {
  const std::optional<RbmLayout> layout = rbm_layout(model);
  if (!layout || !rbm_marginal_applies(model, *layout)) return nullptr;
  return std::make_unique<RbmMarginalSampler>(model, *layout, settings, seed);
}

}  // namespace dgm::inference
