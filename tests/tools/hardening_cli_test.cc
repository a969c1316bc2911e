// What the hardening review found through the dgm program, each now a clear error or an honest
// summary: outputs written over inputs, directories read as empty files, numbers on the
// command line wrapped into range, control bytes cutting messages short, error bars that do not
// exist, means of no samples, and models beyond the numerical range.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "dgm/session.pb.h"
#include "inference/session/session.h"
#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_dgm;
using testing::scratch_dir;
using testing::source_path;
using testing::write_file;

const std::string kChain = source_path("examples/tiny_chain.pbtxt");

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

void expect_error(const testing::CommandResult& r, const std::string& a,
                  const std::string& b = "") {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("dgm: error: "), HasSubstr(a), HasSubstr(b)));
  EXPECT_THAT(r.err, Not(HasSubstr("internal error")));
}

// A copy of the quick-start model in a scratch folder, which the tests may try to overwrite.
std::string scratch_model(const std::string& dir) {
  return write_file(dir, "m.pbtxt", read_file(kChain));
}

TEST(HardeningCli, QueryOutputsNeverOverwriteInputs) {
  const std::string dir = scratch_dir();
  const std::string model = scratch_model(dir);
  const std::string evidence = write_file(dir, "e.evid", "1 0 1\n");
  const std::string original = read_file(model);
  for (const char* command : {"logz", "marginals", "map"}) {
    SCOPED_TRACE(command);
    expect_error(run_dgm(std::string(command) + " '" + model + "' --out '" + model + "'"), "--out",
                 "is the model");
    expect_error(run_dgm(std::string(command) + " '" + model + "' --evidence '" + evidence +
                         "' --out '" + evidence + "'"),
                 "is the evidence");
    // The same file by another name.
    expect_error(run_dgm(std::string(command) + " '" + model + "' --out '" + dir + "/./m.pbtxt'"),
                 "is the model");
    expect_error(run_dgm(std::string(command) + " '" + model + "' --out '" + dir + "'"),
                 "is a directory");
  }
  EXPECT_EQ(read_file(model), original);
  EXPECT_EQ(read_file(evidence), "1 0 1\n");
  // A real output is written whole (through a temporary file, none left behind).
  const auto ok = run_dgm("logz '" + model + "' --out '" + dir + "/z.txt'");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_THAT(read_file(dir + "/z.txt"), HasSubstr("log Z    8.130839878"));
  for (const auto& entry : std::filesystem::directory_iterator(dir))
    EXPECT_THAT(entry.path().filename().string(), Not(HasSubstr(".tmp")));
}

TEST(HardeningCli, ConvertRefusesToWriteOverItsInputs) {
  const std::string dir = scratch_dir();
  const std::string model = scratch_model(dir);
  const std::string original = read_file(model);
  expect_error(run_dgm("convert '" + model + "' '" + model + "'"), "is the input model");
  std::filesystem::create_symlink(model, dir + "/link.pbtxt");
  expect_error(run_dgm("convert '" + dir + "/link.pbtxt' '" + model + "'"), "is the input model");
  const std::string evidence = write_file(dir, "e.evid", "1 0 1\n");
  expect_error(run_dgm("convert '" + model + "' '" + dir + "/c.uai' --evidence '" + evidence +
                       "' --evidence-out '" + evidence + "'"),
               "--evidence-out", "is the evidence");
  expect_error(
      run_dgm("convert '" + model + "' '" + dir + "/c.uai' --evidence-out '" + dir + "/c.uai'"),
      "is the output model file");
  EXPECT_EQ(read_file(model), original);  // comments and all
  const auto ok = run_dgm("convert '" + model + "' '" + dir + "/c.uai' --evidence '" + evidence +
                          "' --evidence-out '" + dir + "/c.evid'");
  ASSERT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(read_file(dir + "/c.evid"), "1 0 1\n");
}

TEST(HardeningCli, DirectoriesAreNotEmptyFiles) {
  const std::string dir = scratch_dir();
  std::filesystem::create_directory(dir + "/d.uai");
  std::filesystem::create_directory(dir + "/ev");
  expect_error(run_dgm("check '" + dir + "/d.uai'"), "d.uai: is a directory");
  expect_error(run_dgm("marginals '" + kChain + "' --evidence '" + dir + "/ev'"),
               "ev: is a directory");
}

