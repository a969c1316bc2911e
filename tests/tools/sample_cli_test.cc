// dgm sample and dgm marginals --method SAMPLER end to end: output files, formats, threads,
// configuration files, resuming, and Ctrl-C keeping a valid file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using testing::run_dgm;
using testing::source_path;

const std::string kIsing = source_path("examples/spin_glass_2d.pbtxt");
const std::string kChain = source_path("examples/tiny_chain.pbtxt");

TEST(SampleCli, WritesNpyWithOneRowPerChainAndKeptSweep) {
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("sample '" + kIsing +
                         "' --sampler chromatic-gibbs --chains 4 --sweeps 30 "
                         "--burn-in 10 --thin 5 --seed 3 --out '" +
                         dir + "/s.npy' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["run"]["kept_sweeps"], 4);
  EXPECT_EQ(j["run"]["samples"], 16);
  const engine::NpyArray a = engine::read_npy(dir + "/s.npy", true);
  EXPECT_EQ(a.dtype, "|u1");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{16, 1024}));
}

// The run-time dispatch (docs/performance.md): the samplers whose arithmetic is element-wise
// (Philox words, heat-bath thresholds, GWG/DMALA scores on lattices, PMP's max-product
// coupling messages) draw the same samples on the portable path as on the CPU's own; an
// unusable DGM_DISPATCH stops every command at once. Seven chains: PMP's lanes fill a vector
// and leave a remainder.
TEST(SampleCli, PortableAndDispatchedPathsDrawTheSameSamples) {
  const std::string dir = testing::scratch_dir();
  for (const char* sampler : {"gibbs", "chromatic-gibbs", "gwg", "dmala", "pmp"}) {
    SCOPED_TRACE(sampler);
    const std::string args = "sample '" + kIsing + "' --sampler " + sampler +
                             " --chains 7 --sweeps 6 --seed 4 --out '" + dir + "/";
    ASSERT_EQ(run_dgm(args + "cpu.npy'").exit_code, 0);
    ::setenv("DGM_DISPATCH", "portable", 1);
    const auto portable = run_dgm(args + "portable.npy'");
    ::unsetenv("DGM_DISPATCH");
    ASSERT_EQ(portable.exit_code, 0) << portable.err;
    EXPECT_EQ(engine::read_npy(dir + "/portable.npy", true).values,
              engine::read_npy(dir + "/cpu.npy", true).values);
  }
}

// Samples of probability zero (PMP decodings that break a hard factor, kept with no_repair)
// are counted apart from the mean log-potential, which is over the possible ones; when every
// sample is impossible the mean is −∞ (JSON: null, "minus_infinity"), not NaN.
TEST(SampleCli, MeanLogPotentialLeavesOutImpossibleSamples) {
  const std::string dir = testing::scratch_dir();
  testing::write_file(dir, "one.pbtxt", "pmp { no_repair: true bp { max_iterations: 1 } }\n");
  const auto mixed =
      run_dgm("sample '" + source_path("examples/logic_or_and.pbtxt") +
              "' --sampler pmp --chains 16 --sweeps 4 --seed 3 --format json --config '" + dir +
              "/one.pbtxt'");
  ASSERT_EQ(mixed.exit_code, 0) << mixed.err;
  const auto j = nlohmann::json::parse(mixed.out);
  EXPECT_EQ(j["mean_log_potential_status"], "finite");
  EXPECT_EQ(j["mean_log_potential_samples"], 64);
  EXPECT_EQ(j["mean_log_potential_zero_probability"], j["invalid_samples"]);
  EXPECT_GT(j["mean_log_potential_zero_probability"].get<int>(), 0);
  EXPECT_LT(j["mean_log_potential_zero_probability"].get<int>(), 64);
  // Three variables that must all differ pairwise: no state is possible.
  testing::write_file(dir, "triangle.pbtxt", R"(
      variables { name: "x" shape: [3] cardinality: 2 }
      factors { name: "ne" enumeration { configurations: [0, 1, 1, 0] }
                scope: "x[0] x[1]" scope: "x[1] x[2]" scope: "x[0] x[2]" })");
  const std::string args = "sample '" + dir + "/triangle.pbtxt' --sampler pmp --chains 4 " +
                           "--sweeps 3 --config '" + dir + "/one.pbtxt'";
  const auto none = run_dgm(args + " --format json");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const auto k = nlohmann::json::parse(none.out);
  EXPECT_TRUE(k["mean_log_potential"].is_null());
  EXPECT_EQ(k["mean_log_potential_status"], "minus_infinity");
  EXPECT_EQ(k["mean_log_potential_zero_probability"], 12);
  EXPECT_THAT(run_dgm(args).out, HasSubstr("mean f(x)  -inf"));
}

