// Comparing samplers (inference/comparison): budgets are kept, a sampler that never moves ranks
// last, an approximate sampler's bias shows as an MMD above the floor, results other than
// timings do not depend on the number of threads, the honest work units count what samplers
// compute, references come from exact draws, long runs or files, and bad settings are refused.
#include "inference/comparison/comparison.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "engine/npy.h"
#include "inference/builtin_samplers.h"
#include "inference/sampling/work.h"
#include "inference/session/session.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;
using testing::error_of;
using ::testing::HasSubstr;

// A 4×4 ferromagnet with a field: strongly enough coupled that uniform starts are far from the
// model, small enough for exact answers.
constexpr const char* kIsing = R"(
  variables { name: "s" shape: [4, 4] cardinality: 2 }
  parameters { name: "J" value: 0.35 }
  parameters { name: "h" value: 0.15 }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
  factors { name: "field" unary { log_odds: "h" } each: "s" })";

// A sampler that never moves its chains: the crippled entrant a comparison must rank last.
class FrozenSampler final : public Sampler {
 public:
  explicit FrozenSampler(const engine::CompiledModel& model) : model_(model) {}
  std::string_view name() const override { return "frozen"; }
  void refresh_parameters() override {}
  SweepStats sweep(Chains& chains, std::int64_t) override {
    SweepStats s;
    s.site_updates = std::int64_t{chains.num_chains()} * model_.graph->num_variables();
    s.factor_evaluations = std::int64_t{chains.num_chains()} * free_conditional_cost(model_);
    return s;
  }

 private:
  const engine::CompiledModel& model_;
};

void register_frozen() {
  register_sampler({"frozen", "never moves (tests)", "",
                    [](const engine::CompiledModel& model, const proto::SamplerConfig&,
                       std::uint64_t) -> std::unique_ptr<Sampler> {
                      return std::make_unique<FrozenSampler>(model);
                    }});
}

proto::CompareConfig config_for(std::initializer_list<const char*> samplers) {
  proto::CompareConfig c;
  for (const char* s : samplers) c.add_samplers()->set_sampler(s);
  c.set_chains(64);
  c.set_seed(11);
  c.set_points(10);
  c.mutable_reference()->set_samples(600);
  return c;
}

const SamplerComparison& by_label(const ComparisonResult& r, const std::string& label) {
  for (const SamplerComparison& s : r.samplers)
    if (s.label == label) return s;
  throw std::runtime_error("no sampler " + label);
}

TEST(Comparison, RanksAFrozenSamplerLastAndMixingSamplersNearTheFloor) {
  register_frozen();
  const engine::CompiledModel model = compile_text(kIsing);
  proto::CompareConfig config = config_for({"frozen", "gibbs", "chromatic-gibbs", "gwg"});
  config.set_budget_sweeps(300);
  const ComparisonResult r = compare_samplers(model, config);
  ASSERT_TRUE(r.has_reference);
  EXPECT_TRUE(r.reference.exact);
  EXPECT_EQ(r.reference.num_rows, 600);
  EXPECT_EQ(r.reference.num_floor_rows, 10 * 64);  // ten floor sets of exact draws
  EXPECT_EQ(r.reference.floor_set_rows, 64);
  EXPECT_GT(r.floor_mmd2_biased, 0.0);
  EXPECT_EQ(r.ranked_by, "final_mmd2");
  ASSERT_EQ(r.ranking.size(), 4u);
  EXPECT_EQ(r.samplers[static_cast<std::size_t>(r.ranking.back())].label, "frozen");
  for (const char* mixing : {"gibbs", "chromatic-gibbs", "gwg"}) {
    const SamplerComparison& s = by_label(r, mixing);
    EXPECT_EQ(s.sweeps, 300) << mixing;
    EXPECT_LT(s.final_mmd2, 2.5 * r.floor_mmd2_biased) << mixing;
    EXPECT_LT(s.energy_rhat, 1.05) << mixing;
    EXPECT_GT(s.energy_ess, 100.0) << mixing;
    ASSERT_TRUE(s.has_marginal_error);
    EXPECT_LT(s.marginal_error.max_tv, 0.06) << mixing;
  }
  const SamplerComparison& frozen = by_label(r, "frozen");
  EXPECT_GT(frozen.final_mmd2, 5 * r.floor_mmd2_biased);
  // Chains that never move: each chain's energy is constant but chains differ, so R̂ is
  // infinite and the ESS is no more than the number of chains.
  EXPECT_GT(frozen.energy_rhat, 1.5);
  EXPECT_LE(frozen.energy_ess, 64.0);
  // The points: the start (budget 0) and then evenly spread, the last at the budget's end.
  ASSERT_GE(frozen.points.size(), 10u);
  EXPECT_EQ(frozen.points.front().sweeps, 0);
  EXPECT_EQ(frozen.points.back().sweeps, 300);
  // Every sampler started from the same states: the same MMD at budget 0.
  for (const SamplerComparison& s : r.samplers)
    EXPECT_EQ(s.points.front().mmd2_biased, frozen.points.front().mmd2_biased) << s.label;
}

