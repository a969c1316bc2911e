// The exact sampler (forward filtering, backward sampling on the junction tree): the frequencies
// of whole configurations match enumeration by a chi-square test, and single-site and pairwise
// marginals by batch means, on binary and categorical, pairwise and higher-order models (a
// 3-variable table, OR/AND factors, hard zeros), with evidence; impossible states never drawn;
// the same samples for 1 and 2 threads and whatever the number of chains; a saved session
// continues identically; new parameters reach the sampler; clear errors for models too wide
// and for evidence of probability zero.
//
// The chi-square test is over every configuration of the free variables, so it also catches a
// sampler whose single-site marginals are right but whose variables are not jointly
// distributed as the model says (e.g. each variable drawn from its marginal independently);
// drawing from the prior instead of the conditional (leaving out the children's messages) fails
// it on every model below by a wide margin; reading a separator's states in the wrong axis order
// fails it wherever a conditional reads a table with three or more axes (a separator of three
// variables in the 3×3 grid, the 3-variable tables of the higher-order model). Both were tried
// once by breaking the code on purpose.
#include "inference/exact/exact_sampler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dgm/sampler.pb.h"
#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/builtin_samplers.h"
#include "inference/exact/enumeration.h"
#include "inference/exact/junction_tree.h"
#include "inference/sampling/chains.h"
#include "inference/session/session.h"
#include "tests/support/random_models.h"
#include "tests/support/sampling_checks.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;
using testing::error_of;
using ::testing::HasSubstr;

// A binary 3×3 Ising grid with random couplings and fields (loopy: induced width 3).
constexpr const char* kIsingGrid = R"(
  variables { name: "s" shape: [3, 3] cardinality: 2 }
  parameters { name: "J" shape: [12] value: [0.9, -0.6, 0.4, 1.1, -0.8, 0.5, 0.7, -1.0, 0.3,
                                             0.6, -0.4, 0.8] }
  parameters { name: "h" shape: [9] value: [0.3, -0.5, 0.2, 0.0, 0.6, -0.3, -0.2, 0.4, 0.1] }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
  factors { name: "field" unary { field: "h" } each: "s" })";

// 3- and 4-state variables on two cycles of asymmetric pairwise tables, one variable clamped:
// the cycle a[0] a[2] b[1] b[0] stays, so elimination creates a fill-in edge.
constexpr const char* kCategoricalCycle = R"(
  variables { name: "a" shape: [3] cardinality: 3 }
  variables { name: "b" shape: [2] cardinality: 4 }
  parameters { name: "P" shape: [3, 4] value: [1.2, -0.4, 0.3, -1.0, 0.0, 0.9, -0.7, 0.5,
                                               -0.8, 0.2, 1.1, -0.3] }
  parameters { name: "Q" shape: [3, 3] value: [0.8, -0.6, 0.1, -0.9, 0.7, 0.4, 0.3, -0.2, -1.1] }
  parameters { name: "R" shape: [4, 4] value: [0.5, -1.0, 0.2, 0.9, -0.3, 0.6, -0.8, 0.1, 1.0,
                                               0.0, -0.5, -0.7, -0.2, 0.8, 0.4, -0.6] }
  parameters { name: "U" shape: [3] value: [0.4, -0.3, 0.1] }
  factors { name: "ab" pairwise { log_potentials: "P" } scope: "a[0] b[0]" scope: "a[2] b[1]" }
  factors { name: "aa" pairwise { log_potentials: "Q" }
            scope: "a[0] a[1]" scope: "a[1] a[2]" scope: "a[2] a[0]" }
  factors { name: "bb" pairwise { log_potentials: "R" } scope: "b[0] b[1]" }
  factors { name: "u" unary { log_potentials: "U" } each: "a" }
  evidence { variable: "a[1]" value: 2 })";

// Higher order: a dense 3-variable table with a hard zero, an OR and an AND, a sparse
// enumeration factor (unlisted rows are impossible), binary and 3-state variables.
constexpr const char* kHigherOrder = R"(
  variables { name: "x" shape: [6] cardinality: 2 }
  variables { name: "c" shape: [2] cardinality: 3 }
  parameters { name: "T" shape: [2, 3, 2]
               value: [0.3, -0.2, 1.1, -inf, 0.0, 0.7, -0.4, 0.9, 0.2, -1.0, 0.5, 0.1] }
  parameters { name: "B" shape: [6] value: [0.2, -0.3, 0.4, 0.1, -0.6, 0.5] }
  parameters { name: "E" shape: [4] value: [0.5, -0.5, 1.0, 0.2] }
  factors { name: "t" table { log_potentials: "T" }
            scope: "x[0] c[0] x[1]" scope: "x[2] c[1] x[3]" }
  factors { name: "or" logical_or { parents: "x[0] x[1] x[2]" child: "x[4]" } }
  factors { name: "and" logical_and { parents: "x[3] x[4]" child: "x[5]" } }
  factors { name: "e" enumeration { configurations: [0, 1, 1, 2, 2, 0, 1, 1] log_potentials: "E" }
            scope: "c[0] c[1]" }
  factors { name: "b" unary { log_odds: "B" } each: "x" })";

