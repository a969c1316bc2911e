// Sampling sessions, for every registered sampler: a run split into pieces — continued in the
// same process or saved, restored and continued on another thread count — draws exactly the
// samples of one uninterrupted run; a parameter change through the session reaches every
// sampler (marginals against exact inference for the new parameters); restore refuses another
// model; budgets stop runs.
#include "inference/session/session.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <filesystem>

#include "dgm/session.pb.h"
#include "engine/error.h"
#include "inference/builtin_samplers.h"
#include "inference/exact/enumeration.h"
#include "inference/sampling/marginal_estimator.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;
using testing::error_of;
using ::testing::HasSubstr;

// Bipartite (an RBM: every sampler applies, and gwg/dula/dmala take the RBM marginal path),
// with a clamped visible unit.
constexpr const char* kRbm = R"(
  variables { name: "v" shape: [5] cardinality: 2 }
  variables { name: "h" shape: [3] cardinality: 2 }
  parameters { name: "W" shape: [5, 3] value: [0.8, -0.5, 0.3, -0.9, 0.4, 0.6, 0.2, -0.7, 0.5,
                                              0.1, 0.9, -0.4, -0.6, 0.3, 0.7] }
  parameters { name: "b" shape: [5] value: [0.2, -0.3, 0.1, 0.4, -0.2] }
  parameters { name: "c" shape: [3] value: [-0.1, 0.3, 0.2] }
  factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } }
  factors { name: "vb" unary { log_odds: "b" } each: "v" }
  factors { name: "hb" unary { log_odds: "c" } each: "h" }
  evidence { variable: "v[4]" value: 1 })";

// A 3-state chain (a tree, so bipartite too) with a clamped end: categorical paths.
constexpr const char* kPottsChain = R"(
  variables { name: "x" shape: [5] cardinality: 3 }
  parameters { name: "J" value: 0.7 }
  parameters { name: "u" shape: [5, 3] value: [0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2, 0.2, -0.5,
                                              -0.1, 0.0, 0.3, 0.5, -0.4, 0.0] }
  factors { name: "bonds" potts { coupling: "J" } lattice { group: "x" } }
  factors { name: "fields" unary { log_potentials: "u" } each: "x" }
  evidence { variable: "x[0]" value: 2 })";

// Records every kept sample, in order.
class Recorder : public RunObserver {
 public:
  void on_sample(std::int64_t, const Chains& chains) override {
    samples.insert(samples.end(), chains.states().begin(), chains.states().end());
  }
  std::vector<std::int32_t> samples;
};

SessionOptions options_for(const std::string& sampler) {
  SessionOptions o;
  o.sampler = sampler;
  o.chains = 4;
  o.seed = 11;
  o.burn_in = 1;
  o.thin = 2;
  return o;
}

std::vector<std::string> sampler_names() {
  std::vector<std::string> names;
  for (const SamplerInfo& info : sampler_registry()) names.push_back(info.name);
  return names;
}

// The figures' bits: compared for bit-identity, and a standard error of NaN (a figure without
// one, such as the exact sampler's log Z) equals itself.
std::vector<std::uint64_t> figure_values(const Session& s) {
  std::vector<std::uint64_t> out;
  for (const SamplerFigure& f : s.sampler().figures()) {
    out.push_back(std::bit_cast<std::uint64_t>(f.value));
    out.push_back(std::bit_cast<std::uint64_t>(f.standard_error));
  }
  return out;
}

TEST(Session, SplitSavedAndRestoredRunsDrawTheUninterruptedSamples) {
  const std::string dir = testing::scratch_dir();
  for (const char* text : {kRbm, kPottsChain}) {
    const engine::CompiledModel model = compile_text(text);
    for (const std::string& name : sampler_names()) {
      SCOPED_TRACE(name + (text == kRbm ? " on the RBM" : " on the Potts chain"));
      Recorder whole;
      Session one(model, options_for(name));
      RunObserver* whole_observers[] = {&whole};
      one.run(Budget::for_sweeps(13), whole_observers);
      ASSERT_EQ(one.sweeps_done(), 13);
      ASSERT_EQ(one.kept_sweeps(), 6);  // sweeps 2, 4, ..., 12 (burn-in 1, thin 2)

      // Continued in the same process, in pieces of 5, 1 and 7 sweeps.
      Recorder pieces;
      RunObserver* piece_observers[] = {&pieces};
      Session continued(model, options_for(name));
      for (std::int64_t n : {5, 1, 7}) continued.run(Budget::for_sweeps(n), piece_observers);
      EXPECT_EQ(pieces.samples, whole.samples);
      EXPECT_EQ(continued.chains().states().size(), one.chains().states().size());

      // Saved after 6 sweeps on 2 threads, restored and finished on 1.
      Recorder restored;
      RunObserver* restored_observers[] = {&restored};
      SessionOptions o = options_for(name);
      o.threads = 2;
      Session first(model, o);
      first.run(Budget::for_sweeps(6), restored_observers);
      const std::string path = dir + "/" + name + ".session";
      first.save(path);
      Session second = Session::restore(path, model, /*threads=*/1);
      EXPECT_EQ(second.sweeps_done(), 6);
      EXPECT_EQ(second.sampler_name(), first.sampler_name());
      second.run(Budget::for_sweeps(7), restored_observers);
      EXPECT_EQ(restored.samples, whole.samples);
      EXPECT_TRUE(std::equal(second.chains().states().begin(), second.chains().states().end(),
                             one.chains().states().begin()));
      EXPECT_EQ(figure_values(second), figure_values(one));
    }
  }
}

