// The RBM fast path of block Gibbs (inference/gibbs/rbm_block_gibbs.h): its conditionals
// against the generic factor evaluation, its samples against exact marginals (single and
// pairwise), bit-identical samples for any thread count, the documented random-number layout,
// evidence and hard biases, and the models it must refuse.
#include "inference/gibbs/rbm_block_gibbs.h"

#include <gtest/gtest.h>
#include <tbb/global_control.h>
#include <tbb/task_arena.h>

#include <cmath>
#include <limits>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "engine/compiler.h"
#include "engine/log_potential.h"
#include "engine/random.h"
#include "inference/builtin_samplers.h"
#include "inference/model_views/rbm_parameters.h"
#include "inference/sampling/chains.h"
#include "tests/support/random_models.h"
#include "tests/support/sampling_checks.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;

// How a model writes a layer's biases.
enum class Bias { kLogOdds, kField, kTable };

std::string bias_factor(const std::string& name, const std::string& group, int size, Bias bias,
                        std::uint64_t seed) {
  std::ostringstream s;
  s << "parameters { name: \"" << name << "\" shape: [" << size
    << (bias == Bias::kTable ? ", 2" : "") << "] init { normal { stddev: 0.7 } seed: " << seed
    << " } }\n";
  const char* field = bias == Bias::kLogOdds ? "log_odds"
                      : bias == Bias::kField ? "field"
                                             : "log_potentials";
  s << "factors { name: \"" << name << "_bias\" unary { " << field << ": \"" << name
    << "\" } each: \"" << group << "\" }\n";
  return s.str();
}

// An nv × nh RBM with N(0, w_scale²) weights and random biases written as `visible`/`hidden`.
std::string rbm_text(int nv, int nh, Bias visible, Bias hidden, std::uint64_t seed,
                     double w_scale = 0.8) {
  std::ostringstream s;
  s << "variables { name: \"v\" shape: [" << nv << "] cardinality: 2 }\n"
    << "variables { name: \"h\" shape: [" << nh << "] cardinality: 2 }\n"
    << "parameters { name: \"W\" shape: [" << nv << ", " << nh
    << "] init { normal { stddev: " << w_scale << " } seed: " << seed << " } }\n"
    << "factors { name: \"weights\" bipartite { left: \"v\" right: \"h\" weights: \"W\" } }\n"
    << bias_factor("b", "v", nv, visible, seed + 1) << bias_factor("c", "h", nh, hidden, seed + 2);
  return s.str();
}

std::unique_ptr<RbmBlockGibbs> rbm_sampler(const engine::CompiledModel& model, std::uint64_t seed) {
  const auto layout = rbm_layout(model);
  if (!layout) return nullptr;
  return std::make_unique<RbmBlockGibbs>(model, *layout, seed);
}

Chains random_chains(const engine::CompiledModel& model, std::int32_t num_chains,
                     std::uint64_t seed) {
  Chains chains(num_chains, model.graph->num_variables());
  init_uniform(chains, model, seed);
  return chains;
}

// Pairs (v_i, h_j) and (v_i, v_k) of an RBM to check joint marginals on.
std::vector<std::pair<std::int32_t, std::int32_t>> some_pairs(const RbmLayout& l) {
  return {{l.visible_begin, l.hidden_begin},
          {l.visible_begin + l.num_visible - 1, l.hidden_begin + l.num_hidden - 1},
          {l.visible_begin, l.visible_begin + 1}};
}

// ---------------------------------------------------------------------------------------
// (a) Conditionals: the batched log-odds equal differences of the generic f(x).
// ---------------------------------------------------------------------------------------