TEST(HardeningCli, NumbersOnTheCommandLineAreNotWrapped) {
  for (const char* seed : {"-1", "99999999999999999999999", "1e3", "7x"}) {
    SCOPED_TRACE(seed);
    const auto r = run_dgm("sample '" + kChain + "' --sweeps 1 --seed " + seed);
    EXPECT_EQ(r.exit_code, 2) << r.out;
    EXPECT_THAT(r.err, HasSubstr("--seed"));
    EXPECT_THAT(r.err, HasSubstr(seed));
  }
  const auto largest =
      run_dgm("sample '" + kChain + "' --sweeps 1 --seed 18446744073709551615 --format json");
  EXPECT_EQ(largest.exit_code, 0) << largest.err;
  EXPECT_THAT(run_dgm("compare '" + kChain + "' --seed -2").err, HasSubstr("--seed"));
  EXPECT_THAT(run_dgm("learn '" + kChain + "' --seed -2").err, HasSubstr("--seed"));
  for (const std::string& flags :
       {"marginals '" + kChain + "' --max-factor-table -5",
        "logz '" + kChain + "' --method enumerate --max-configurations -1",
        "marginals '" + kChain + "' --max-table-size -1",
        "check '" + kChain + "' --width-cap -1"}) {
    SCOPED_TRACE(flags);
    const auto r = run_dgm(flags);
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_THAT(r.err, HasSubstr("is negative; a limit must be 0 or more"));
  }
}

TEST(HardeningCli, ControlBytesInTokensAreShownNotPrinted) {
  const std::string dir = scratch_dir();
  const std::string evidence = write_file(dir, "nul.evid", std::string("2 0 1\n 1 \0x1\n", 13));
  const auto r = run_dgm("marginals '" + kChain + "' --evidence '" + evidence + "'");
  expect_error(r, "nul.evid:2:", "'\\x00x1'");
}

TEST(HardeningCli, NoErrorBarsWithOneChainAndNoMeansWithoutSamples) {
  const auto one = run_dgm("marginals '" + kChain + "' --method gibbs --chains 1 --sweeps 200");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  EXPECT_THAT(one.out, Not(HasSubstr("±")));
  EXPECT_THAT(one.err, HasSubstr("one chain: the marginals have no error bars"));
  const auto json =
      run_dgm("marginals '" + kChain + "' --method gibbs --chains 1 --sweeps 200 --format json");
  EXPECT_THAT(json.out, HasSubstr("\"no_error_bars\""));
  const auto two = run_dgm("marginals '" + kChain + "' --method gibbs --chains 2 --sweeps 200");
  EXPECT_THAT(two.out, HasSubstr("±"));
  expect_error(
      run_dgm("marginals '" + kChain + "' --method gibbs --chains 4 --sweeps 10 --burn-in 10"),
      "no samples were kept", "--burn-in 10 of --sweeps 10");
  const auto none = run_dgm("sample '" + kChain + "' --chains 4 --sweeps 10 --burn-in 10");
  ASSERT_EQ(none.exit_code, 0) << none.err;
  EXPECT_THAT(none.out, HasSubstr("no samples kept"));
  EXPECT_THAT(none.out, Not(HasSubstr("mean x")));
}

TEST(HardeningCli, ModelsBeyondTheNumericalRangeAreRefused) {
  const std::string dir = scratch_dir();
  const std::string huge = write_file(dir, "huge.pbtxt", R"(
variables { name: "s" shape: [3] cardinality: 2 }
parameters { name: "J" value: 1.7e308 }
factors { name: "ring" ising { coupling: "J" } scope: "s[0] s[1]" scope: "s[1] s[2]" })");
  for (const char* command :
       {"check", "logz", "marginals --method bp", "map --method enumerate", "sample --sweeps 1"}) {
    SCOPED_TRACE(command);
    const std::string c(command);
    const auto space = c.find(' ');
    const std::string args = space == std::string::npos ? "" : c.substr(space);
    expect_error(run_dgm(c.substr(0, space) + " '" + huge + "'" + args),
                 "huge.pbtxt:4:", "factor group 'ring'");
  }
  // Within dgm's range but beyond PMP's: PMP refuses with its reason; Gibbs samples.
  const std::string big = write_file(dir, "big.pbtxt", R"(
variables { name: "s" shape: [3] cardinality: 2 }
parameters { name: "J" value: -1e15 }
factors { name: "ring" ising { coupling: "J" }
          scope: "s[0] s[1]" scope: "s[1] s[2]" scope: "s[2] s[0]" })");
  expect_error(run_dgm("sample '" + big + "' --sampler pmp --sweeps 1"), "noise_scale · 2^42");
  EXPECT_EQ(run_dgm("sample '" + big + "' --sampler gibbs --sweeps 10").exit_code, 0);
  const auto pair = write_file(dir, "pair.pbtxt", R"(
variables { name: "s" shape: [2] cardinality: 2 }
parameters { name: "J" value: 1e16 }
factors { name: "b" ising { coupling: "J" } scope: "s[0] s[1]" })");
  const auto m = run_dgm("marginals '" + pair + "'");
  ASSERT_EQ(m.exit_code, 0) << m.err;
  EXPECT_THAT(m.out, HasSubstr("s[0]  0: 0.500000  1: 0.500000"));
  // log p(x*) = f(x*) − log Z = 1e16 − (1e16 + log 2) is 0 in doubles: the summary says so.
  const auto map = run_dgm("map '" + pair + "'");
  EXPECT_THAT(map.out, HasSubstr("log p(x* | evidence) = 0 (to within"));
  EXPECT_THAT(run_dgm("map '" + kChain + "'").out, Not(HasSubstr("to within")));
}