// A run that forgot the stream position (what `dgm sample --resume` did) replays numbers; the
// check above would catch it: two sessions started at different sweep counts differ.
TEST(Session, ContinuedRunsDrawFreshNumbers) {
  const engine::CompiledModel model = compile_text(kPottsChain);
  SessionOptions o = options_for("gibbs");
  o.burn_in = 0;
  o.thin = 1;
  Session s(model, o);
  Recorder a, b;
  RunObserver* first[] = {&a};
  RunObserver* second[] = {&b};
  s.run(Budget::for_sweeps(20), first);
  s.set_states(std::vector<std::int32_t>(a.samples.begin(), a.samples.begin() + 4 * 5));
  s.run(Budget::for_sweeps(20), second);
  // The second run restarted from the first run's first kept states but at sweep 20: were
  // the sweep index ignored, b would repeat a from its second sample on.
  EXPECT_NE(std::vector<std::int32_t>(a.samples.begin() + 20, a.samples.end()),
            std::vector<std::int32_t>(b.samples.begin(), b.samples.end() - 20));
}

// Marginals after a parameter change through the session equal exact inference for the new
// parameters, for every sampler: a sampler that kept numbers derived from the old parameters
// (Gibbs fast-path tables, RBM float mirrors, GWG scores, PMP's message graph) fails.
TEST(Session, ParameterChangesReachEverySampler) {
  // For PMP the model has independent variables, where perturb-and-MAP is exact (the
  // Gumbel-max trick); on loopy or chain models it is approximate.
  const engine::CompiledModel rbm = compile_text(kRbm);
  const engine::CompiledModel independent = compile_text(R"(
    variables { name: "x" shape: [4] cardinality: 3 }
    parameters { name: "u" shape: [4, 3] value: [0.3, -0.2, 0.1, 0.0, 0.4, -0.3, 0.2, 0.2, -0.5,
                                                -0.1, 0.0, 0.3] }
    factors { name: "fields" unary { log_potentials: "u" } each: "x" })");
  for (const std::string& name : sampler_names()) {
    SCOPED_TRACE(name);
    const engine::CompiledModel& model = name == "pmp" ? independent : rbm;
    // B: every parameter's sign flipped and scaled, so that A's marginals are far from B's.
    std::vector<double> b_values = model.params.values;
    for (double& v : b_values) v *= -1.5;
    engine::CompiledModel model_b = model;
    model_b.params.values = b_values;
    const EnumerationResult exact_a = enumerate(model);
    const EnumerationResult exact_b = enumerate(model_b);
    double separation = 0.0;
    for (std::size_t i = 0; i < exact_a.marginals.size(); ++i)
      separation = std::max(separation, std::abs(exact_a.marginals[i] - exact_b.marginals[i]));
    ASSERT_GT(separation, 0.2);

    SessionOptions o;
    o.sampler = name;
    o.chains = 64;
    o.seed = 5;
    Session session(model, o);
    session.run(Budget::for_sweeps(50));
    const std::uint64_t version = session.parameter_version();
    session.set_parameters(b_values);
    EXPECT_EQ(session.parameter_version(), version + 1);
    session.run(Budget::for_sweeps(100));  // burn-in under B
    MarginalEstimator estimator(*model.graph);
    RunObserver* observers[] = {&estimator};
    session.run(Budget::for_sweeps(600), observers);
    const std::vector<double> p = estimator.marginals();
    const std::vector<double> se = estimator.standard_errors();
    double worst_z = 0.0, worst_error = 0.0;
    for (std::size_t i = 0; i < p.size(); ++i) {
      worst_error = std::max(worst_error, std::abs(p[i] - exact_b.marginals[i]));
      worst_z = std::max(worst_z, std::abs(p[i] - exact_b.marginals[i]) / std::max(se[i], 2e-3));
    }
    if (name == "dula") {
      // No MH correction: approximate, but much nearer B than A.
      EXPECT_LT(worst_error, 0.3 * separation);
    } else {
      EXPECT_LT(worst_z, 5.0) << "largest error " << worst_error;
    }
  }
}