TEST(SampleCli, DispatchLevelIsReportedAndChecked) {
  const auto version = run_dgm("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_THAT(version.out, HasSubstr("simd "));
  EXPECT_THAT(version.out, HasSubstr("dense products: "));
  ::setenv("DGM_DISPATCH", "sse9", 1);
  const auto bad = run_dgm("check '" + kChain + "'");
  ::unsetenv("DGM_DISPATCH");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("'sse9'"));
  EXPECT_THAT(bad.err, HasSubstr("DGM_DISPATCH"));
  ::setenv("DGM_DISPATCH", "portable", 1);
  const auto portable = run_dgm("--version");
  ::unsetenv("DGM_DISPATCH");
  EXPECT_THAT(portable.out, HasSubstr("simd portable (DGM_DISPATCH"));
}

TEST(SampleCli, SameSeedSameSamplesWhateverTheThreads) {
  const std::string dir = testing::scratch_dir();
  for (const char* sampler : {"gibbs", "chromatic-gibbs"}) {
    SCOPED_TRACE(sampler);
    for (int threads : {1, 2, 4}) {
      const auto r =
          run_dgm("sample '" + kIsing + "' --sampler " + sampler +
                  " --chains 3 --sweeps 5 --seed 9 --threads " + std::to_string(threads) +
                  " --out '" + dir + "/t" + std::to_string(threads) + ".npy'");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    const auto one = engine::read_npy(dir + "/t1.npy", true).values;
    EXPECT_EQ(engine::read_npy(dir + "/t2.npy", true).values, one);
    EXPECT_EQ(engine::read_npy(dir + "/t4.npy", true).values, one);
    ASSERT_EQ(run_dgm("sample '" + kIsing + "' --sampler " + sampler +
                      " --chains 3 --sweeps 5 --seed 10 --out '" + dir + "/o.npy'")
                  .exit_code,
              0);
    EXPECT_NE(engine::read_npy(dir + "/o.npy", true).values, one);
  }
}

TEST(SampleCli, CsvHasAHeaderAndOneLinePerSample) {
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("sample '" + kChain + "' --chains 2 --sweeps 3 --out '" + dir + "/s.csv'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::ifstream in(dir + "/s.csv");
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) ++lines;
  EXPECT_EQ(lines, 1 + 6);
  EXPECT_THAT(r.out, HasSubstr("mean spin"));
}

TEST(SampleCli, ConfigFileAndFlagsOverrideIt) {
  const std::string dir = testing::scratch_dir();
  testing::write_file(dir, "run.pbtxt",
                      "chromatic_gibbs {}\nrun { chains: 5 sweeps: 7 seed: 4 }\n");
  const auto r =
      run_dgm("sample '" + kIsing + "' --config '" + dir + "/run.pbtxt' --sweeps 3 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sampler"], "chromatic-gibbs");
  EXPECT_EQ(j["run"]["chains"], 5);
  EXPECT_EQ(j["run"]["sweeps"], 3);
  // --sampler must agree with the file's backend: never silently another sampler.
  testing::write_file(dir, "gwg.pbtxt", "gwg { num_flips: 2 }\n");
  const auto clash = run_dgm("sample '" + kIsing + "' --sampler chromatic-gibbs --config '" + dir +
                             "/gwg.pbtxt' --sweeps 2");
  EXPECT_EQ(clash.exit_code, 1);
  EXPECT_THAT(clash.err, HasSubstr("sampler 'chromatic-gibbs' reads `chromatic_gibbs` settings "
                                   "but the configuration sets `gwg`"));
  const auto from_file =
      run_dgm("sample '" + kIsing + "' --config '" + dir + "/gwg.pbtxt' --sweeps 2 --format json");
  ASSERT_EQ(from_file.exit_code, 0) << from_file.err;
  EXPECT_EQ(nlohmann::json::parse(from_file.out)["sampler"], "gwg");
  testing::write_file(dir, "bad.pbtxt", "gibbs { scan: SIDEWAYS }\n");
  const auto bad = run_dgm("sample '" + kIsing + "' --config '" + dir + "/bad.pbtxt'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, HasSubstr("bad.pbtxt:1:"));
}

// A run split in two by --resume draws exactly what one uninterrupted run draws: the saved
// session (OUT.session) carries each chain's state, the random streams' position and the keep
// rule. The continuation appends to the same file, on another thread count.
TEST(SampleCli, ResumeContinuesTheUninterruptedRunIntoTheSameFile) {
  const std::string dir = testing::scratch_dir();
  for (const std::string sampler : {"gibbs", "chromatic-gibbs", "gwg", "pmp", "exact"}) {
    SCOPED_TRACE(sampler);
    const std::string common = "sample '" + kChain + "' --sampler " + sampler +
                               " --chains 3 --seed 5 --burn-in 2 --thin 3";
    ASSERT_EQ(run_dgm(common + " --sweeps 11 --out '" + dir + "/full.npy'").exit_code, 0);
    ASSERT_EQ(run_dgm(common + " --sweeps 4 --threads 2 --out '" + dir + "/part.npy'").exit_code,
              0);
    const auto r = run_dgm("sample '" + kChain + "' --sweeps 7 --threads 1 --resume '" + dir +
                           "/part.npy' --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["run"]["first_sweep"], 4);
    EXPECT_EQ(j["out"]["appended"], true);
    const auto full = engine::read_npy(dir + "/full.npy", true);
    const auto part = engine::read_npy(dir + "/part.npy", true);
    EXPECT_EQ(part.shape, full.shape);
    EXPECT_EQ(part.values, full.values);
  }
}

TEST(SampleCli, ResumeRefusesSettingsThatDisagreeWithTheSavedSession) {
  const std::string dir = testing::scratch_dir();
  ASSERT_EQ(
      run_dgm("sample '" + kIsing + "' --chains 3 --sweeps 4 --out '" + dir + "/a.npy'").exit_code,
      0);
  const auto before = engine::read_npy(dir + "/a.npy", true).values;
  for (const std::string& flags : std::vector<std::string>{
           "--chains 5", "--seed 3", "--sampler gwg", "--thin 2", "--config '" + dir + "/a.npy'",
           "--init-rows '" + dir + "/a.npy'"}) {
    SCOPED_TRACE(flags);
    const auto r =
        run_dgm("sample '" + kIsing + "' --sweeps 2 " + flags + " --resume '" + dir + "/a.npy'");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("--resume"));
  }
  EXPECT_EQ(engine::read_npy(dir + "/a.npy", true).values, before) << "nothing was touched";
  // A samples file without its session cannot be resumed (its rows alone do not say where the
  // random streams were); a session file can be given directly.
  std::filesystem::copy_file(dir + "/a.npy", dir + "/copy.npy");
  const auto lone = run_dgm("sample '" + kIsing + "' --resume '" + dir + "/copy.npy'");
  EXPECT_EQ(lone.exit_code, 1);
  EXPECT_THAT(lone.err, HasSubstr("no saved session beside it"));
  const auto other = run_dgm("sample '" + kChain + "' --resume '" + dir + "/a.npy.session'");
  EXPECT_EQ(other.exit_code, 1);
  EXPECT_THAT(other.err, HasSubstr("different model"));
}

TEST(SampleCli, HardConstraintsStartFromTheMapStateWhenUniformStartsAreImpossible) {
  const auto r = run_dgm("sample '" + source_path("examples/logic_or_and.pbtxt") +
                         "' --chains 8 --sweeps 20 --seed 2 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("start from the MAP state"));
  // A given start of probability zero is refused with the violated factor named.
  const std::string dir = testing::scratch_dir();
  const auto loaded = engine::load_compiled(source_path("examples/logic_or_and.pbtxt"));
  std::vector<double> zeros(loaded.graph->num_variables(), 0.0);
  engine::write_npy(dir + "/z.npy", {1, loaded.graph->num_variables()}, zeros, "|u1");
  const auto bad = run_dgm("sample '" + source_path("examples/logic_or_and.pbtxt") +
                           "' --sweeps 2 --init-rows '" + dir + "/z.npy'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.err, AllOf(HasSubstr("probability zero"), HasSubstr("forbids")));
}

TEST(SampleCli, UnknownSamplerListsTheRegisteredOnes) {
  const auto r = run_dgm("sample '" + kChain + "' --sampler metropolis");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("unknown sampler 'metropolis'"), HasSubstr("gibbs")));
  const auto t = run_dgm("sample '" + kChain + "' --threads -2");
  EXPECT_EQ(t.exit_code, 1);
  EXPECT_THAT(t.err, HasSubstr("--threads must be"));
}

TEST(SampleCli, CtrlCStopsCleanlyAndKeepsAValidFile) {
  const std::string dir = testing::scratch_dir();
  // timeout sends SIGINT after a second to a run that would take far longer.
  const std::string cmd = "timeout --preserve-status -s INT 1 '" + std::string(DGM_BINARY) +
                          "' sample '" + kIsing + "' --chains 2 --sweeps 100000000 --out '" + dir +
                          "/s.npy' >/dev/null 2>'" + dir + "/err'";
  const int status = std::system(cmd.c_str());
  EXPECT_EQ(WEXITSTATUS(status), 130);
  const engine::NpyArray a = engine::read_npy(dir + "/s.npy", true);
  EXPECT_GT(a.shape[0], 0);
  EXPECT_EQ(a.shape[0] % 2, 0);
  EXPECT_EQ(static_cast<std::int64_t>(a.values.size()), a.shape[0] * 1024);
  // The session was saved on the way out: the run continues from where it stopped.
  const auto more = run_dgm("sample '" + kIsing + "' --sweeps 3 --resume '" + dir + "/s.npy'");
  ASSERT_EQ(more.exit_code, 0) << more.err;
  EXPECT_EQ(engine::read_npy(dir + "/s.npy", true).shape[0], a.shape[0] + 6);
}

// SIGKILL leaves no chance to save; the session saved when the run started is enough to
// resume, and the rows written after it are drawn again, identically.
TEST(SampleCli, KilledRunsResumeToTheUninterruptedSamples) {
  const std::string dir = testing::scratch_dir();
  const std::string cmd = "timeout -s KILL 1 '" + std::string(DGM_BINARY) + "' sample '" + kIsing +
                          "' --chains 2 --seed 4 --sweeps 100000000 --out '" + dir +
                          "/k.npy' >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) || WIFSIGNALED(status));
  ASSERT_TRUE(std::filesystem::exists(dir + "/k.npy.session"));
  const auto r = run_dgm("sample '" + kIsing + "' --sweeps 30 --resume '" + dir + "/k.npy'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  ASSERT_EQ(run_dgm("sample '" + kIsing + "' --chains 2 --seed 4 --sweeps 30 --out '" + dir +
                    "/whole.npy'")
                .exit_code,
            0);
  const auto whole = engine::read_npy(dir + "/whole.npy", true);
  const auto resumed = engine::read_npy(dir + "/k.npy", true);
  EXPECT_EQ(resumed.shape, whole.shape);
  EXPECT_EQ(resumed.values, whole.values);
}