// kHigherOrder with the OR's child on and one parent off.
std::string higher_order_with_evidence() {
  return std::string(kHigherOrder) +
         R"( evidence { variable: "x[4]" value: 1 } evidence { variable: "x[1]" value: 0 })";
}

ExactSamplerParams defaults() { return {}; }

// Every kept state of `sweeps` sweeps of `sampler` from sweep `first`, chain-major per sweep.
std::vector<std::int32_t> draw(Sampler& sampler, Chains& chains, std::int64_t sweeps,
                               std::int64_t first = 0) {
  std::vector<std::int32_t> out;
  out.reserve(static_cast<std::size_t>(sweeps) * chains.states().size());
  sampler.reset(chains);
  for (std::int64_t t = first; t < first + sweeps; ++t) {
    sampler.sweep(chains, t);
    out.insert(out.end(), chains.states().begin(), chains.states().end());
  }
  return out;
}

struct ChiSquare {
  double statistic = 0.0;
  int degrees_of_freedom = 0;
  std::int64_t impossible = 0;  // samples in states of probability zero
  std::int64_t wrong_evidence = 0;
  // Allowed: df + 6·sqrt(2·df), six standard deviations of the χ² distribution above its mean
  // (a correct sampler exceeds it with probability well below 1e-5; the seeds are fixed). A
  // model with almost no possible states would test nothing: at least 3 degrees of freedom.
  bool passed() const {
    return impossible == 0 && wrong_evidence == 0 && degrees_of_freedom >= 3 &&
           statistic < degrees_of_freedom + 6.0 * std::sqrt(2.0 * degrees_of_freedom);
  }
  std::string text() const {
    char buf[160];
    std::snprintf(buf, sizeof buf, "chi2 %.1f on %d df (limit %.1f), %lld impossible, %lld wrong",
                  statistic, degrees_of_freedom,
                  degrees_of_freedom + 6.0 * std::sqrt(2.0 * degrees_of_freedom),
                  static_cast<long long>(impossible), static_cast<long long>(wrong_evidence));
    return buf;
  }
};

// Pearson's χ² of the samples' configurations of the free variables against p(x | evidence)
// from the model's factors (enumerated: f(x) − log Z). Cells of expected count below 5 are
// pooled into one.
ChiSquare chi_square(const engine::CompiledModel& model, const std::vector<std::int32_t>& samples) {
  const engine::Graph& g = *model.graph;
  const std::int32_t n = g.num_variables();
  std::vector<std::int32_t> free_vars;
  std::int64_t cells = 1;
  for (std::int32_t v = 0; v < n; ++v)
    if (model.evidence.empty() || model.evidence[v] == engine::kFree) {
      free_vars.push_back(v);
      cells *= g.cardinality[v];
    }
  EnumerationOptions log_z_only;
  log_z_only.marginals = log_z_only.map = false;
  const double log_z = enumerate(model, log_z_only).log_z;

  ChiSquare result;
  std::vector<std::int64_t> counts(static_cast<std::size_t>(cells), 0);
  const std::int64_t rows = static_cast<std::int64_t>(samples.size()) / n;
  for (std::int64_t r = 0; r < rows; ++r) {
    const std::int32_t* x = samples.data() + r * n;
    std::int64_t cell = 0;
    for (const std::int32_t v : free_vars) cell = cell * g.cardinality[v] + x[v];
    ++counts[static_cast<std::size_t>(cell)];
    for (std::int32_t v = 0; v < n; ++v)
      if (!model.evidence.empty() && model.evidence[v] != engine::kFree &&
          x[v] != model.evidence[v])
        ++result.wrong_evidence;
  }
  std::vector<std::int32_t> x(static_cast<std::size_t>(n), 0);
  for (std::int32_t v = 0; v < n; ++v)
    if (!model.evidence.empty() && model.evidence[v] != engine::kFree) x[v] = model.evidence[v];
  double pooled_expected = 0.0;
  std::int64_t pooled_count = 0;
  int used = 0;
  for (std::int64_t cell = 0; cell < cells; ++cell) {
    std::int64_t rest = cell;
    for (std::size_t j = free_vars.size(); j-- > 0;) {
      x[free_vars[j]] = static_cast<std::int32_t>(rest % g.cardinality[free_vars[j]]);
      rest /= g.cardinality[free_vars[j]];
    }
    const double p = std::exp(engine::total_log_potential(model, x) - log_z);
    const std::int64_t count = counts[static_cast<std::size_t>(cell)];
    if (p == 0.0) {
      result.impossible += count;
      continue;
    }
    const double expected = p * static_cast<double>(rows);
    if (expected < 5.0) {
      pooled_expected += expected;
      pooled_count += count;
      continue;
    }
    result.statistic += (count - expected) * (count - expected) / expected;
    ++used;
  }
  if (pooled_expected > 0.0) {
    result.statistic +=
        (pooled_count - pooled_expected) * (pooled_count - pooled_expected) / pooled_expected;
    ++used;
  }
  result.degrees_of_freedom = used - 1;
  return result;
}