// Checks every chain of `num_chains` random states, or the first and the last of more than 7
// (the generic evaluation is slow on large models).
// The sampler's conditional log-odds of every unit against the generic evaluation, on
// `chains` (every chain when there are at most 12, else the first and the last).
void expect_conditionals_match_on(const engine::CompiledModel& model, const Chains& chains) {
  auto sampler = rbm_sampler(model, 1);
  ASSERT_NE(sampler, nullptr);
  const RbmLayout& l = sampler->layout();
  const std::int32_t num_chains = chains.num_chains();
  const RbmBlockGibbs::Matrix hidden = sampler->hidden_log_odds(chains);
  const RbmBlockGibbs::Matrix visible = sampler->visible_log_odds(chains);
  const std::int32_t step = num_chains > 12 ? num_chains - 1 : 1;
  for (std::int32_t b = 0; b < num_chains; b += step) {
    std::vector<std::int32_t> x(chains.chain(b).begin(), chains.chain(b).end());
    auto generic = [&](std::int32_t v) {
      const std::int32_t saved = x[v];
      x[v] = 1;
      const double f1 = engine::total_log_potential(model, x);
      x[v] = 0;
      const double f0 = engine::total_log_potential(model, x);
      x[v] = saved;
      return f1 - f0;
    };
    for (std::int32_t j = 0; j < l.num_hidden; ++j)
      EXPECT_NEAR(hidden(b, j), generic(l.hidden_begin + j), 1e-4) << "chain " << b << " h" << j;
    for (std::int32_t i = 0; i < l.num_visible; ++i)
      EXPECT_NEAR(visible(b, i), generic(l.visible_begin + i), 1e-4) << "chain " << b << " v" << i;
  }
}

void expect_conditionals_match(const engine::CompiledModel& model, std::uint64_t seed,
                               std::int32_t num_chains = 7) {
  expect_conditionals_match_on(model, random_chains(model, num_chains, seed));
}

TEST(RbmParameters, LogPotentialsEqualTheGenericEvaluationForEveryBiasForm) {
  // f = k + bᵀv + cᵀh + vᵀWh by two products, as the convergence monitor traces it.
  const Bias forms[] = {Bias::kLogOdds, Bias::kField, Bias::kTable};
  for (Bias visible : forms)
    for (Bias hidden : forms) {
      SCOPED_TRACE("visible form " + std::to_string(int(visible)) + ", hidden form " +
                   std::to_string(int(hidden)));
      const auto model = compile_text(rbm_text(7, 5, visible, hidden, 31));
      const auto rbm = rbm_parameters(model);
      ASSERT_TRUE(rbm.has_value());
      const Chains chains = random_chains(model, 9, 4);
      const std::vector<double> f = rbm_log_potentials(*rbm, chains.states(), 9);
      ASSERT_EQ(f.size(), 9u);
      for (std::int32_t b = 0; b < 9; ++b)
        EXPECT_NEAR(f[b], engine::total_log_potential(model, chains.chain(b)), 1e-9)
            << "chain " << b;
    }
}

TEST(RbmBlockGibbs, ConditionalsMatchGenericEvaluationForEveryBiasForm) {
  const Bias forms[] = {Bias::kLogOdds, Bias::kField, Bias::kTable};
  for (Bias visible : forms)
    for (Bias hidden : forms) {
      SCOPED_TRACE("visible form " + std::to_string(int(visible)) + ", hidden form " +
                   std::to_string(int(hidden)));
      expect_conditionals_match(compile_text(rbm_text(6, 4, visible, hidden, 11)), 3);
    }
}

// Runs `check(model, seed)` on the generator's RBMs (tests/support/random_models.h: unary
// biases of every form, varied syntax) for seeds [first, last).
template <class Check>
void on_generated_rbms(std::uint64_t first, std::uint64_t last, int nv, int nh, Check check) {
  for (std::uint64_t seed = first; seed < last; ++seed) {
    const auto random = testing::generate_random_model(testing::rbm_options(seed, nv, nh));
    SCOPED_TRACE(testing::describe(random.model));
    check(engine::compile(random.model, engine::SourceMap("random.pbtxt"), ""), seed);
  }
}

TEST(RbmBlockGibbs, ConditionalsMatchOnGeneratedRbms) {
  on_generated_rbms(0, 8, 5, 4, [](const engine::CompiledModel& model, std::uint64_t seed) {
    expect_conditionals_match(model, seed);
  });
}

// Several column tiles per layer (140 and 130 units: two each) and row blocks (260 chains).
TEST(RbmBlockGibbs, ConditionalsMatchAcrossTiles) {
  expect_conditionals_match(compile_text(rbm_text(140, 130, Bias::kTable, Bias::kField, 12, 0.2)),
                            4, 260);
}

