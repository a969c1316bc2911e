// dgm::Session and the inference functions through the public API: draws into a caller's
// buffer equal the samples a callback sees, runs split or restored give the samples of one
// run, budgets and observers stop runs, and BP agrees with exact inference on a tree.
#include <dgm/dgm.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <vector>

namespace {

dgm::Model small_lattice() {
  dgm::ModelBuilder b;
  b.variables("s", {4, 4}, 2);
  b.parameter("J", 0.3).parameter("h", 0.1);
  b.factors("bonds").ising("J").lattice("s");
  b.factors("field").unary_field("h").each("s");
  return b.compile("lattice");
}

dgm::SessionOptions options() {
  return {.sampler = "chromatic-gibbs", .chains = 4, .seed = 11, .burn_in = 3, .thin = 2};
}

TEST(PublicSession, DrawWritesWhatACallbackSees) {
  const dgm::Model model = small_lattice();
  const std::size_t n = model.num_variables();
  dgm::Session a(model, options());
  std::vector<std::int32_t> seen;
  a.run(dgm::Budget::for_sweeps(3 + 2 * 5), [&](std::int64_t, const dgm::ChainsView& chains) {
    seen.insert(seen.end(), chains.states().begin(), chains.states().end());
  });
  ASSERT_EQ(seen.size(), 5 * 4 * n);  // 5 kept sweeps of 4 chains

  dgm::Session b(model, options());
  std::vector<std::int32_t> drawn(seen.size());
  EXPECT_EQ(b.draw(drawn), 20);
  EXPECT_EQ(drawn, seen);
  EXPECT_EQ(b.kept_sweeps(), 5);
}

// The resource caps reach embedders: too many chains, or too little memory for them, are
// refused (ErrorCode::kLimit) before the chains are allocated; so is a model over a compile cap.
TEST(PublicSession, ChainAndMemoryCapsAreCheckedBeforeAllocating) {
  const dgm::Model model = small_lattice();  // 16 variables
  auto code_of = [&](dgm::SessionOptions o) {
    try {
      dgm::Session session(model, o);
    } catch (const dgm::Error& e) {
      return e.code();
    }
    return dgm::ErrorCode::kUnspecified;
  };
  dgm::SessionOptions o = options();
  o.chains = 100000000;
  EXPECT_EQ(code_of(o), dgm::ErrorCode::kLimit);  // 1.6·10⁹ chain states > 2²⁸
  o.chains = 1000;
  o.max_chain_states = 15999;
  EXPECT_EQ(code_of(o), dgm::ErrorCode::kLimit);
  o.max_chain_states = 16000;
  o.max_memory_bytes = 100000;
  EXPECT_EQ(code_of(o), dgm::ErrorCode::kLimit);
  o.max_memory_bytes = std::int64_t{1} << 30;
  EXPECT_EQ(code_of(o), dgm::ErrorCode::kUnspecified);

  dgm::CompileLimits limits;
  limits.max_variables = 15;
  try {
    dgm::ModelBuilder b;
    b.variables("s", {4, 4}, 2);
    b.compile("lattice", limits);
    ADD_FAILURE() << "compiled";
  } catch (const dgm::Error& e) {
    EXPECT_EQ(e.code(), dgm::ErrorCode::kLimit);
  }
}

TEST(PublicSession, SplitDrawsAndRestoresGiveTheSamplesOfOneDraw) {
  const dgm::Model model = small_lattice();
  const std::size_t n = model.num_variables();
  dgm::Session whole(model, options());
  std::vector<std::int32_t> all(12 * n);
  ASSERT_EQ(whole.draw(all), 12);

  dgm::Session first(model, options());
  std::vector<std::int32_t> parts(12 * n);
  ASSERT_EQ(first.draw(std::span(parts).first(4 * n)), 4);  // one kept sweep exactly
  const auto path = std::filesystem::temp_directory_path() / "dgm_api_session_test.session";
  first.save(path.string());
  dgm::Session second = dgm::Session::restore(path.string(), model);
  std::filesystem::remove(path);
  ASSERT_EQ(second.draw(std::span(parts).subspan(4 * n)), 8);
  EXPECT_EQ(parts, all);
}

TEST(PublicSession, PartialLastSweepFillsOnlyTheRowsThatFit) {
  const dgm::Model model = small_lattice();
  dgm::Session s(model, options());
  std::vector<std::int32_t> out(6 * model.num_variables());
  EXPECT_EQ(s.draw(out), 6);  // two kept sweeps: 4 rows, then 2 of 4
  std::vector<std::int32_t> ragged(7);
  EXPECT_THROW(s.draw(ragged), dgm::Error);  // not whole samples
}

TEST(PublicSession, BudgetsAndObserversStopRuns) {
  const dgm::Model model = small_lattice();
  dgm::Session s(model, options());
  dgm::Budget stop_at_7;
  stop_at_7.stop = [](const dgm::Progress& p) { return p.sweeps_done >= 7; };
  dgm::RunSummary r = s.run(stop_at_7);
  EXPECT_EQ(r.sweeps_done, 7);
  EXPECT_TRUE(r.stopped_early);

  r = s.run(dgm::Budget::for_seconds(0.0));
  EXPECT_GE(r.sweeps_done, 1);

  struct StopAt : dgm::Observer {
    std::int64_t last = -1;
    bool on_sweep(std::int64_t sweep, const dgm::ChainsView&) override {
      last = sweep;
      return sweep < 20;
    }
  } observer;
  dgm::Observer* observers[] = {&observer};
  const std::int64_t before = s.sweeps_done();
  ASSERT_LT(before, 20);
  r = s.run(dgm::Budget::for_sweeps(100), observers);
  EXPECT_EQ(observer.last, 20);  // global sweep indices
  EXPECT_EQ(s.sweeps_done(), 21);
  EXPECT_EQ(r.sweeps_done, 21 - before);
}

TEST(PublicSession, SetParametersChangesTheSessionNotTheModel) {
  const dgm::Model model = small_lattice();
  dgm::Session s(model, options());
  const std::vector<double> strong = {2.0};
  s.set_parameter("J", strong);
  EXPECT_EQ(s.parameter_values()[0], 2.0);
  EXPECT_EQ(model.parameter("J")[0], 0.3);
  EXPECT_THROW(s.set_parameters(std::vector<double>{1.0}), dgm::Error);  // two are needed
}

TEST(PublicSession, StartStatesAndChainsView) {
  const dgm::Model model = small_lattice();
  dgm::SessionOptions o = options();
  o.start_states.assign(model.num_variables(), 1);
  dgm::Session s(model, o);
  const dgm::ChainsView chains = s.chains();
  EXPECT_EQ(chains.num_chains(), 4);
  for (std::int32_t b = 0; b < chains.num_chains(); ++b)
    for (std::int32_t x : chains.chain(b)) EXPECT_EQ(x, 1);
}

TEST(PublicInference, BpIsExactOnAChain) {
  dgm::ModelBuilder b;
  b.variables("x", {6}, 3);
  b.parameter("J", 0.7).parameter("theta", {0.2, 0.0, -0.4}, {3});
  b.factors("chain").potts("J").lattice("x");
  b.factors("field").unary("theta").each("x");
  b.evidence("x[5]", 2);
  const dgm::Model model = b.compile();
  const dgm::ExactResult exact = dgm::exact(model);
  const dgm::BpMarginalsResult bp = dgm::bp_marginals(model);
  EXPECT_TRUE(bp.status.converged) << bp.status.description;
  ASSERT_EQ(bp.marginals.size(), exact.marginals.size());
  for (std::size_t i = 0; i < bp.marginals.size(); ++i)
    EXPECT_NEAR(bp.marginals[i], exact.marginals[i], 1e-6);
  EXPECT_NEAR(bp.log_z, exact.log_z, 1e-6);
  const dgm::BpMapResult map = dgm::bp_map(model);
  EXPECT_EQ(map.state, exact.map_state);
  EXPECT_DOUBLE_EQ(map.log_potential, exact.map_log_potential);
  EXPECT_EQ(model.variable("x[5]"), 5);
  EXPECT_EQ(model.state_offset(model.num_variables()), 18);
}

}  // namespace