// Every pair of free variables.
std::vector<std::pair<std::int32_t, std::int32_t>> free_pairs(const engine::CompiledModel& model) {
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  const std::int32_t n = model.graph->num_variables();
  auto is_free = [&](std::int32_t v) {
    return model.evidence.empty() || model.evidence[v] == engine::kFree;
  };
  for (std::int32_t i = 0; i < n; ++i)
    for (std::int32_t j = i + 1; j < n; ++j)
      if (is_free(i) && is_free(j)) pairs.emplace_back(i, j);
  return pairs;
}

// The chi-square test on 64 chains × `sweeps` sweeps, then single-site and pairwise marginals
// by batch means over chains (sampling_checks.h) on a fresh run.
void expect_exact(const engine::CompiledModel& model, const std::string& what, std::uint64_t seed,
                  std::int64_t sweeps = 300) {
  SCOPED_TRACE(what);
  ExactSampler sampler(model, defaults(), seed);
  Chains chains(64, model.graph->num_variables());
  init_uniform(chains, model, seed);
  const ChiSquare chi = chi_square(model, draw(sampler, chains, sweeps));
  std::printf("%s: %s\n", what.c_str(), chi.text().c_str());
  EXPECT_TRUE(chi.passed()) << chi.text();

  testing::SamplingCheckOptions o;
  o.burn_in = 0;
  o.sweeps = sweeps;
  o.first_sweep = sweeps;  // fresh numbers
  o.pairs = free_pairs(model);
  const testing::SamplingCheckResult r = testing::check_marginals(sampler, chains, model, o);
  EXPECT_TRUE(r.passed) << r.summary();
}

TEST(ExactSampler, BinaryLoopyGridMatchesEnumeration) {
  expect_exact(compile_text(kIsingGrid), "3x3 Ising grid", 1);
}

TEST(ExactSampler, CategoricalCycleWithEvidenceMatchesEnumeration) {
  expect_exact(compile_text(kCategoricalCycle), "categorical cycle, a[1] clamped", 2);
}

TEST(ExactSampler, HigherOrderLogicalAndHardZerosMatchEnumeration) {
  expect_exact(compile_text(kHigherOrder), "table, OR, AND, enumeration", 3);
  expect_exact(compile_text(higher_order_with_evidence()), "the same with x[4] = 1, x[1] = 0", 4);
}

// Random models: categorical with dense 3-variable tables and hard zeros, and binary with OR
// and AND factors, with and without evidence.
TEST(ExactSampler, RandomModelsMatchEnumeration) {
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    testing::RandomModelOptions o = seed % 2 == 0 ? testing::categorical_options(seed, 5, 4)
                                                  : testing::logical_options(seed, 7);
    o.hard_zero_probability = 0.1;
    o.evidence_probability = 0.5;
    const testing::RandomModel m = testing::generate_random_model(o);
    const engine::CompiledModel model =
        engine::compile(m.model, engine::SourceMap("random.pbtxt"), "");
    expect_exact(model, "random model " + std::to_string(seed), 10 + seed, 200);
  }
}