// Sparse states (at most RbmBlockGibbs::kMaxSparseDensity ones) make each layer's log-odds
// sums of the rows of W or Wᵀ the other layer's ones select; dense ones a GEMM. Both, on
// several tiles, with an empty and a full chain among the sparse ones. A mutation that skips a
// selected row, a tile's offset or the transposed mirror fails it.
TEST(RbmBlockGibbs, SparseAndDenseStatesGiveTheSameConditionals) {
  const auto model = compile_text(rbm_text(140, 130, Bias::kLogOdds, Bias::kTable, 13, 0.2));
  const RbmLayout layout = *rbm_layout(model);
  for (const bool sparse : {true, false}) {
    SCOPED_TRACE(sparse ? "sparse" : "dense");
    Chains chains = random_chains(model, 12, 5);
    std::int64_t ones = 0;
    for (std::int32_t b = 0; b < chains.num_chains(); ++b)
      for (std::int32_t v = 0; v < layout.num_visible + layout.num_hidden; ++v) {
        const bool pattern = (v * 7 + b * 3) % 11 == 0;
        const bool one = sparse ? b == 1 || (b != 0 && pattern) : !pattern;
        chains.chain(b)[static_cast<std::size_t>(v)] = one ? 1 : 0;
        ones += one;
      }
    const double density = static_cast<double>(ones) /
                           (chains.num_chains() * (layout.num_visible + layout.num_hidden));
    if (sparse)
      ASSERT_LE(density, RbmBlockGibbs::kMaxSparseDensity);
    else
      ASSERT_GT(density, RbmBlockGibbs::kMaxSparseDensity);
    expect_conditionals_match_on(model, chains);
  }
}

// Several bias groups on one variable add up, and tables of kind `table` with arity 1 count.
TEST(RbmBlockGibbs, ConditionalsAddSeveralUnaries) {
  const std::string extra =
      "parameters { name: \"t\" shape: [3, 2] value: [0.3, -0.2, 1.5, 0.1, -0.4, 0.9] }\n"
      "factors { name: \"more\" table { log_potentials: \"t\" } scope: [\"v[0]\", \"h[1]\", "
      "\"v[0]\"] }\n"
      "parameters { name: \"f\" value: 0.25 }\n"
      "factors { name: \"shared_field\" unary { field: \"f\" } each: \"h\" }\n";
  expect_conditionals_match(compile_text(rbm_text(6, 4, Bias::kLogOdds, Bias::kTable, 5) + extra),
                            9);
}

// ---------------------------------------------------------------------------------------
// (b) Samples agree with exact marginals, single and pairwise.
// ---------------------------------------------------------------------------------------

// Samples against exact single and pairwise marginals (tests/support/sampling_checks.h: each
// chain's time average is one estimate, se = sd/√B, pass when every |p̂ − p| ≤ 5·se).
testing::SamplingCheckResult check_rbm(Sampler& sampler, const RbmLayout& layout,
                                       const engine::CompiledModel& reference, std::uint64_t seed,
                                       std::int64_t burn_in = 50) {
  Chains chains = random_chains(reference, 100, seed);
  testing::SamplingCheckOptions options;
  options.burn_in = burn_in;
  options.sweeps = 1500;
  options.pairs = some_pairs(layout);
  return testing::check_marginals(sampler, chains, reference, options);
}

void expect_marginals_match(const engine::CompiledModel& model, std::uint64_t seed) {
  auto sampler = rbm_sampler(model, seed);
  ASSERT_NE(sampler, nullptr);
  const auto result = check_rbm(*sampler, sampler->layout(), model, seed);
  EXPECT_TRUE(result.passed) << result.summary();
}

TEST(RbmBlockGibbs, MarginalsMatchExactForEveryBiasForm) {
  const std::pair<Bias, Bias> forms[] = {
      {Bias::kLogOdds, Bias::kField}, {Bias::kField, Bias::kTable}, {Bias::kTable, Bias::kLogOdds}};
  std::uint64_t seed = 20;
  for (auto [visible, hidden] : forms) {
    SCOPED_TRACE("visible form " + std::to_string(int(visible)) + ", hidden form " +
                 std::to_string(int(hidden)));
    expect_marginals_match(compile_text(rbm_text(6, 4, visible, hidden, seed)), seed);
    ++seed;
  }
}

TEST(RbmBlockGibbs, MarginalsMatchExactOnGeneratedRbms) {
  on_generated_rbms(100, 104, 6, 4, expect_marginals_match);
}