TEST(Session, SetParameterByNameAndItsErrors) {
  const engine::CompiledModel model = compile_text(kPottsChain);
  Session s(model, options_for("chromatic-gibbs"));
  const std::vector<double> j = {-0.4};
  s.set_parameter("J", j);
  EXPECT_EQ(
      s.model().params.values[static_cast<std::size_t>(
          s.model().params.info[static_cast<std::size_t>(s.model().params.find("J"))].offset)],
      -0.4);
  EXPECT_EQ(model.params.values[0], 0.7) << "the caller's model is not changed";
  const std::vector<double> two = {1.0, 2.0};
  EXPECT_THAT(error_of([&] { s.set_parameter("J", two); }), HasSubstr("has 1"));
  EXPECT_THAT(error_of([&] { s.set_parameter("K", j); }), HasSubstr("parameters are: J, u"));
  const std::vector<double> nan = {std::nan("")};
  EXPECT_THAT(error_of([&] { s.set_parameter("J", nan); }), HasSubstr("nan"));
  EXPECT_THAT(error_of([&] { s.set_parameters(j); }), HasSubstr("the model has 16"));
  // Whole vectors: −inf (a hard zero of a state) is a log-potential, +inf and NaN are not, and
  // the refusal names the value, wherever it is.
  const engine::Params& p = s.model().params;
  const auto u = static_cast<std::size_t>(p.info[static_cast<std::size_t>(p.find("u"))].offset);
  std::vector<double> values = p.values;
  values[u + 3] = -INFINITY;  // x[1] = 0 impossible
  s.set_parameters(values);
  EXPECT_EQ(s.model().params.values[u + 3], -INFINITY);
  values.back() = INFINITY;
  EXPECT_THAT(error_of([&] { s.set_parameters(values); }),
              HasSubstr("value " + std::to_string(values.size() - 1) + " is inf"));
  values.back() = std::nan("");
  EXPECT_THAT(error_of([&] { s.set_parameters(values); }), HasSubstr("is nan"));
}

TEST(Session, RestoreRefusesAnotherModelOrDamagedFiles) {
  const std::string dir = testing::scratch_dir();
  const engine::CompiledModel model = compile_text(kPottsChain);
  Session s(model, options_for("gibbs"));
  s.run(Budget::for_sweeps(3));
  s.save(dir + "/s.session");
  engine::CompiledModel other = model;
  other.params.values[0] = 0.71;
  EXPECT_THAT(error_of([&] { Session::restore(dir + "/s.session", other); }),
              HasSubstr("other parameter values"));
  other = model;
  other.evidence[0] = 1;
  EXPECT_THAT(error_of([&] { Session::restore(dir + "/s.session", other); }),
              HasSubstr("different model"));
  EXPECT_THAT(error_of([&] { Session::restore(dir + "/missing.session", model); }),
              HasSubstr("missing.session: cannot open"));
  testing::write_file(dir, "junk.session", "not a session at all");
  EXPECT_THAT(error_of([&] { Session::restore(dir + "/junk.session", model); }),
              HasSubstr("not a saved dgm session"));
  // A sampler's saved state that does not fit is refused, not read as garbage.
  proto::SessionCheckpoint c = s.checkpoint();
  c.set_sampler("pmp");
  c.set_sampler_state("xyz");
  EXPECT_THAT(error_of([&] { Session::restore(c, model); }), HasSubstr("truncated"));
}

TEST(Session, BudgetsAndStopCallbacks) {
  const engine::CompiledModel model = compile_text(kPottsChain);
  Session s(model, options_for("gibbs"));
  EXPECT_THAT(error_of([&] { s.run({}); }), HasSubstr("needs a budget"));
  const RunSummary stopped =
      s.run(Budget::until([](const RunProgress& p) { return p.sweeps_done == 7; }));
  EXPECT_EQ(stopped.sweeps_done, 7);
  EXPECT_TRUE(stopped.stopped_early);
  const RunSummary timed = s.run(Budget::for_seconds(0.05));
  EXPECT_GT(timed.seconds, 0.049);
  EXPECT_LT(timed.seconds, 5.0);
  EXPECT_EQ(s.sweeps_done(), 7 + timed.sweeps_done);
}

TEST(Session, SamplerNamesAndConfigurationsMustAgree) {
  const engine::CompiledModel model = compile_text(kPottsChain);
  SessionOptions o;
  o.config.mutable_gwg();
  EXPECT_EQ(Session(model, o).sampler_name(), "gwg") << "the configuration's backend";
  o.sampler = "chromatic-gibbs";
  EXPECT_THAT(error_of([&] { Session(model, o); }),
              HasSubstr("reads `chromatic_gibbs` settings but the configuration sets `gwg`"));
  SessionOptions none;
  none.sampler = "no-such";
  EXPECT_THAT(error_of([&] { Session(model, none); }), HasSubstr("samplers are:"));
  SessionOptions zero;
  zero.chains = 0;
  EXPECT_THAT(error_of([&] { Session(model, zero); }), HasSubstr("at least 1"));
}

// The session shares ownership of its model: the caller's copy may go away.
TEST(Session, OutlivesTheModelItWasBuiltFrom) {
  std::unique_ptr<Session> s;
  {
    const engine::CompiledModel model = compile_text(kRbm);
    s = std::make_unique<Session>(model, options_for("block-gibbs"));
  }
  s->run(Budget::for_sweeps(5));
  EXPECT_EQ(s->sweeps_done(), 5);
}

}  // namespace
}  // namespace dgm::inference