// Evidence of probability zero — through a factor whose variables are all clamped, or only
// through a free variable — is a clear error, not NaN samples.
TEST(ExactSampler, ZeroProbabilityEvidenceIsAClearError) {
  for (const char* evidence :
       {R"( evidence { variable: "x[4]" value: 1 } evidence { variable: "x[0]" value: 0 }
            evidence { variable: "x[1]" value: 0 } evidence { variable: "x[2]" value: 0 })",
        R"( evidence { variable: "x[5]" value: 1 } evidence { variable: "x[3]" value: 0 })"}) {
    const engine::CompiledModel model = compile_text(std::string(kHigherOrder) + evidence);
    const std::string message = error_of([&] { ExactSampler sampler(model, defaults(), 1); });
    EXPECT_THAT(message, HasSubstr("exact sampling: the evidence has probability zero"));
    EXPECT_THAT(message, HasSubstr("no conditional distribution to sample from"));
  }
  // Without evidence: the hard constraints themselves.
  const engine::CompiledModel impossible = compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "NE" shape: [2, 2] value: [-inf, 0, 0, -inf] }
    parameters { name: "EQ" shape: [2, 2] value: [0, -inf, -inf, 0] }
    factors { name: "ne" pairwise { log_potentials: "NE" } scope: "x[0] x[1]" }
    factors { name: "eq" pairwise { log_potentials: "EQ" } scope: "x[0] x[1]" })");
  EXPECT_THAT(error_of([&] { ExactSampler sampler(impossible, defaults(), 1); }),
              HasSubstr("hard constraints cannot all be satisfied"));
}

TEST(ExactSampler, ModelsTooWideAreRefusedWithTheWidthAndAlternatives) {
  std::string grid = R"(
    variables { name: "s" shape: [12, 12] cardinality: 2 }
    parameters { name: "J" value: 0.3 }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } })";
  const auto model = std::make_shared<const engine::CompiledModel>(compile_text(grid));
  proto::SamplerConfig config;
  config.mutable_exact()->set_max_table_entries(64);
  const std::string message = error_of([&] { make_sampler("exact", model, config, 1); });
  EXPECT_THAT(message, HasSubstr("induced width 12"));
  EXPECT_THAT(message, HasSubstr("limit of 64 entries"));
  EXPECT_THAT(message, HasSubstr("exact { max_table_entries: N }"));
  EXPECT_THAT(message, HasSubstr("chromatic-gibbs"));
  EXPECT_THAT(message, ::testing::Not(HasSubstr("--max-table-size")));
  // The default limit is plenty for 12×12 (tables of 2^13 entries).
  EXPECT_NO_THROW(make_sampler("exact", model, proto::SamplerConfig{}, 1));
}

// Chain b's samples are a function of (seed, b, sweep): the same on 1 and 2 threads and with
// fewer chains beside it.
TEST(ExactSampler, SamplesDoNotDependOnThreadsOrOtherChains) {
  const engine::CompiledModel model = compile_text(kCategoricalCycle);
  std::vector<std::int32_t> reference;
  for (const int threads : {1, 2}) {
    const tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    ExactSampler sampler(model, defaults(), 9);
    Chains chains(37, model.graph->num_variables());
    init_uniform(chains, model, 0);
    const std::vector<std::int32_t> samples = draw(sampler, chains, 20);
    if (reference.empty()) {
      reference = samples;
    } else {
      EXPECT_EQ(samples, reference);
    }
  }
  ExactSampler sampler(model, defaults(), 9);
  Chains few(3, model.graph->num_variables());
  init_uniform(few, model, 0);
  const std::vector<std::int32_t> samples = draw(sampler, few, 20);
  const std::size_t n = static_cast<std::size_t>(model.graph->num_variables());
  for (std::size_t t = 0; t < 20; ++t)
    for (std::size_t i = 0; i < 3 * n; ++i)
      ASSERT_EQ(samples[t * 3 * n + i], reference[t * 37 * n + i]) << "sweep " << t;
  // Another seed, other samples.
  ExactSampler other(model, defaults(), 10);
  init_uniform(few, model, 0);
  EXPECT_NE(draw(other, few, 20), samples);
}

class Recorder : public RunObserver {
 public:
  void on_sample(std::int64_t, const Chains& chains) override {
    samples.insert(samples.end(), chains.states().begin(), chains.states().end());
  }
  std::vector<std::int32_t> samples;
};