// The bound has power: sampling a model whose one visible bias is off by 0.3 fails it.
TEST(RbmBlockGibbs, CheckCatchesAWrongConditional) {
  const auto model = compile_text(rbm_text(6, 4, Bias::kLogOdds, Bias::kLogOdds, 30));
  auto wrong = model;
  wrong.params.values[static_cast<std::size_t>(
      wrong.params.info[static_cast<std::size_t>(wrong.params.find("b"))].offset)] += 0.3;
  auto sampler = rbm_sampler(wrong, 30);
  ASSERT_NE(sampler, nullptr);
  const auto result = check_rbm(*sampler, sampler->layout(), model, 30);
  EXPECT_FALSE(result.passed) << result.summary();
}

// ---------------------------------------------------------------------------------------
// (c) Determinism and the documented random-number layout.
// ---------------------------------------------------------------------------------------

std::vector<std::int32_t> run_with_threads(const engine::CompiledModel& model, int threads,
                                           std::uint64_t seed, std::int32_t num_chains,
                                           int sweeps) {
  tbb::global_control limit(tbb::global_control::max_allowed_parallelism,
                            static_cast<std::size_t>(threads));
  tbb::task_arena arena(threads);
  std::vector<std::int32_t> out;
  arena.execute([&] {
    auto sampler = make_rbm_block_gibbs(model, seed);
    Chains chains = random_chains(model, num_chains, 1);
    sampler->reset(chains);
    for (int s = 0; s < sweeps; ++s) sampler->sweep(chains, s);
    out.assign(chains.states().begin(), chains.states().end());
  });
  return out;
}

TEST(RbmBlockGibbs, SamplesAreIdenticalForAnyNumberOfThreads) {
  // 300 chains (two row blocks) of a 300 × 200 RBM: many tiles, run in parallel.
  const auto model = compile_text(rbm_text(300, 200, Bias::kField, Bias::kLogOdds, 3, 0.1));
  const auto one = run_with_threads(model, 1, 42, 300, 4);
  EXPECT_EQ(one, run_with_threads(model, 2, 42, 300, 4));
  EXPECT_EQ(one, run_with_threads(model, 4, 42, 300, 4));
  EXPECT_NE(one, run_with_threads(model, 2, 43, 300, 4)) << "another seed, other samples";
}

// Hidden unit j of chain b in sweep s is 1 iff u·(1 + e^{−a}) ≤ 1, u being word j mod 4 of
// draw sweep_counter(s, j / 4) of chain b's kSweep stream.
TEST(RbmBlockGibbs, DrawsFollowTheDocumentedStreams) {
  const auto model = compile_text(rbm_text(9, 7, Bias::kTable, Bias::kField, 8));
  auto sampler = rbm_sampler(model, 77);
  Chains chains = random_chains(model, 5, 2);
  sampler->reset(chains);
  const std::int64_t sweep = 12;
  const RbmBlockGibbs::Matrix a = sampler->hidden_log_odds(chains);
  sampler->sweep(chains, sweep);
  const RbmLayout& l = sampler->layout();
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    const engine::CounterRng rng(77, engine::stream_id(engine::StreamPurpose::kSweep, b));
    for (std::int32_t j = 0; j < l.num_hidden; ++j) {
      const auto words = rng.bits(engine::sweep_counter(sweep, static_cast<std::uint64_t>(j / 4)));
      const float u = engine::CounterRng::uniform_word(words[j % 4]);
      const std::int32_t expected = u * (1.0f + std::exp(-a(b, j))) <= 1.0f ? 1 : 0;
      EXPECT_EQ(chains.chain(b)[l.hidden_begin + j], expected) << "chain " << b << " h" << j;
    }
  }
}

TEST(RbmBlockGibbs, SweepStatsCountEveryUnit) {
  const auto model = compile_text(rbm_text(6, 4, Bias::kLogOdds, Bias::kLogOdds, 1));
  auto sampler = make_rbm_block_gibbs(model, 1);
  ASSERT_NE(sampler, nullptr);
  EXPECT_EQ(sampler->name(), "block-gibbs");
  Chains chains = random_chains(model, 13, 1);
  const std::vector<std::int32_t> before(chains.states().begin(), chains.states().end());
  const SweepStats stats = sampler->sweep(chains, 0);
  EXPECT_EQ(stats.site_updates, 13 * 10);
  std::int64_t changed = 0;
  for (std::size_t k = 0; k < before.size(); ++k) changed += before[k] != chains.states()[k];
  EXPECT_EQ(stats.changed, changed);
  EXPECT_EQ(stats.proposals, 0);
}

// ---------------------------------------------------------------------------------------
// (d) Models that are not RBM-shaped.
// ---------------------------------------------------------------------------------------