TEST(Comparison, ShowsTheBiasOfAnApproximateSampler) {
  // A strongly coupled ferromagnet with a weak field: p puts about 84% on the all-up mode and
  // 16% on the all-down one. PMP perturbs the unaries only and nearly always decodes the
  // all-up mode (its marginals are about 0.2 off), so it stays far above the floor however
  // long it runs, while Gibbs, slow across modes but exact, comes near the floor.
  const engine::CompiledModel model = compile_text(R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "J" value: 1.0 }
    parameters { name: "h" value: 0.2 }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "field" unary { log_odds: "h" } each: "s" })");
  proto::CompareConfig config = config_for({"pmp", "gibbs"});
  config.set_budget_sweeps(1500);
  const ComparisonResult r = compare_samplers(model, config);
  const SamplerComparison& gibbs = by_label(r, "gibbs");
  const SamplerComparison& pmp = by_label(r, "pmp");
  EXPECT_LT(gibbs.final_mmd2, 4.0 * r.floor_mmd2_biased);
  EXPECT_GT(pmp.final_mmd2, 8.0 * r.floor_mmd2_biased);
  EXPECT_GT(pmp.marginal_error.mean_tv, 0.15);
  EXPECT_LT(gibbs.marginal_error.mean_tv, 0.05);
  EXPECT_EQ(r.samplers[static_cast<std::size_t>(r.ranking.front())].label, "gibbs");
  EXPECT_GT(pmp.totals.messages, 0);
}

TEST(Comparison, KeepsTimeAndWorkBudgets) {
  const engine::CompiledModel model = compile_text(kIsing);
  proto::CompareConfig config = config_for({"gibbs", "dmala"});
  config.set_budget_seconds(0.3);
  const ComparisonResult timed = compare_samplers(model, config);
  for (const SamplerComparison& s : timed.samplers) {
    EXPECT_GE(s.seconds, 0.3) << s.label;
    EXPECT_LT(s.seconds, 0.5) << s.label;
    EXPECT_GT(s.sweeps, 10) << s.label;
  }
  config.set_budget_seconds(0);
  const double work = 2e6;
  config.set_budget_work(work);
  const ComparisonResult worked = compare_samplers(model, config);
  for (const SamplerComparison& s : worked.samplers) {
    const double per_sweep =
        static_cast<double>(s.totals.factor_evaluations) / static_cast<double>(s.sweeps);
    EXPECT_GE(static_cast<double>(s.totals.factor_evaluations), work) << s.label;
    EXPECT_LT(static_cast<double>(s.totals.factor_evaluations), work + per_sweep + 1) << s.label;
  }
}

TEST(Comparison, ResultsOtherThanTimingsDoNotDependOnThreads) {
  const engine::CompiledModel model = compile_text(kIsing);
  proto::CompareConfig config = config_for({"gibbs", "gwg", "pmp"});
  config.set_budget_sweeps(80);
  config.set_threads(1);
  const ComparisonResult one = compare_samplers(model, config);
  config.set_threads(2);
  const ComparisonResult two = compare_samplers(model, config);
  ASSERT_EQ(one.samplers.size(), two.samplers.size());
  EXPECT_EQ(one.floor_mmd2_biased, two.floor_mmd2_biased);
  for (std::size_t i = 0; i < one.samplers.size(); ++i) {
    const SamplerComparison &a = one.samplers[i], &b = two.samplers[i];
    EXPECT_EQ(a.final_states, b.final_states) << a.label;
    EXPECT_EQ(a.final_mmd2, b.final_mmd2) << a.label;
    EXPECT_EQ(a.energy_ess, b.energy_ess) << a.label;
    EXPECT_EQ(a.totals.factor_evaluations, b.totals.factor_evaluations) << a.label;
  }
  EXPECT_EQ(one.ranking, two.ranking);
}

