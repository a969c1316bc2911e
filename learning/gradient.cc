#include "learning/gradient.h"

#include <tbb/parallel_for.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>

#include "engine/dense_product.h"
#include "engine/error.h"
#include "engine/numeric_range.h"
#include "engine/philox_batch.h"
#include "engine/random.h"
#include "engine/vector_math.h"
#include "factors/factor_eval.h"
#include "inference/exact/junction_tree.h"
#include "inference/gibbs/rbm_block_gibbs.h"
#include "inference/model_views/rbm_layout.h"
#include "learning/binary_products.h"

namespace dgm::learning {
namespace {

using RowMatrix = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Seeds of the estimator's sessions: one Philox key each, so their streams never overlap.
constexpr std::uint64_t kCdSeed = 0x6364;            // "cd"
constexpr std::uint64_t kPersistentSeed = 0x706364;  // "pcd"
constexpr std::uint64_t kFreshSeed = 0x66726573;     // "fres"
constexpr std::uint64_t kRefineSeed = 0x726566;      // "ref"
constexpr std::uint64_t kDataSeed = 0x64617461;      // "data"

// The session's sampler when it is block Gibbs's RBM path, whose sweeps leave their hidden
// products readable (RbmBlockGibbs::hidden_products); null otherwise.
const inference::RbmBlockGibbs* rbm_block_gibbs_of(const inference::Session& session) {
  return dynamic_cast<const inference::RbmBlockGibbs*>(&session.sampler());
}

}  // namespace

GradientEstimator::GradientEstimator(const engine::CompiledModel& model,
                                     const VisibleLayout& visible, std::int32_t batch_size,
                                     const GradientSettings& settings)
    : model_(std::make_shared<engine::CompiledModel>(model)),
      visible_(visible),
      batch_size_(batch_size),
      settings_(settings),
      statistics_(model) {
  const engine::Graph& g = *model.graph;
  if (batch_size < 1) throw Error("learning: the batch size must be at least 1");
  const bool sampled = settings.negatives != Negatives::kExact;
  evidence_row_.assign(static_cast<std::size_t>(g.num_variables()), 0);
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (model.evidence[v] != engine::kFree)
      evidence_row_[static_cast<std::size_t>(v)] = model.evidence[v];
  if ((settings.negatives == Negatives::kCd || settings.negatives == Negatives::kPcd) &&
      settings.k < 1)
    throw Error("learning: cd and pcd need k ≥ 1 sampler sweeps per update (got " +
                std::to_string(settings.k) + ")");
  if (settings.k < 0)
    throw Error("learning: k must be ≥ 0 (got " + std::to_string(settings.k) + ")");
  if (sampled && settings.negatives != Negatives::kCd && settings.chains < 1)
    throw Error("learning: at least one chain is needed (got " + std::to_string(settings.chains) +
                ")");
  // Hidden variables: those the data does not hold (and the evidence does not clamp).
  std::vector<std::uint8_t> in_data(static_cast<std::size_t>(g.num_variables()), 0);
  for (const std::int32_t v : visible.variables) in_data[static_cast<std::size_t>(v)] = 1;
  std::vector<std::int32_t> hidden;
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (!in_data[static_cast<std::size_t>(v)] && model.evidence[v] == engine::kFree)
      hidden.push_back(v);
  if (!hidden.empty()) {
    const std::optional<inference::RbmLayout> layout = inference::rbm_layout(model);
    bool fits =
        layout.has_value() && static_cast<std::int32_t>(hidden.size()) == layout->num_hidden;
    for (std::size_t j = 0; fits && j < hidden.size(); ++j)
      fits = hidden[j] == layout->hidden_begin + static_cast<std::int32_t>(j);
    if (fits) {
      rbm_ = Rbm{layout->block, layout->visible_begin, layout->num_visible, layout->hidden_begin,
                 layout->num_hidden};
      soft_vars_.assign(static_cast<std::size_t>(g.num_variables()), 0);
      for (const std::int32_t v : hidden) soft_vars_[static_cast<std::size_t>(v)] = 1;
    } else {
      if (settings.hidden_sweeps < 1)
        throw Error("learning: the data leaves " + std::to_string(hidden.size()) +
                    " variables hidden (first: " + g.variable_name(hidden.front()) +
                    "), sampled with the visible clamped: hidden_sweeps must be ≥ 1 (got " +
                    std::to_string(settings.hidden_sweeps) + ")");
      hidden_ = std::move(hidden);
    }
  }

  auto session = [&](const std::string& name, const proto::SamplerConfig& config,
                     std::int32_t chains, std::uint64_t salt) {
    inference::SessionOptions o;
    o.sampler = name;
    o.config = config;
    o.chains = chains;
    o.seed = settings.seed ^ salt;
    o.threads = settings.threads;
    return std::make_unique<inference::Session>(model_, std::move(o));
  };
  if (rbm_ && sampled && !settings.generic_statistics) fast_ = RbmGradient::make(*model_);
  const bool rbm_block_gibbs =
      rbm_ &&
      inference::resolve_sampler_name(settings.sampler, settings.sampler_config) == "block-gibbs" &&
      !settings.sampler_config.block_gibbs().generic_only();
  cd_draws_hidden_first_ =
      rbm_block_gibbs && !settings.sampler_config.block_gibbs().visible_first();
  switch (settings.negatives) {
    case Negatives::kExact:
      break;
    case Negatives::kCd:
      cd_ = session(settings.sampler, settings.sampler_config, batch_size, kCdSeed);
      break;
    case Negatives::kPcd: {
      // Persistent chains on an RBM sweep the visible layer first: each sweep then ends with the
      // hidden layer's products from the chains' final visible states, which are the negatives'
      // statistics (gradient()). Either order leaves p(v, h) invariant (Tieleman 2008 states
      // the chain as (v, h)).
      proto::SamplerConfig config = settings.sampler_config;
      if (rbm_block_gibbs) config.mutable_block_gibbs()->set_visible_first(true);
      persistent_ = session(settings.sampler, config, settings.chains, kPersistentSeed);
      break;
    }
    case Negatives::kFresh:
      fresh_ = session(settings.fresh_sampler, settings.fresh_config, settings.chains, kFreshSeed);
      if (settings.k > 0)
        refine_ = session(settings.sampler, settings.sampler_config, settings.chains, kRefineSeed);
      break;
  }
}

GradientEstimator::~GradientEstimator() = default;

void GradientEstimator::set_parameters(std::span<const double> values) {
  if (values.size() != model_->params.values.size())
    throw Error("learning: " + std::to_string(values.size()) +
                " parameter values for a model with " +
                std::to_string(model_->params.values.size()));
  // A diverging update is refused before anything changes: by the sessions (each checks the
  // values it is given, and keeps its old ones when it refuses), or here when the negative
  // phase has no session (exact). Samplers may refuse values that others accept (block Gibbs
  // a NaN log-odds bias from a table of two −inf, PMP its noise's resolution): the sessions
  // that took the values before one refused go back to the installed ones, which they held.
  inference::Session* sessions[] = {cd_.get(), persistent_.get(), fresh_.get(), refine_.get()};
  if (std::all_of(std::begin(sessions), std::end(sessions),
                  [](const inference::Session* s) { return s == nullptr; }))
    engine::check_log_potential_scale(*model_->graph, values, "learning: the updated parameters");
  std::size_t installed = 0;
  try {
    for (; installed < std::size(sessions); ++installed)
      if (sessions[installed] != nullptr) sessions[installed]->set_parameters(values);
  } catch (...) {
    for (std::size_t i = 0; i < installed; ++i)
      if (sessions[i] != nullptr) sessions[i]->set_parameters(model_->params.values);
    throw;
  }
  if (fast_) {
    // A block-Gibbs session has just converted the same weights to float: the fast path reads
    // its mirror (the sessions are only replaced by restore_sessions, which re-installs).
    std::span<const float> shared;
    for (const inference::Session* s : sessions)
      if (s != nullptr && shared.empty())
        if (const inference::RbmBlockGibbs* block = rbm_block_gibbs_of(*s))
          shared = block->float_weights();
    fast_->set_parameters(values, shared);
  } else {
    // In fixed chunks in parallel (every update; one thread copies ~3 MB in 0.2 ms).
    constexpr std::size_t kChunk = 65536;
    tbb::parallel_for(std::size_t{0}, (values.size() + kChunk - 1) / kChunk, [&](std::size_t c) {
      const std::size_t end = std::min(values.size(), (c + 1) * kChunk);
      std::copy(values.begin() + static_cast<std::ptrdiff_t>(c * kChunk),
                values.begin() + static_cast<std::ptrdiff_t>(end),
                model_->params.values.begin() + static_cast<std::ptrdiff_t>(c * kChunk));
    });
  }
  ++model_->params.version;
}

void GradientEstimator::fill_states(const Dataset& data, std::span<const std::int64_t> rows,
                                    std::vector<std::int32_t>& states) const {
  const std::size_t n = evidence_row_.size();
  states.resize(rows.size() * n);
  tbb::parallel_for(std::size_t{0}, rows.size(), [&](std::size_t b) {
    std::int32_t* x = states.data() + b * n;
    std::copy(evidence_row_.begin(), evidence_row_.end(), x);
    const std::span<const std::int32_t> example = data.example(rows[b]);
    for (std::size_t c = 0; c < visible_.variables.size(); ++c)
      x[visible_.variables[c]] = example[c];
  });
}

void GradientEstimator::hidden_probabilities(std::span<const std::int32_t> states,
                                             std::int64_t rows) {
  const engine::Graph& g = *model_->graph;
  const Rbm& r = *rbm_;
  const std::int32_t n = g.num_variables();
  const factors::FactorBlock& block = g.blocks[static_cast<std::size_t>(r.block)];
  const Eigen::Map<const RowMatrix> w(model_->params.values.data() + block.param_offset,
                                      r.num_visible, r.num_hidden);
  const std::vector<double> bias = inference::rbm_bias_log_odds(*model_);
  // Column tiles of fixed width in parallel (the same numbers on any thread count).
  // Buffers kept across minibatches (fresh ones would be new pages every time).
  preactivations_.resize(static_cast<std::size_t>(rows * r.num_hidden));
  Eigen::Map<RowMatrix> a(preactivations_.data(), rows, r.num_hidden);
  constexpr Eigen::Index kTile = 128;
  index_ones(states, n, r.visible_begin, rows, r.num_visible, true, ones_);
  const OnesIndex& ones = ones_;
  if (static_cast<double>(ones.index.size()) <=
      kMaxSparseDensity * static_cast<double>(rows * r.num_visible)) {
    // Sparse states (learning/binary_products.h): a_b = the sum of the rows of W that the
    // ones of v_b select, a tile of columns at a time (the tile of W stays in cache).
    a.setZero();
    tbb::parallel_for(Eigen::Index{0}, (a.cols() + kTile - 1) / kTile, [&](Eigen::Index t) {
      const Eigen::Index c0 = t * kTile, c = std::min(kTile, a.cols() - c0);
      for (std::int64_t b = 0; b < rows; ++b)
        add_selected_rows(w.data() + c0, r.num_hidden, ones.line(b), c, 1.0, &a(b, c0));
    });
  } else {
    visible_values_.resize(static_cast<std::size_t>(rows * r.num_visible));
    Eigen::Map<RowMatrix> v(visible_values_.data(), rows, r.num_visible);
    for (std::int64_t b = 0; b < rows; ++b)
      for (std::int32_t i = 0; i < r.num_visible; ++i)
        v(b, i) = states[static_cast<std::size_t>(b * n + r.visible_begin + i)];
    tbb::parallel_for(Eigen::Index{0}, (a.cols() + kTile - 1) / kTile, [&](Eigen::Index t) {
      const Eigen::Index c0 = t * kTile, c = std::min(kTile, a.cols() - c0);
      engine::gemm(false, false, rows, c, r.num_visible, 1.0, v.data(), r.num_visible,
                   w.data() + c0, r.num_hidden, 0.0, a.data() + c0, r.num_hidden);
    });
  }
  // Only the hidden entries of soft_ are read (soft_vars_): no need to clear the rest.
  soft_.resize(static_cast<std::size_t>(rows * n));
  tbb::parallel_for(std::int64_t{0}, rows, [&](std::int64_t b) {
    double* q = soft_.data() + b * n + r.hidden_begin;
    const double* c = bias.data() + r.hidden_begin;
    for (std::int32_t j = 0; j < r.num_hidden; ++j) q[j] = engine::sigmoid(a(b, j) + c[j]);
  });
}

void GradientEstimator::add_statistics_of(std::span<const std::int32_t> states, std::int64_t rows,
                                          double sign, std::span<double> out) {
  if (rbm_) {
    hidden_probabilities(states, rows);
    statistics_.add_mean({states, rows, soft_, soft_vars_}, sign, out);
  } else {
    statistics_.add_mean({states, rows, {}, {}}, sign, out);
  }
}

void GradientEstimator::add_negatives(std::span<const std::int32_t> states, std::int64_t rows,
                                      std::span<double> out) {
  if (fast_)
    fast_->set_side(1, states, rows);
  else
    add_statistics_of(states, rows, -1.0, out);
}

void GradientEstimator::subtract_exact_model_statistics(std::span<double> out) {
  inference::ExactOptions options;
  options.factor_marginals = true;
  options.map = false;
  const inference::ExactResult r = inference::exact_inference(*model_, options);
  const engine::Graph& g = *model_->graph;
  std::vector<std::int32_t> x;
  for (const factors::FactorBlock& block : g.blocks) {
    if (block.param < 0) continue;
    for (std::int64_t k = 0; k < block.num_factors; ++k) {
      const std::int64_t f = block.first_factor + k;
      const auto scope = g.scope(f);
      x.assign(scope.size(), 0);
      const std::int64_t begin = r.factor_marginal_offsets[static_cast<std::size_t>(f)];
      const std::int64_t end = r.factor_marginal_offsets[static_cast<std::size_t>(f) + 1];
      for (std::int64_t c = begin; c < end; ++c) {
        const double p = r.factor_marginals[static_cast<std::size_t>(c)];
        if (p != 0.0) factors::add_statistics(block, k, g.enum_configs, x, -p, out);
        // Next configuration, last scope position fastest.
        for (std::size_t j = scope.size(); j-- > 0;) {
          if (++x[j] < g.cardinality[scope[j]]) break;
          x[j] = 0;
        }
      }
    }
  }
}

void GradientEstimator::gradient(const Dataset& data, std::span<const std::int64_t> rows,
                                 std::span<double> out) {
  if (static_cast<std::int32_t>(rows.size()) != batch_size_)
    throw Error("learning: " + std::to_string(rows.size()) + " examples for a batch of " +
                std::to_string(batch_size_));
  if (out.size() != model_->params.values.size())
    throw Error("learning: a gradient of " + std::to_string(out.size()) + " entries for " +
                std::to_string(model_->params.values.size()) + " parameter values");
  for (const std::int64_t row : rows)
    if (row < 0 || row >= data.num_examples)
      throw Error("learning: example " + std::to_string(row) + " of " + data.source +
                  ", which has " + std::to_string(data.num_examples));
  if (data.width != static_cast<std::int64_t>(visible_.variables.size()))
    throw Error("learning: " + data.source + " has " + std::to_string(data.width) +
                " values per example for " + std::to_string(visible_.variables.size()) +
                " visible variables");
  fill_states(data, rows, states_);
  const auto b = static_cast<std::int64_t>(rows.size());
  if (!hidden_.empty()) {
    if (!clamped_)
      clamped_ = std::make_unique<ClampedHidden>(
          *model_, hidden_, data.num_examples, settings_.hidden_sweeps, settings_.seed ^ kDataSeed);
    else if (clamped_->chains().size() !=
             static_cast<std::size_t>(data.num_examples) * hidden_.size())
      throw Error("learning: " + data.source + " is not the dataset the hidden chains follow");
    clamped_->sample(states_, rows, updates_);
  }
  ++updates_;
  // CD with block Gibbs on an RBM: the first sweep's hidden half-step computes the minibatch's
  // V·W with the same float weights, so the data side takes its products from there (below).
  const inference::RbmBlockGibbs* shares_products =
      settings_.negatives == Negatives::kCd && fast_ && cd_draws_hidden_first_
          ? rbm_block_gibbs_of(*cd_)
          : nullptr;
  if (fast_) {
    if (!shares_products) fast_->set_side(0, states_, b);
  } else {
    std::fill(out.begin(), out.end(), 0.0);
    add_statistics_of(states_, b, 1.0, out);
  }

  switch (settings_.negatives) {
    case Negatives::kExact:
      subtract_exact_model_statistics(out);
      break;
    case Negatives::kCd: {
      if (rbm_ && !cd_draws_hidden_first_) {
        // Chains start at (v, h ~ p(h | v)): a sweep that resamples v first then sees a proper h.
        const engine::Graph& g = *model_->graph;
        const std::int32_t n = g.num_variables();
        const std::int64_t update = cd_->sweeps_done();
        // Hidden unit j of row `row` reads rng.uniform(sweep_counter(update, j)): words 0–1 of
        // that draw, the even entries of the row's wide uniforms (engine/philox_batch.h).
        // Rows in parallel, each from its own stream: the same states on any thread count.
        const std::span<const float> p_fast =
            fast_ ? fast_->hidden_probabilities(0) : std::span<const float>{};
        tbb::parallel_for(std::int64_t{0}, b, [&](std::int64_t row) {
          thread_local std::vector<double> uniforms;
          uniforms.resize(2 * static_cast<std::size_t>(rbm_->num_hidden));
          const engine::CounterRng rng(settings_.seed ^ kCdSeed,
                                       engine::stream_id(engine::StreamPurpose::kChainInit,
                                                         static_cast<std::uint64_t>(row)));
          engine::philox_uniform_doubles_wide(
              rng, engine::sweep_counter(static_cast<std::uint64_t>(update), 0), rbm_->num_hidden,
              uniforms.data());
          for (std::int32_t j = 0; j < rbm_->num_hidden; ++j) {
            const std::size_t i = static_cast<std::size_t>(row * n + rbm_->hidden_begin + j);
            const double p = fast_
                                 ? static_cast<double>(
                                       p_fast[static_cast<std::size_t>(row * rbm_->num_hidden + j)])
                                 : soft_[i];
            states_[i] = uniforms[2 * static_cast<std::size_t>(j)] <= p ? 1 : 0;
          }
        });
      }
      cd_->set_states(states_, "the minibatch");
      if (shares_products) {
        // The sweeps of one run(k) and of run(1) + run(k − 1) are the same (the session owns
        // the sweep counter).
        cd_->run(inference::Budget::for_sweeps(1));
        fast_->set_side(0, states_, b, shares_products->hidden_products());
        if (settings_.k > 1) cd_->run(inference::Budget::for_sweeps(settings_.k - 1));
      } else {
        cd_->run(inference::Budget::for_sweeps(settings_.k));
      }
      add_negatives(cd_->chains().states(), cd_->num_chains(), out);
      break;
    }
    case Negatives::kPcd: {
      persistent_->run(inference::Budget::for_sweeps(settings_.k));
      // The last sweep ended with the hidden products of the chains' visible states (visible
      // first; a session restored from a checkpoint of the other order does not share them).
      const inference::RbmBlockGibbs* block = fast_ ? rbm_block_gibbs_of(*persistent_) : nullptr;
      if (block != nullptr && block->visible_first())
        fast_->set_side(1, persistent_->chains().states(), persistent_->num_chains(),
                        block->hidden_products());
      else
        add_negatives(persistent_->chains().states(), persistent_->num_chains(), out);
      break;
    }
    case Negatives::kFresh: {
      fresh_->run(inference::Budget::for_sweeps(1));
      const inference::Session* source = fresh_.get();
      if (refine_) {
        refine_->set_states(fresh_->chains().states(),
                            "fresh " + settings_.fresh_sampler + " draws");
        refine_->run(inference::Budget::for_sweeps(settings_.k));
        source = refine_.get();
      }
      add_negatives(source->chains().states(), source->num_chains(), out);
      break;
    }
  }
  if (fast_) fast_->gradient(out);
}

const inference::Session* GradientEstimator::negatives_session() const {
  if (cd_) return cd_.get();
  if (persistent_) return persistent_.get();
  if (refine_) return refine_.get();
  return fresh_.get();
}

namespace {
constexpr const char* kRoles[] = {"cd", "persistent", "fresh", "refine"};
}  // namespace

std::map<std::string, proto::SessionCheckpoint> GradientEstimator::session_checkpoints() const {
  std::map<std::string, proto::SessionCheckpoint> out;
  const inference::Session* sessions[] = {cd_.get(), persistent_.get(), fresh_.get(),
                                          refine_.get()};
  for (std::size_t i = 0; i < 4; ++i)
    if (sessions[i] != nullptr) out[kRoles[i]] = sessions[i]->checkpoint();
  return out;
}

void GradientEstimator::restore_sessions(
    const std::map<std::string, proto::SessionCheckpoint>& saved, const std::string& source) {
  std::unique_ptr<inference::Session>* sessions[] = {&cd_, &persistent_, &fresh_, &refine_};
  for (std::size_t i = 0; i < 4; ++i) {
    const auto it = saved.find(kRoles[i]);
    if ((it != saved.end()) != (*sessions[i] != nullptr))
      throw Error(source + ": the saved sampling sessions do not match the training settings (" +
                  std::string(kRoles[i]) + (it == saved.end() ? " missing)" : " unexpected)"));
  }
  // All restored before any is replaced: a checkpoint refused halfway leaves the sessions (and
  // the float weights the fast path reads from one of them) as they were.
  std::unique_ptr<inference::Session> restored[4];
  for (std::size_t i = 0; i < 4; ++i)
    if (*sessions[i] != nullptr)
      restored[i] = std::make_unique<inference::Session>(
          inference::Session::restore(saved.at(kRoles[i]), *model_, settings_.threads, source));
  for (std::size_t i = 0; i < 4; ++i)
    if (*sessions[i] != nullptr) *sessions[i] = std::move(restored[i]);
  // The fast path may read the float weights of a session just replaced: it converts its own
  // until the next set_parameters shares the new session's.
  if (fast_) fast_->set_parameters(model_->params.values);
}

std::span<const std::int32_t> GradientEstimator::clamped_hidden_chains() const {
  return clamped_ ? clamped_->chains() : std::span<const std::int32_t>{};
}

void GradientEstimator::restore_clamped_hidden(std::span<const std::int32_t> chains,
                                               std::int64_t examples, std::int64_t updates) {
  updates_ = updates;
  if (hidden_.empty() || chains.empty()) {
    if (!chains.empty())
      throw Error("learning: the checkpoint holds hidden chains this model does not have");
    clamped_.reset();
    return;
  }
  clamped_ = std::make_unique<ClampedHidden>(*model_, hidden_, examples, settings_.hidden_sweeps,
                                             settings_.seed ^ kDataSeed);
  clamped_->restore(chains);
}

}  // namespace dgm::learning