TEST(RbmBlockGibbs, RefusesModelsThatAreNotRbms) {
  const std::string rbm = rbm_text(4, 3, Bias::kLogOdds, Bias::kField, 2);
  const std::pair<const char*, std::string> cases[] = {
      {"no bipartite block", testing::to_text(testing::random_binary_pairwise(1))},
      {"a pairwise factor inside the visible layer",
       rbm + "parameters { name: \"J\" value: 0.3 }\n"
             "factors { name: \"extra\" ising { coupling: \"J\" } scope: \"v[0] v[1]\" }\n"},
      {"a second bipartite block",
       rbm + "variables { name: \"g\" shape: [2] cardinality: 2 }\n"
             "parameters { name: \"U\" shape: [3, 2] value: [1, 2, 3, 4, 5, 6] }\n"
             "factors { name: \"more\" bipartite { left: \"h\" right: \"g\" weights: \"U\" } }\n"},
      {"a variable outside both layers", rbm + "variables { name: \"lonely\" cardinality: 2 }\n"},
      {"a categorical variable outside both layers",
       rbm + "variables { name: \"x\" cardinality: 3 }\n"
             "parameters { name: \"p\" shape: [3] value: [0, 1, 2] }\n"
             "factors { name: \"px\" unary { log_potentials: \"p\" } each: \"x\" }\n"},
      {"an arity-1 enumeration",
       rbm +
           "factors { name: \"only_one\" enumeration { configurations: [1] } scope: \"v[2]\" }\n"},
      {"a logical factor",
       rbm + "factors { name: \"or\" logical_or { parents: \"v[0] v[1]\" child: \"h[0]\" } }\n"},
  };
  for (const auto& [what, text] : cases) {
    const auto model = compile_text(text);
    EXPECT_EQ(make_rbm_block_gibbs(model, 1), nullptr) << what;
  }
  EXPECT_NE(make_rbm_block_gibbs(compile_text(rbm), 1), nullptr);
}

// The registry's block-gibbs takes this path for RBMs unless told to stay generic.
TEST(RbmBlockGibbs, RegistryBlockGibbsUsesIt) {
  const auto model = compile_text(rbm_text(4, 3, Bias::kLogOdds, Bias::kField, 2));
  proto::SamplerConfig config;
  auto fast = make_sampler("block-gibbs", std::make_shared<const dgm::engine::CompiledModel>(model),
                           config, 1);
  EXPECT_NE(dynamic_cast<RbmBlockGibbs*>(fast.get()), nullptr);
  config.mutable_block_gibbs()->set_generic_only(true);
  auto generic = make_sampler("block-gibbs",
                              std::make_shared<const dgm::engine::CompiledModel>(model), config, 1);
  EXPECT_EQ(dynamic_cast<RbmBlockGibbs*>(generic.get()), nullptr);
  EXPECT_EQ(generic->name(), "block-gibbs");
}

// The visible-first order (BlockGibbsConfig::visible_first, which PCD learning uses) samples
// the same distribution, on the fast path and the generic one, and its sweep ends with the
// hidden products of the chains' final visible states (hidden first: of the starting ones).
TEST(RbmBlockGibbs, VisibleFirstSweepsSampleTheModelAndEndWithTheHiddenProducts) {
  const auto model = compile_text(rbm_text(6, 4, Bias::kLogOdds, Bias::kTable, 41));
  const RbmLayout layout = *rbm_layout(model);
  proto::SamplerConfig config;
  config.mutable_block_gibbs()->set_visible_first(true);
  const auto shared = std::make_shared<const dgm::engine::CompiledModel>(model);
  auto fast = make_sampler("block-gibbs", shared, config, 41);
  auto* rbm = dynamic_cast<RbmBlockGibbs*>(fast.get());
  ASSERT_NE(rbm, nullptr);
  EXPECT_TRUE(rbm->visible_first());
  EXPECT_TRUE(check_rbm(*fast, layout, model, 41).passed);
  config.mutable_block_gibbs()->set_generic_only(true);
  auto generic = make_sampler("block-gibbs", shared, config, 42);
  ASSERT_EQ(dynamic_cast<RbmBlockGibbs*>(generic.get()), nullptr);
  EXPECT_TRUE(check_rbm(*generic, layout, model, 42).passed);

  // hidden_products() + c against the log-odds from the chains' visible states after the sweep
  // (c: the log-odds given all-zero visible states).
  for (const bool visible_first : {true, false}) {
    SCOPED_TRACE(visible_first ? "visible first" : "hidden first");
    RbmBlockGibbs sampler(model, layout, 5, visible_first);
    Chains chains = random_chains(model, 7, 3);
    Chains zeros(7, model.graph->num_variables());
    const RbmBlockGibbs::Matrix bias = sampler.hidden_log_odds(zeros);
    sampler.reset(chains);
    sampler.sweep(chains, 0);
    const RbmBlockGibbs::Matrix after = sampler.hidden_log_odds(chains);
    const auto products = sampler.hidden_products();
    ASSERT_EQ(products.size(), static_cast<std::size_t>(after.size()));
    double worst = 0.0;
    for (Eigen::Index b = 0; b < after.rows(); ++b)
      for (Eigen::Index j = 0; j < after.cols(); ++j)
        worst = std::max(
            worst,
            std::abs(static_cast<double>(products[static_cast<std::size_t>(b * after.cols() + j)] +
                                         bias(b, j) - after(b, j))));
    if (visible_first)
      EXPECT_LT(worst, 1e-5);
    else
      EXPECT_GT(worst, 0.1);  // the visible states changed since the hidden half-step
  }
}