// The sampler `exact` through dgm sample, with its settings from a file; in dgm marginals the
// name stays the junction tree's (docs/decisions.md, "The exact sampler's name").
TEST(SampleCli, ExactSamplerAndTheMethodOfTheSameName) {
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("sample '" + kChain +
                         "' --sampler exact --chains 4 --sweeps 5 --seed 2 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["sampler"], "exact");
  EXPECT_EQ(j["sampler_exact"], true);
  EXPECT_TRUE(j["figures"].contains("log_z"));
  testing::write_file(dir, "tight.pbtxt", "exact { max_table_entries: 1 }\n");
  const auto tight = run_dgm("sample '" + kIsing + "' --config '" + dir + "/tight.pbtxt'");
  EXPECT_EQ(tight.exit_code, 1);
  EXPECT_THAT(tight.err, HasSubstr("induced width"));
  EXPECT_THAT(tight.err, HasSubstr("exact { max_table_entries: N }"));
  const auto listed = run_dgm("samplers");
  EXPECT_THAT(listed.out, HasSubstr("exact "));
  // dgm marginals --method exact: the junction tree (exact numbers, no sampling flags).
  const auto marginals = run_dgm("marginals '" + kChain + "' --method exact --format json");
  ASSERT_EQ(marginals.exit_code, 0) << marginals.err;
  EXPECT_EQ(nlohmann::json::parse(marginals.out)["exact"], true);
  const auto flags = run_dgm("marginals '" + kChain + "' --method exact --chains 4");
  EXPECT_EQ(flags.exit_code, 1);
  EXPECT_THAT(flags.err, HasSubstr("dgm sample --sampler exact"));
}

TEST(SampleCli, GibbsMarginalsAgreeWithExactWithinTheirErrorBars) {
  const auto exact = run_dgm("marginals '" + kChain + "' --format json");
  const auto gibbs = run_dgm("marginals '" + kChain +
                             "' --method gibbs --chains 32 --sweeps 3000 --burn-in 100 "
                             "--seed 7 --format json");
  ASSERT_EQ(gibbs.exit_code, 0) << gibbs.err;
  const auto je = nlohmann::json::parse(exact.out), jg = nlohmann::json::parse(gibbs.out);
  for (std::size_t v = 0; v < je["marginals"].size(); ++v) {
    const double p = je["marginals"][v]["p"][1], q = jg["marginals"][v]["p"][1];
    const double se = jg["marginals"][v]["se"][1];
    EXPECT_LE(std::abs(p - q), 5 * se + 1e-3) << "variable " << v;
  }
  const auto uai = run_dgm("marginals '" + kChain +
                           "' --method chromatic-gibbs --sweeps 50 "
                           "--format uai");
  ASSERT_EQ(uai.exit_code, 0) << uai.err;
  EXPECT_EQ(uai.out.rfind("MAR", 0), 0u);
}

// The summary follows docs/json.md: every field present, numbers as numbers, approximate
// samplers said to be so.
TEST(SampleCli, JsonSummaryFollowsTheSchema) {
  for (const std::string sampler : {"gibbs", "pmp", "dula", "gwg", "exact"}) {
    SCOPED_TRACE(sampler);
    const auto r = run_dgm("sample '" + kChain + "' --sampler " + sampler +
                           " --chains 4 --sweeps 5 --seed 2 --format json");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    const auto j = nlohmann::json::parse(r.out);
    EXPECT_EQ(j["schema_version"], 1);
    EXPECT_EQ(j["command"], "sample");
    EXPECT_EQ(j["exact"], false);
    const bool biased = sampler == "pmp" || sampler == "dula";
    EXPECT_EQ(j["sampler_exact"], !biased);
    EXPECT_EQ(j["approximation"].is_string(), biased);
    bool warned = false;
    for (const auto& w : j["warnings"]) warned = warned || w["code"] == "approximate_sampler";
    EXPECT_EQ(warned, biased);
    for (const char* field :
         {"method", "detail", "clamped_variables", "groups", "run", "seconds", "mean_log_potential",
          "mean_log_potential_status", "acceptance", "proposals", "changed_per_proposal",
          "invalid_samples", "figures", "out"})
      EXPECT_TRUE(j.contains(field)) << field;
    EXPECT_TRUE(j["out"].is_null());
    EXPECT_TRUE(j["groups"][0]["mean_spin"].is_number());
    EXPECT_EQ(j["run"]["samples"], 20);
    EXPECT_EQ(j["acceptance"].is_number(), sampler == "gwg");
  }
  // No kept sample: the mean is null with its status, never a string or a made-up number.
  const auto none = run_dgm("sample '" + kChain + "' --sweeps 3 --burn-in 5 --format json");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  const auto j = nlohmann::json::parse(none.out);
  EXPECT_TRUE(j["mean_log_potential"].is_null());
  EXPECT_EQ(j["mean_log_potential_status"], "not_computed");
  EXPECT_TRUE(j["groups"][0]["mean_state"].is_null());
}

// Convergence diagnostics (docs/evaluation.md): single-site Gibbs on the wet-lawn model never
// changes `cold` (given wet = 1, ice = cold, so flipping either alone breaks a constraint), and
// the chains that started from random valid states disagree with those moved to the MAP state.
TEST(SampleCli, StuckChainsWarnAndNameTheVariable) {
  const std::string model = source_path("examples/logic_or_and.pbtxt");
  const auto text = run_dgm("sample '" + model + "' --sweeps 200 --seed 2");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("max split-R̂ inf at cold"));
  EXPECT_THAT(text.err, AllOf(HasSubstr("dgm: warning: cold never changed within any chain"),
                              HasSubstr("split-R̂ inf")));
  const auto json = run_dgm("sample '" + model + "' --sweeps 200 --seed 2 --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  const auto& mixing = j["mixing"];
  EXPECT_TRUE(mixing["max_split_rhat"].is_null());
  EXPECT_EQ(mixing["max_split_rhat_status"], "plus_infinity");
  EXPECT_EQ(mixing["worst_variable"]["name"], "cold");
  EXPECT_EQ(mixing["chains"], 64);
  EXPECT_EQ(mixing["single_chain"], false);
  std::vector<std::string> codes;
  for (const auto& w : j["warnings"]) codes.push_back(w["code"]);
  EXPECT_THAT(codes, ::testing::Contains("high_rhat"));
  // dgm marginals with a sampler says the same.
  const auto marginals = run_dgm("marginals '" + model + "' --method gibbs --sweeps 200 --seed 2");
  ASSERT_EQ(marginals.exit_code, 0) << marginals.err;
  EXPECT_THAT(marginals.out, HasSubstr("# mixing     max split-R̂ inf at cold"));
  EXPECT_THAT(marginals.err, HasSubstr("dgm: warning: cold never changed"));
}

TEST(SampleCli, AWellMixedRunDoesNotWarn) {
  const auto r = run_dgm("sample '" + kChain + "' --sweeps 1000 --seed 3 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("warning")));
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["warnings"].size(), 0u);
  const auto& mixing = j["mixing"];
  EXPECT_LT(mixing["max_split_rhat"].get<double>(), 1.01);
  EXPECT_EQ(mixing["max_split_rhat_status"], "finite");
  EXPECT_EQ(mixing["rhat_threshold"], 1.01);
  EXPECT_EQ(mixing["min_ess"], 100.0);
  EXPECT_GT(mixing["energy"]["ess"].get<double>(), 100.0);
  EXPECT_LT(mixing["energy"]["split_rhat"].get<double>(), 1.01);
  EXPECT_EQ(mixing["energy_chains"], 4);
  ASSERT_EQ(mixing["groups"].size(), 1u);
  EXPECT_EQ(mixing["groups"][0]["name"], "s");
  EXPECT_GT(mixing["groups"][0]["mean_state"]["ess"].get<double>(), 100.0);
  const auto text = run_dgm("sample '" + kChain + "' --sweeps 1000 --seed 3");
  EXPECT_THAT(text.out,
              AllOf(HasSubstr("mixing     max split-R̂ 1.0"), HasSubstr("energy     ESS")));
  // The floor is a flag, and the warning says it.
  const auto strict = run_dgm("sample '" + kChain + "' --sweeps 1000 --seed 3 --min-ess 1e6");
  ASSERT_EQ(strict.exit_code, 0) << strict.err;
  EXPECT_THAT(strict.err,
              AllOf(HasSubstr("dgm: warning: the effective sample size of f(x)"),
                    HasSubstr("< 1e+06 (--min-ess)"), HasSubstr("the least mixed variable is s[")));
  EXPECT_EQ(run_dgm("sample '" + kChain + "' --min-ess -1").exit_code, 1);
}

TEST(SampleCli, DiagnosticsForOneChainAndForIidSamplers) {
  const auto one = run_dgm("sample '" + kChain + "' --chains 1 --sweeps 400 --seed 1");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, HasSubstr("one chain: its two halves only"));
  // PMP draws every sample afresh; it is diagnosed all the same.
  const auto pmp = run_dgm("sample '" + kChain +
                           "' --sampler pmp --chains 4 --sweeps 40 --seed 1 --format json");
  ASSERT_EQ(pmp.exit_code, 0) << pmp.err;
  const auto j = nlohmann::json::parse(pmp.out);
  EXPECT_TRUE(j["mixing"]["max_split_rhat"].is_number());
  EXPECT_TRUE(j["mixing"]["energy"]["ess"].is_number());
  // Too few kept sweeps: not computed, and said so.
  const auto few = run_dgm("sample '" + kChain + "' --sweeps 2");
  EXPECT_THAT(few.out, HasSubstr("mixing     not computed"));
  // Methods that do not sample have no mixing, and refuse --min-ess.
  const auto exact = run_dgm("marginals '" + kChain + "' --format json");
  EXPECT_TRUE(nlohmann::json::parse(exact.out)["mixing"].is_null());
  EXPECT_THAT(run_dgm("marginals '" + kChain + "' --min-ess 10").err,
              HasSubstr("--min-ess applies to sampler methods only"));
}

}  // namespace
}  // namespace dgm