// How many runs the SIGKILL tests kill: DGM_KILL_RUNS, or 3 (each run is killed one to three
// times). `DGM_KILL_RUNS=50 build/tests/cli_test --gtest_filter='*Sigkill*'` is the long form.
int kill_runs() {
  const char* text = std::getenv("DGM_KILL_RUNS");
  return text != nullptr && std::atoi(text) > 0 ? std::atoi(text) : 3;
}

// Starts `command` in the background, kills it with SIGKILL after `milliseconds` (or lets it
// end first) and waits for it.
void kill_after(const std::string& command, int milliseconds) {
  const std::string cmd = "timeout -s KILL " + std::to_string(milliseconds / 1000.0) + " " +
                          command + " >/dev/null 2>&1";
  const int status = std::system(cmd.c_str());
  ASSERT_TRUE(WIFEXITED(status) || WIFSIGNALED(status));
}

// The row count of a .npy file's header, and how many whole rows of `row_bytes` follow it.
struct NpyOnDisk {
  std::int64_t header_rows = -1, whole_rows = -1;
};

NpyOnDisk npy_on_disk(const std::string& path, std::int64_t row_bytes) {
  const std::string bytes = read_file(path);
  NpyOnDisk d;
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) return d;
  const std::size_t header_len =
      static_cast<unsigned char>(bytes[8]) |
      (static_cast<std::size_t>(static_cast<unsigned char>(bytes[9])) << 8);
  const std::string header = bytes.substr(10, header_len);
  const std::size_t shape = header.find("'shape': (");
  if (shape == std::string::npos) return d;
  d.header_rows = std::stoll(header.substr(shape + 10));
  d.whole_rows = static_cast<std::int64_t>(bytes.size() - 10 - header_len) / row_bytes;
  return d;
}

// SIGKILL at random moments of dgm sample, and again while resuming: every file left is a valid
// .npy whose header never claims a row that is not on disk (rows are flushed before the header
// that counts them is rewritten, engine/npy.cc), the session beside it always loads (written
// through a temporary file and a rename), and resuming gives the uninterrupted run's samples.
TEST(HardeningCli, SamplesSurviveSigkillAtRandomMoments) {
  const std::string dir = scratch_dir();
  const std::string model = source_path("examples/ising_2d.pbtxt");
  const std::string flags = " --chains 3 --seed 11 --threads 1";
  const std::int64_t sweeps = 1500;
  const auto whole = run_dgm("sample '" + model + "'" + flags + " --sweeps " +
                             std::to_string(sweeps) + " --out '" + dir + "/whole.npy'");
  ASSERT_EQ(whole.exit_code, 0) << whole.err;
  const std::string expected = read_file(dir + "/whole.npy");
  const auto shape = npy_on_disk(dir + "/whole.npy", 1);  // |u1: one byte per value
  const std::int64_t columns = shape.whole_rows / (3 * sweeps);
  ASSERT_GT(columns, 0);
  std::mt19937 random(2026);
  std::uniform_int_distribution<int> delay(20, 700);
  int kills = 0, files_checked = 0;
  for (int run = 0; run < kill_runs(); ++run) {
    const std::string out = dir + "/k" + std::to_string(run) + ".npy";
    const std::string start = "'" + std::string(DGM_BINARY) + "' sample '" + model + "'" + flags +
                              " --sweeps " + std::to_string(sweeps) + " --out '" + out + "'";
    kill_after(start, delay(random));
    ++kills;
    // Kill the resumed run too, once or twice, then let it finish.
    for (int again = 0; again <= run % 3; ++again) {
      if (!std::filesystem::exists(out + ".session")) break;  // killed before it was written
      const NpyOnDisk d = npy_on_disk(out, columns);
      ASSERT_GE(d.header_rows, 0) << out;
      EXPECT_LE(d.header_rows, d.whole_rows) << out;
      EXPECT_EQ(d.header_rows % 3, 0) << "the header counts whole sweeps of 3 chains";
      ++files_checked;
      // --sweeps on a resumed run counts from the saved session (which a finished run saved
      // at its end).
      const std::int64_t left =
          sweeps - inference::Session::read_checkpoint(out + ".session").sweeps_done();
      if (left == 0) break;
      const std::string resume = "'" + std::string(DGM_BINARY) + "' sample '" + model +
                                 "' --sweeps " + std::to_string(left) + " --resume '" + out + "'";
      kill_after(resume, delay(random));
      ++kills;
    }
    if (!std::filesystem::exists(out + ".session")) {
      // Killed before the run began: no session, so nothing to resume; start again.
      ASSERT_EQ(run_dgm("sample '" + model + "'" + flags + " --sweeps " + std::to_string(sweeps) +
                        " --out '" + out + "'")
                    .exit_code,
                0);
    } else if (const std::int64_t left =
                   sweeps - inference::Session::read_checkpoint(out + ".session").sweeps_done();
               left > 0) {
      const auto r = run_dgm("sample '" + model + "' --sweeps " + std::to_string(left) +
                             " --resume '" + out + "'");
      ASSERT_EQ(r.exit_code, 0) << r.err;
    }
    EXPECT_EQ(read_file(out), expected) << out;
    ++files_checked;
  }
  EXPECT_GE(kills, kill_runs());
  std::printf("SIGKILL test: %d kills, %d files checked (header rows of the whole run: %lld)\n",
              kills, files_checked, static_cast<long long>(shape.header_rows));
}