TEST(Comparison, CountsWorkInHonestUnits) {
  const engine::CompiledModel model = compile_text(kIsing);
  // 16 spins: 4 corners in 2 bonds + 1 field, 8 edges in 3 + 1, 4 inner in 4 + 1; K = 2.
  const std::int64_t per_sweep = 2 * (4 * 3 + 8 * 4 + 4 * 5);
  EXPECT_EQ(free_conditional_cost(model), per_sweep);
  for (const char* name : {"gibbs", "chromatic-gibbs"}) {
    SessionOptions options;
    options.sampler = name;
    options.chains = 3;
    Session session(model, options);
    const RunSummary s = session.run(Budget::for_sweeps(5));
    EXPECT_EQ(s.totals.factor_evaluations, 5 * 3 * per_sweep) << name;
  }
  SessionOptions options;
  options.sampler = "pmp";
  options.chains = 2;
  Session pmp(model, options);
  const RunSummary s = pmp.run(Budget::for_sweeps(1));
  EXPECT_GT(s.totals.messages, 0);
  EXPECT_EQ(s.totals.messages % (2 * bp_messages_per_iteration(*model.graph)), 0);
}

TEST(Comparison, TakesAReferenceFromALongRunOrAFile) {
  const engine::CompiledModel model = compile_text(kIsing);
  proto::CompareReference ref;
  ref.set_source("sampler");
  ref.set_samples(200);
  ref.set_chains(20);
  ref.set_burn_in(200);
  ref.set_thin(5);
  const ReferenceSamples run = make_reference(model, ref, {30, 1}, 3, 0);
  EXPECT_EQ(run.source, "sampler");
  EXPECT_FALSE(run.exact);
  EXPECT_EQ(run.num_rows, 200);
  EXPECT_EQ(run.num_floor_rows, 30);
  EXPECT_LT(run.rhat, 1.05);
  EXPECT_THAT(run.provenance, HasSubstr("block-gibbs"));  // a lattice is bipartite

  const std::string dir = testing::scratch_dir();
  const std::string path = dir + "/reference.npy";
  std::vector<double> values(run.rows.begin(), run.rows.end());
  engine::write_npy(path, {run.num_rows, 16}, values, "<i4");
  proto::CompareReference from_file;
  from_file.set_source("file");
  from_file.set_file(path);
  from_file.set_samples(150);
  const ReferenceSamples file = make_reference(model, from_file, {30, 1}, 3, 0);
  EXPECT_EQ(file.num_rows, 150);
  EXPECT_EQ(file.num_floor_rows, 30);
  // As many whole floor sets as the rows allow.
  EXPECT_EQ(make_reference(model, from_file, {25, 4}, 3, 0).num_floor_rows, 50);  // 200 − 150 rows
  EXPECT_EQ(std::vector<std::int32_t>(file.rows.begin(), file.rows.begin() + 16),
            std::vector<std::int32_t>(run.rows.begin(), run.rows.begin() + 16));

  values[5] = 2;  // not a binary state
  engine::write_npy(path, {run.num_rows, 16}, values, "<i4");
  EXPECT_THAT(error_of([&] {
                make_reference(model, from_file, {30, 1}, 3, 0);
              }),
              HasSubstr("row 0, s[1,1]: state 2"));
}

TEST(Comparison, RefusesBadSettings) {
  const engine::CompiledModel model = compile_text(kIsing);
  proto::CompareConfig none;
  none.set_budget_sweeps(10);
  EXPECT_THAT(error_of([&] { compare_samplers(model, none); }), HasSubstr("no samplers"));
  proto::CompareConfig twice = config_for({"gibbs", "gibbs"});
  twice.set_budget_sweeps(10);
  EXPECT_THAT(error_of([&] { compare_samplers(model, twice); }), HasSubstr("labelled 'gibbs'"));
  proto::CompareConfig no_budget = config_for({"gibbs"});
  EXPECT_THAT(error_of([&] { compare_samplers(model, no_budget); }), HasSubstr("give a budget"));
  proto::CompareConfig unknown = config_for({"gibbs", "no-such-sampler"});
  unknown.set_budget_sweeps(10);
  EXPECT_THAT(error_of([&] { compare_samplers(model, unknown); }), HasSubstr("no-such-sampler"));
  proto::CompareConfig bad_source = config_for({"gibbs"});
  bad_source.set_budget_sweeps(10);
  bad_source.mutable_reference()->set_source("oracle");
  EXPECT_THAT(error_of([&] { compare_samplers(model, bad_source); }),
              HasSubstr("unknown reference source 'oracle'"));
}

}  // namespace
}  // namespace dgm::inference