// ---------------------------------------------------------------------------------------
// (e) Evidence and hard biases.
// ---------------------------------------------------------------------------------------

TEST(RbmBlockGibbs, EvidenceIsRespectedAndConditions) {
  const auto model = compile_text(rbm_text(6, 4, Bias::kTable, Bias::kLogOdds, 40) +
                                  "evidence { variable: \"v[1]\" value: 1 }\n"
                                  "evidence { variable: \"v[4]\" value: 0 }\n"
                                  "evidence { variable: \"h[2]\" value: 0 }\n");
  auto sampler = rbm_sampler(model, 40);
  ASSERT_NE(sampler, nullptr);
  Chains chains = random_chains(model, 100, 40);
  for (std::int64_t s = 0; s < 200; ++s) {
    sampler->sweep(chains, s);
    for (std::int32_t b = 0; b < chains.num_chains(); ++b)
      for (std::int32_t v = 0; v < model.graph->num_variables(); ++v)
        if (model.evidence[v] != engine::kFree) {
          ASSERT_EQ(chains.chain(b)[v], model.evidence[v]) << "sweep " << s << " chain " << b;
        }
  }
  const auto result = check_rbm(*sampler, sampler->layout(), model, 41);
  EXPECT_TRUE(result.passed) << result.summary();
}

TEST(RbmBlockGibbs, HardBiasesAreExact) {
  // v[0] can only be 1, h[1] only 0 (−inf table entries and log-odds).
  const std::string text =
      "variables { name: \"v\" shape: [4] cardinality: 2 }\n"
      "variables { name: \"h\" shape: [3] cardinality: 2 }\n"
      "parameters { name: \"W\" shape: [4, 3] init { normal { stddev: 1 } seed: 4 } }\n"
      "factors { name: \"weights\" bipartite { left: \"v\" right: \"h\" weights: \"W\" } }\n"
      "parameters { name: \"b\" shape: [4, 2] value: [-inf, 0, 0.2, 0, 0, -0.5, 0.1, 0.3] }\n"
      "factors { name: \"vb\" unary { log_potentials: \"b\" } each: \"v\" }\n"
      "parameters { name: \"c\" shape: [3] value: [0.5, -inf, 0.2] }\n"
      "factors { name: \"hb\" unary { log_odds: \"c\" } each: \"h\" }\n";
  const auto model = compile_text(text);
  auto sampler = rbm_sampler(model, 5);
  ASSERT_NE(sampler, nullptr);
  const auto result = check_rbm(*sampler, sampler->layout(), model, 5, 1);
  EXPECT_TRUE(result.passed) << result.summary();
  EXPECT_EQ(result.marginals[model.graph->state_offset[0] + 1], 1.0) << "v[0] is always 1";
  EXPECT_EQ(result.marginals[model.graph->state_offset[5] + 1], 0.0) << "h[1] is always 0";
}