// SIGKILL of dgm learn at random moments: the checkpoint and the model are written through a
// temporary file and a rename, so whatever is left loads, and --resume from the checkpoint
// reaches the parameters of one uninterrupted run.
TEST(HardeningCli, LearningSurvivesSigkillAtRandomMoments) {
  const std::string dir = scratch_dir();
  const std::string model = write_file(dir, "model.pbtxt", R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "J" value: 0.0 learnable: true }
    parameters { name: "h" value: 0.0 learnable: true }
    factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" } }
    factors { name: "field" unary { field: "h" } each: "s" })");
  const std::string data = dir + "/data.npy";
  // Data of the 3×3 model with J = 0.4, h = −0.2.
  std::string truth_text = read_file(model);
  truth_text.replace(truth_text.find("value: 0.0"), 10, "value: 0.4");
  truth_text.replace(truth_text.find("value: 0.0"), 10, "value: -0.2");
  const std::string truth = write_file(dir, "truth.pbtxt", truth_text);
  ASSERT_EQ(run_dgm("sample '" + truth + "' --chains 50 --sweeps 40 --burn-in 20 --seed 5 --out '" +
                    data + "'")
                .exit_code,
            0);
  const std::string common = "learn '" + model + "' --data '" + data +
                             "' --method pcd --batch-size 10 --lr 0.01 --seed 8 --threads 1 "
                             "--mixing-every 0 --epochs 60 ";
  const auto started = std::chrono::steady_clock::now();
  ASSERT_EQ(run_dgm(common + "--out '" + dir + "/whole.pbtxt'").exit_code, 0);
  const std::string expected = read_file(dir + "/whole.pbtxt");
  // Kill moments spread over the uninterrupted run's own duration: fixed delays, on a loaded
  // machine or under a sanitizer, all fell before the first checkpoint and tested no resume.
  const auto whole_ms = static_cast<int>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - started)
                                             .count());
  std::mt19937 random(7);
  std::uniform_int_distribution<int> delay(std::max(30, whole_ms / 20), std::max(900, whole_ms));
  int resumed = 0;
  for (int run = 0; run < kill_runs(); ++run) {
    const std::string out = dir + "/k" + std::to_string(run) + ".pbtxt";
    kill_after(
        "'" + std::string(DGM_BINARY) + "' " + common + "--checkpoint-every 7 --out '" + out + "'",
        delay(random));
    if (std::filesystem::exists(out)) {  // a finished run's model is whole
      EXPECT_EQ(run_dgm("check '" + out + "'").exit_code, 0);
    }
    if (!std::filesystem::exists(out + ".checkpoint")) continue;  // killed before the first one
    const auto r = run_dgm("learn '" + model + "' --data '" + data + "' --resume '" + out +
                           ".checkpoint' --epochs 60 --out '" + out + "'");
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(read_file(out), expected) << out;
    ++resumed;
  }
  EXPECT_GE(resumed, 1) << "no kill left a checkpoint to test resuming";
  std::printf("SIGKILL test (learn): %d runs killed, %d resumed from their checkpoint\n",
              kill_runs(), resumed);
}

}  // namespace
}  // namespace dgm
