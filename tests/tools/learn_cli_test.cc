// dgm learn end to end: the learned model and its log, resuming (from a finished run and after
// Ctrl-C) to the same parameters as one uninterrupted run, and refusals that write nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_dgm;

// A 3×3 Ising model to learn, all parameters starting at 0.
constexpr const char* kModel = R"(
  variables { name: "s" shape: [3, 3] cardinality: 2 }
  parameters { name: "J" value: 0.0 learnable: true }
  parameters { name: "h" value: 0.0 learnable: true }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
  factors { name: "field" unary { field: "h" } each: "s" })";

// The data: samples of the same model with J = 0.4, h = −0.2.
struct Fixture {
  std::string dir, model, data;
};

Fixture make_fixture() {
  Fixture f;
  f.dir = testing::scratch_dir();
  f.model = testing::write_file(f.dir, "model.pbtxt", kModel);
  const std::string truth = testing::write_file(
      f.dir, "truth.pbtxt",
      std::regex_replace(
          std::regex_replace(kModel, std::regex("\"J\" value: 0.0"), "\"J\" value: 0.4"),
          std::regex("\"h\" value: 0.0"), "\"h\" value: -0.2"));
  f.data = f.dir + "/data.npy";
  const auto r = run_dgm("sample '" + truth + "' --chains 50 --sweeps 60 --burn-in 20 --thin 2 " +
                         "--seed 5 --out '" + f.data + "'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return f;
}

std::string read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(LearnCli, WritesALoadableModelAndAJsonLinesLog) {
  const Fixture f = make_fixture();
  const auto r = run_dgm("learn '" + f.model + "' --data '" + f.data +
                         "' --method exact --epochs 8 --batch-size 50 --lr 0.03 --out '" + f.dir +
                         "/learned.pbtxt' --log '" + f.dir + "/log.jsonl' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["command"], "learn");
  EXPECT_EQ(doc["finished"], true);
  EXPECT_EQ(doc["epochs_done"], 8);
  EXPECT_EQ(doc["updates"], 8 * 20);
  ASSERT_EQ(doc["epochs"].size(), 8u);
  std::istringstream log(read(f.dir + "/log.jsonl"));
  std::string line;
  int lines = 0;
  while (std::getline(log, line)) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_EQ(j["epoch"], ++lines);
    EXPECT_EQ(j["proxy_name"], "pseudo_log_likelihood");
    EXPECT_TRUE(j["gradient_norm"].is_number());
  }
  EXPECT_EQ(lines, 8);
  // The learned model loads everywhere, and its numbers moved toward the truth.
  const engine::CompiledModel learned = engine::load_compiled(f.dir + "/learned.pbtxt");
  EXPECT_NEAR(learned.params.values[0], 0.4, 0.1);
  EXPECT_NEAR(learned.params.values[1], -0.2, 0.1);
  EXPECT_EQ(run_dgm("check '" + f.dir + "/learned.pbtxt'").exit_code, 0);
}

TEST(LearnCli, ResumingAFinishedRunEqualsOneLongRun) {
  const Fixture f = make_fixture();
  for (const std::string method : {"pcd --sampler gwg --k 2", "cd", "pmp"}) {
    SCOPED_TRACE(method);
    const std::string common = "learn '" + f.model + "' --data '" + f.data + "' --method " +
                               method + " --batch-size 40 --lr 0.1 --seed 3 --mixing-every 1 ";
    ASSERT_EQ(run_dgm(common + "--epochs 3 --out '" + f.dir + "/whole.pbtxt'").exit_code, 0);
    const auto first = run_dgm(common + "--epochs 1 --out '" + f.dir + "/part.pbtxt'");
    ASSERT_EQ(first.exit_code, 0) << first.err;
    const auto rest =
        run_dgm("learn '" + f.model + "' --data '" + f.data + "' --resume '" + f.dir +
                "/part.pbtxt.checkpoint' --epochs 3 --threads 1 --out '" + f.dir + "/part.pbtxt'");
    ASSERT_EQ(rest.exit_code, 0) << rest.err;
    EXPECT_THAT(rest.out, HasSubstr("resuming at epoch 2"));
    EXPECT_EQ(read(f.dir + "/part.pbtxt"), read(f.dir + "/whole.pbtxt"));
  }
}

TEST(LearnCli, CtrlCWritesACheckpointThatContinuesExactly) {
  const Fixture f = make_fixture();
  const std::string common = "learn '" + f.model + "' --data '" + f.data +
                             "' --method pcd --batch-size 10 --lr 0.01 --seed 8 --mixing-every 0 ";
  // SIGINT to a run that would take far longer, once its log shows a finished epoch (a fixed
  // delay may fall before the first update on a loaded machine); the shell reports its status.
  const std::string script = testing::write_file(
      f.dir, "interrupt.sh",
      "'" + std::string(DGM_BINARY) + "' " + common + "--epochs 100000000 --log '" + f.dir +
          "/i.jsonl' --out '" + f.dir + "/i.pbtxt' >'" + f.dir + "/out' 2>&1 &\n" +
          "pid=$!\nfor i in $(seq 600); do [ -s '" + f.dir +
          "/i.jsonl' ] && break; sleep 0.05; done\nkill -INT $pid\nwait $pid\n");
  const int status = std::system(("bash '" + script + "'").c_str());
  EXPECT_EQ(WEXITSTATUS(status), 130) << read(f.dir + "/out");
  const std::string out = read(f.dir + "/out");
  std::smatch m;
  ASSERT_TRUE(
      std::regex_search(out, m, std::regex("interrupted after update (\\d+) \\(epoch (\\d+)\\)")))
      << out;
  const long epoch = std::stol(m[2]);
  ASSERT_TRUE(std::filesystem::exists(f.dir + "/i.pbtxt"));
  const auto rest = run_dgm("learn '" + f.model + "' --data '" + f.data + "' --resume '" + f.dir +
                            "/i.pbtxt.checkpoint' --epochs " + std::to_string(epoch + 1) +
                            " --out '" + f.dir + "/i.pbtxt'");
  ASSERT_EQ(rest.exit_code, 0) << rest.err;
  ASSERT_EQ(run_dgm(common + "--epochs " + std::to_string(epoch + 1) + " --out '" + f.dir +
                    "/whole.pbtxt'")
                .exit_code,
            0);
  EXPECT_EQ(read(f.dir + "/i.pbtxt"), read(f.dir + "/whole.pbtxt"));
}

TEST(LearnCli, RefusalsNameTheProblemAndWriteNothing) {
  const Fixture f = make_fixture();
  const std::string bad =
      testing::write_file(f.dir, "bad.csv", "0,1,0,1,0,1,0,1,0\n0,1,0,1,2,1,0,1,0\n");
  const auto r =
      run_dgm("learn '" + f.model + "' --data '" + bad + "' --out '" + f.dir + "/never.pbtxt'");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, AllOf(HasSubstr("bad.csv"), HasSubstr("row 1"), HasSubstr("column 4")));
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/never.pbtxt"));
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/never.pbtxt.checkpoint"));

  const std::string narrow = testing::write_file(f.dir, "narrow.csv", "0,1\n1,0\n");
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + narrow + "'").err,
              HasSubstr("narrow.csv"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --method magic").err,
              HasSubstr("unknown method 'magic'"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --sampler nope").err,
              HasSubstr("unknown sampler 'nope'"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --epochs 0").err,
              HasSubstr("--epochs must be ≥ 1 (got 0)"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --batch-size 0").err,
              HasSubstr("--batch-size must be ≥ 1"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --lr nan").err,
              HasSubstr("learning rate"));
  EXPECT_THAT(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --log '" + f.data + "'").err,
              HasSubstr("is an input file"));
  // A missing output folder is refused before training, naming the folder, for each output.
  for (const std::string flag : {"--out", "--checkpoint", "--log"}) {
    const auto missing = run_dgm("learn '" + f.model + "' --data '" + f.data + "' " + flag + " '" +
                                 f.dir + "/no/such/folder/x.pbtxt'");
    EXPECT_EQ(missing.exit_code, 1) << flag;
    EXPECT_THAT(missing.err, AllOf(HasSubstr("no folder"), HasSubstr("/no/such/folder"))) << flag;
    EXPECT_THAT(missing.out, Not(HasSubstr("epoch"))) << flag;
  }

  ASSERT_EQ(run_dgm("learn '" + f.model + "' --data '" + f.data + "' --epochs 1 --out '" + f.dir +
                    "/a.pbtxt'")
                .exit_code,
            0);
  const auto changed = run_dgm("learn '" + f.model + "' --data '" + f.data + "' --resume '" +
                               f.dir + "/a.pbtxt.checkpoint' --lr 0.5");
  EXPECT_EQ(changed.exit_code, 1);
  EXPECT_THAT(changed.err, HasSubstr("--lr cannot change when resuming"));
  const auto garbage = testing::write_file(f.dir, "garbage.checkpoint", "not a checkpoint");
  EXPECT_THAT(
      run_dgm("learn '" + f.model + "' --data '" + f.data + "' --resume '" + garbage + "'").err,
      HasSubstr("garbage.checkpoint"));
}

// --init-visible-bias-from-data: per-variable log-odds biases start at the data's log-odds (said
// in the output); a model with none (the fixture's tied spin field) is refused before training.
TEST(LearnCli, VisibleBiasesStartFromTheDataOrAreRefused) {
  const Fixture f = make_fixture();
  const auto refused = run_dgm("learn '" + f.model + "' --data '" + f.data +
                               "' --init-visible-bias-from-data --out '" + f.dir + "/r.pbtxt'");
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_THAT(refused.err, HasSubstr("no learnable log-odds unary factor"));
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/r.pbtxt"));
  const std::string biased = testing::write_file(f.dir, "biased.pbtxt", R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "J" value: 0.0 learnable: true }
    parameters { name: "b" shape: [9] init { constant: 0 } learnable: true }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "bias" unary { log_odds: "b" } each: "s" })");
  const auto r =
      run_dgm("learn '" + biased + "' --data '" + f.data +
              "' --init-visible-bias-from-data --epochs 1 --out '" + f.dir + "/b.pbtxt'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("visible biases: 9 values of 'b' start at the data's log-odds"));
}

TEST(LearnCli, ReferenceLogsTheRmseAndPlotDrawsCurvesAndSamples) {
  if (const std::string why = testing::plotting_unavailable_reason(); !why.empty())
    GTEST_SKIP() << why;
  const Fixture f = make_fixture();
  const auto r = run_dgm("learn '" + f.model + "' --data '" + f.data +
                         "' --method pcd --epochs 6 --batch-size 50 --lr 0.03 --reference '" +
                         f.dir + "/truth.pbtxt' --plot '" + f.dir + "/plots' --out '" + f.dir +
                         "/r.pbtxt' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);  // the script's lines stayed off stdout
  const auto& epochs = doc["epochs"];
  ASSERT_EQ(epochs.size(), 6u);
  // From J = h = 0 toward (0.4, −0.2): RMSE √((0.16 + 0.04) / 2) ≈ 0.32 before any step;
  // after each epoch (20 updates) it is within PCD's noise of the truth.
  for (const auto& e : epochs) EXPECT_LT(e["parameter_rmse"].get<double>(), 0.15) << e.dump();
  ASSERT_EQ(doc["figures"].size(), 2u);
  for (const auto& figure : doc["figures"]) {
    std::ifstream png(figure.get<std::string>(), std::ios::binary);
    char magic[8] = {};
    png.read(magic, 8);
    EXPECT_EQ(std::string(magic + 1, 3), "PNG") << figure;
  }
  EXPECT_TRUE(std::filesystem::exists(f.dir + "/plots/log.jsonl"));
  // A reference with other parameters is refused before training.
  const std::string other = testing::write_file(f.dir, "other.pbtxt", R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "K" value: 0.1 }
    factors { name: "bonds" ising { coupling: "K" } lattice { group: "s" } })");
  const auto bad = run_dgm("learn '" + f.model + "' --data '" + f.data + "' --reference '" + other +
                           "' --out '" + f.dir + "/never.pbtxt'");
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_FALSE(std::filesystem::exists(f.dir + "/never.pbtxt"));
}

TEST(LearnCli, AConfigFileHoldsTheSettingsAndFlagsOverrideIt) {
  const Fixture f = make_fixture();
  const std::string config = testing::write_file(f.dir, "learn.pbtxt", R"(
    method: "pcd" sampler: "chromatic-gibbs" k: 2 epochs: 2 batch_size: 25
    optimizer: "adam" learning_rate: 0.05 seed: 4 mixing_every: 0)");
  const auto r = run_dgm("learn '" + f.model + "' --data '" + f.data + "' --config '" + config +
                         "' --epochs 1 --format json --out '" + f.dir + "/c.pbtxt'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto doc = nlohmann::json::parse(r.out);
  EXPECT_EQ(doc["epochs_done"], 1);
  EXPECT_EQ(doc["updates"], 40);  // 1000 examples / 25
  EXPECT_EQ(doc["epochs"][0]["sampler"], "chromatic-gibbs");
  EXPECT_EQ(doc["epochs"][0]["k"], 2);
  const std::string broken = testing::write_file(f.dir, "broken.pbtxt", "method: \"pcd\"\nk: x\n");
  const auto e =
      run_dgm("learn '" + f.model + "' --data '" + f.data + "' --config '" + broken + "'");
  EXPECT_EQ(e.exit_code, 1);
  EXPECT_THAT(e.err, HasSubstr("broken.pbtxt:2"));
}

}  // namespace
}  // namespace dgm