// A learner changes the parameters in place; refresh_parameters() makes the sampler see them
// (reset() alone does not: the explicit call is the contract).
TEST(RbmBlockGibbs, RefreshRereadsParameters) {
  auto model = compile_text(rbm_text(5, 3, Bias::kLogOdds, Bias::kLogOdds, 6));
  auto sampler = rbm_sampler(model, 6);
  Chains chains = random_chains(model, 3, 6);
  const RbmBlockGibbs::Matrix before = sampler->hidden_log_odds(chains);
  const auto& c = model.params.info[static_cast<std::size_t>(model.params.find("c"))];
  model.params.values[static_cast<std::size_t>(c.offset)] += 1.0;
  EXPECT_EQ(sampler->hidden_log_odds(chains), before) << "the float mirror is kept";
  sampler->reset(chains);
  EXPECT_EQ(sampler->hidden_log_odds(chains), before) << "reset() keeps the mirror";
  sampler->refresh_parameters();
  const RbmBlockGibbs::Matrix after = sampler->hidden_log_odds(chains);
  for (std::int32_t b = 0; b < 3; ++b) EXPECT_NEAR(after(b, 0) - before(b, 0), 1.0, 1e-5);
  model.params.values[static_cast<std::size_t>(c.offset)] = std::nan("");
  EXPECT_THROW(sampler->refresh_parameters(), Error);
  model.params.values[static_cast<std::size_t>(c.offset)] = 0.0;
  // A finite weight that float cannot hold would become ±inf in the mirror, and inf − inf a
  // NaN log-odds: refused, naming the weight.
  const auto& w = model.params.info[static_cast<std::size_t>(model.params.find("W"))];
  model.params.values[static_cast<std::size_t>(w.offset + 4)] = 1e39;
  try {
    sampler->refresh_parameters();
    ADD_FAILURE() << "a weight of 1e39 was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("weight 1,1 of 'weights'"), std::string::npos) << e.what();
  }
}

// The transposed mirror that the visible layer's sparse sums read is derived on demand from the
// float weights; after refresh_parameters() it is derived again. A mutation that keeps the
// mirror of the old weights (or never builds it) fails.
TEST(RbmBlockGibbs, RefreshRederivesTheTransposedMirror) {
  auto model = compile_text(rbm_text(6, 40, Bias::kLogOdds, Bias::kLogOdds, 8));
  auto sampler = rbm_sampler(model, 8);
  Chains chains = random_chains(model, 4, 8);
  const RbmLayout& l = sampler->layout();
  for (std::int32_t b = 0; b < 4; ++b)  // one hidden unit in ten on: the sparse path
    for (std::int32_t j = 0; j < l.num_hidden; ++j)
      chains.chain(b)[static_cast<std::size_t>(l.hidden_begin + j)] = (j + b) % 10 == 0 ? 1 : 0;
  expect_conditionals_match_on(model, chains);
  const RbmBlockGibbs::Matrix before = sampler->visible_log_odds(chains);
  // A visible-first sweep from these sparse hidden states sums rows of the mirror too.
  RbmBlockGibbs sweeping(model, l, 8, /*visible_first=*/true);
  Chains swept = chains;
  sweeping.sweep(swept, 0);
  // W[2, 10] is read by chain 0 (h[10] = 1) only.
  const auto& w = model.params.info[static_cast<std::size_t>(model.params.find("W"))];
  model.params.values[static_cast<std::size_t>(w.offset + 2 * l.num_hidden + 10)] += 1.5;
  sampler->refresh_parameters();
  const RbmBlockGibbs::Matrix after = sampler->visible_log_odds(chains);
  for (std::int32_t b = 0; b < 4; ++b)
    for (std::int32_t i = 0; i < l.num_visible; ++i)
      EXPECT_NEAR(after(b, i) - before(b, i), b == 0 && i == 2 ? 1.5 : 0.0, 1e-5)
          << "chain " << b << " v" << i;
  // The refreshed sweeper's next sweep draws what a sampler built on the new weights draws.
  sweeping.refresh_parameters();
  RbmBlockGibbs fresh(model, l, 8, /*visible_first=*/true);
  Chains by_refreshed = chains, by_fresh = chains;
  sweeping.sweep(by_refreshed, 1);
  fresh.sweep(by_fresh, 1);
  EXPECT_EQ(sweeping.visible_log_odds(chains), fresh.visible_log_odds(chains));
  for (std::int32_t b = 0; b < 4; ++b)
    EXPECT_TRUE(std::equal(by_refreshed.chain(b).begin(), by_refreshed.chain(b).end(),
                           by_fresh.chain(b).begin()))
        << "chain " << b;
}

}  // namespace
}  // namespace dgm::inference