TEST(ExactSampler, SavedSessionsContinueIdentically) {
  const std::string dir = testing::scratch_dir();
  const engine::CompiledModel model = compile_text(higher_order_with_evidence());
  SessionOptions o;
  o.sampler = "exact";
  o.chains = 5;
  o.seed = 3;
  Recorder whole, pieces;
  RunObserver* whole_observers[] = {&whole};
  RunObserver* piece_observers[] = {&pieces};
  Session one(model, o);
  one.run(Budget::for_sweeps(12), whole_observers);
  o.threads = 2;
  Session first(model, o);
  first.run(Budget::for_sweeps(5), piece_observers);
  first.save(dir + "/exact.session");
  Session second = Session::restore(dir + "/exact.session", model, /*threads=*/1);
  EXPECT_EQ(second.sampler_name(), "exact");
  second.run(Budget::for_sweeps(7), piece_observers);
  EXPECT_EQ(pieces.samples, whole.samples);
  ASSERT_EQ(whole.samples.size(), 12u * 5 * model.graph->num_variables());
}

// New parameter values reach the sampler through refresh_parameters(): the samples follow
// the new distribution, and the log_z figure is the new log Z.
TEST(ExactSampler, RefreshedParametersChangeTheDistribution) {
  engine::CompiledModel model = compile_text(kIsingGrid);
  ExactSampler sampler(model, defaults(), 4);
  EXPECT_NEAR(sampler.figures()[0].value, enumerate(model).log_z, 1e-10);
  Chains chains(64, model.graph->num_variables());
  init_uniform(chains, model, 1);
  draw(sampler, chains, 10);

  const EnumerationResult before = enumerate(model);
  for (double& v : model.params.values) v *= -1.5;
  const EnumerationResult after = enumerate(model);
  double separation = 0.0;
  for (std::size_t i = 0; i < before.marginals.size(); ++i)
    separation = std::max(separation, std::abs(before.marginals[i] - after.marginals[i]));
  ASSERT_GT(separation, 0.2);
  sampler.refresh_parameters();
  EXPECT_NEAR(sampler.figures()[0].value, after.log_z, 1e-10);
  const ChiSquare chi = chi_square(model, draw(sampler, chains, 300, 10));
  EXPECT_TRUE(chi.passed()) << chi.text();
  // Through a session, as Session::set_parameters does it.
  SessionOptions o;
  o.sampler = "exact";
  o.chains = 64;
  Session session(compile_text(kIsingGrid), o);
  session.run(Budget::for_sweeps(3));
  session.set_parameters(model.params.values);
  Recorder recorder;
  RunObserver* observers[] = {&recorder};
  session.run(Budget::for_sweeps(300), observers);
  const ChiSquare through_session = chi_square(model, recorder.samples);
  EXPECT_TRUE(through_session.passed()) << through_session.text();
}

TEST(ExactSampler, RegisteredWithItsConfiguration) {
  const auto model = std::make_shared<const engine::CompiledModel>(compile_text(kIsingGrid));
  proto::SamplerConfig config;
  config.mutable_exact();
  EXPECT_EQ(sampler_name_of(config), "exact");
  auto sampler = make_sampler("exact", model, config, 1);
  EXPECT_EQ(sampler->name(), "exact");
  EXPECT_FALSE(sampler->needs_valid_start());
  EXPECT_FALSE(sampler->has_acceptance());
  Chains chains(4, 9);
  const SweepStats stats = sampler->sweep(chains, 0);
  EXPECT_EQ(stats.site_updates, 4 * 9);
  EXPECT_EQ(stats.proposals, 0);
  EXPECT_EQ(stats.invalid, 0);
  const std::vector<SamplerFigure> figures = sampler->figures();
  ASSERT_EQ(figures.size(), 1u);
  EXPECT_EQ(figures[0].name, "log_z");
  // Settings of another backend are refused.
  proto::SamplerConfig gibbs;
  gibbs.mutable_gibbs();
  EXPECT_THAT(error_of([&] { make_sampler("exact", model, gibbs, 1); }),
              HasSubstr("reads `exact` settings"));
}

// The sampler's tables and the MAP traceback share the conditional row: with every
// probability on one state, sampling returns the MAP state.
TEST(ExactSampler, PeakedModelSamplesItsMapState) {
  engine::CompiledModel model = compile_text(kCategoricalCycle);
  for (double& v : model.params.values) v *= 200.0;
  const ExactResult map = exact_map(model);
  ExactSampler sampler(model, defaults(), 5);
  Chains chains(8, model.graph->num_variables());
  init_uniform(chains, model, 2);
  sampler.sweep(chains, 0);
  for (std::int32_t b = 0; b < 8; ++b)
    EXPECT_EQ(std::vector<std::int32_t>(chains.chain(b).begin(), chains.chain(b).end()),
              map.map_state);
}

}  // namespace
}  // namespace dgm::inference
