// Bad input through the dgm program: every mistake gets exit code 1 and a message naming the
// file (with line:col for text files) and the offending name or value; never a crash or hang.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_dgm;
using testing::scratch_dir;
using testing::write_file;

// Writes `model` to a scratch file, runs `dgm check` on it and returns the result.
testing::CommandResult check_model(const std::string& model, const std::string& name = "m.pbtxt",
                                   const std::string& extra = "") {
  const std::string path = write_file(scratch_dir(), name, model);
  return run_dgm("check '" + path + "' " + extra);
}

void expect_error(const testing::CommandResult& r, const std::string& a, const std::string& b) {
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_THAT(r.err, AllOf(HasSubstr("dgm: error: "), HasSubstr(a), HasSubstr(b)));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("internal error")));
}

TEST(BadInput, SyntaxError) {
  expect_error(
      check_model("variables { name: \"x\" cardinality: 2 }\nvariables { name: \"y\" card: 2 }\n"),
      "m.pbtxt:2:", "card");
}

TEST(BadInput, UnknownParameter) {
  expect_error(check_model(R"(variables { name: "x" shape: [2] cardinality: 2 }
factors { name: "f" ising { coupling: "J" } scope: "x[0] x[1]" })"),
               "m.pbtxt:2:", "unknown parameter 'J'");
}

TEST(BadInput, UnknownVariableGroup) {
  expect_error(check_model(R"(variables { name: "x" shape: [2] cardinality: 2 }
parameters { name: "J" value: 1 }
factors { name: "f" ising { coupling: "J" } lattice { group: "z" } })"),
               "m.pbtxt:3:", "unknown variable group 'z'");
}

TEST(BadInput, DuplicateName) {
  expect_error(
      check_model(
          "variables { name: \"x\" cardinality: 2 }\nvariables { name: \"x\" cardinality: 2 }"),
      "m.pbtxt:2:", "duplicate variable group name");
}

TEST(BadInput, WrongTableSize) {
  expect_error(check_model(R"(variables { name: "x" shape: [3] cardinality: 3 }
parameters { name: "T" shape: [3, 3, 2] init { constant: 0 } }
factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[2]" })"),
               "m.pbtxt:3:", "'T' has shape [3, 3, 2]");
}

TEST(BadInput, CardinalityBelowTwo) {
  expect_error(check_model("variables { name: \"x\" cardinality: 1 }"),
               "m.pbtxt:1:", "cardinality 1 is invalid");
}

TEST(BadInput, OverflowingAndLimitedShapes) {
  expect_error(
      check_model("variables { name: \"x\" shape: [9223372036854775807, 2] cardinality: 2 }"),
      "m.pbtxt:1:", "variables, over the cap of");
  expect_error(check_model("variables { name: \"x\" shape: [1000, 1000] cardinality: 2 }",
                           "m.pbtxt", "--max-variables 1000"),
               "m.pbtxt:1:", "needs 1000000 variables, over the cap of 1000");
}

TEST(BadInput, NanAndInfPotentials) {
  expect_error(
      check_model(
          "variables { name: \"x\" cardinality: 2 }\nparameters { name: \"p\" value: nan }"),
      "m.pbtxt:2:", "is nan");
  expect_error(
      check_model(
          "variables { name: \"x\" cardinality: 2 }\nparameters { name: \"p\" value: inf }"),
      "m.pbtxt:2:", "is inf");
}

TEST(BadInput, EvidenceOutOfRange) {
  expect_error(check_model(R"(variables { name: "x" shape: [2] cardinality: 3 }
evidence { variable: "x[1]" value: 3 })"),
               "m.pbtxt:2:", "value 3 for x[1] is out of range");
  const std::string dir = scratch_dir();
  const std::string model =
      write_file(dir, "m.pbtxt", "variables { name: \"x\" shape: [2] cardinality: 3 }");
  const std::string evid = write_file(dir, "e.evid", "1 1 7\n");
  expect_error(run_dgm("check '" + model + "' --evidence '" + evid + "'"), "e.evid", "7");
  const std::string evid2 = write_file(dir, "f.evid", "1 5 0\n");
  expect_error(run_dgm("check '" + model + "' --evidence '" + evid2 + "'"), "f.evid", "5");
}

TEST(BadInput, VariableRepeatedInFactor) {
  expect_error(check_model(R"(variables { name: "x" shape: [2] cardinality: 2 }
parameters { name: "J" value: 1 }
factors { name: "f" ising { coupling: "J" } scope: "x[1] x[1]" })"),
               "m.pbtxt:3:", "x[1] appears twice");
}

TEST(BadInput, EmptyModel) {
  expect_error(check_model(""), "m.pbtxt", "declares no variables");
  expect_error(check_model("# only a comment\n"), "m.pbtxt", "declares no variables");
}

TEST(BadInput, MissingUnreadableAndUnknownFiles) {
  const std::string dir = scratch_dir();
  expect_error(run_dgm("check '" + dir + "/nope.pbtxt'"), "nope.pbtxt", "cannot open");
  expect_error(run_dgm("check '" + dir + "'/"), "", "unknown model file extension");
  std::filesystem::create_directories(dir + "/d.pbtxt");
  expect_error(run_dgm("check '" + dir + "/d.pbtxt'"), "d.pbtxt", "is a directory");
  write_file(dir, "garbage.pb", std::string("\xff\xff\xff\xff\x0f garbage", 13));
  expect_error(run_dgm("check '" + dir + "/garbage.pb'"), "garbage.pb", "not a valid binary");
  expect_error(run_dgm("check '" + dir + "/m.xyz'"), "m.xyz", "unknown model file extension");
}

TEST(BadInput, NpyWrongDtypeAndShape) {
  const std::string dir = scratch_dir();
  engine::write_npy(dir + "/w.npy", {2, 3}, {1, 2, 3, 4, 5, 6}, "<i4");
  write_file(dir, "m.pbtxt", R"(variables { name: "x" cardinality: 2 }
parameters { name: "W" shape: [2, 3] npy: "w.npy" })");
  expect_error(run_dgm("check '" + dir + "/m.pbtxt'"), "m.pbtxt:2:", "dtype '<i4' not supported");
  engine::write_npy(dir + "/v.npy", {3, 2}, {1, 2, 3, 4, 5, 6}, "<f4");
  write_file(dir, "n.pbtxt", R"(variables { name: "x" cardinality: 2 }
parameters { name: "W" shape: [2, 3] npy: "v.npy" })");
  expect_error(run_dgm("check '" + dir + "/n.pbtxt'"), "n.pbtxt:2:", "has shape [3, 2]");
}

TEST(BadInput, MalformedUai) {
  expect_error(check_model("MARKOV\n2\n2 2\n1\n2 0 5\n\n4\n1 1 1 1\n", "m.uai"), "m.uai:5", "5");
  expect_error(check_model("MARKOV\n2\n2 2\n1\n2 0 1\n\n4\n1 1 nan 1\n", "m.uai"), "m.uai:8",
               "nan");
}

TEST(BadInput, BinaryModelWithUnknownFields) {
  const std::string dir = scratch_dir();
  // Field 99 (varint 1) is not in the schema.
  write_file(
      dir, "u.pb",
      std::string("\x0a\x0b\x0a\x01x\x18\x02\x98\x06\x01", 10) + std::string("\x98\x06\x01", 3));
  expect_error(run_dgm("check '" + dir + "/u.pb'"), "u.pb", "does not define");
  write_file(dir, "t.pb", "variables { name: \"x\" cardinality: 2 }");
  expect_error(run_dgm("check '" + dir + "/t.pb'"), "t.pb", ".pbtxt");
}

// An unknown command is named, with the closest command when there is one and the list.
TEST(BadInput, UnknownCommandNamesTheWordTheClosestCommandAndTheList) {
  const std::string list =
      "the commands are check, compare, convert, data, learn, logz, map, marginals, plot, sample, "
      "samplers, "
      "score";
  for (const auto& [word, closest] :
       std::vector<std::pair<std::string, std::string>>{{"marginal", "marginals"},
                                                        {"mapp", "map"},
                                                        {"Check", "check"},
                                                        {"smaple", "sample"},
                                                        {"sampler", "samplers"},
                                                        {"frobnicate", ""}}) {
    const auto r = run_dgm(word + " model.pbtxt");
    EXPECT_EQ(r.exit_code, 2) << word;
    EXPECT_EQ(r.out, "") << word;
    EXPECT_THAT(r.err, HasSubstr("dgm: error: unknown command '" + word + "'")) << word;
    if (closest.empty()) {
      EXPECT_THAT(r.err, Not(HasSubstr("did you mean"))) << word;
    } else {
      EXPECT_THAT(r.err, HasSubstr("did you mean '" + closest + "'?")) << word;
    }
    EXPECT_THAT(r.err, HasSubstr(list)) << word;
  }
  auto r = run_dgm("--frobnicate model.pbtxt");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("unknown option '--frobnicate' before the command"));
  EXPECT_THAT(r.err, HasSubstr(list));
  r = run_dgm("--version");
  EXPECT_EQ(r.exit_code, 0);
  r = run_dgm("");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("a command is required; " + list));
}

TEST(BadInput, UsageErrorsExitNonZero) {
  const auto r = run_dgm("check");
  EXPECT_NE(r.exit_code, 0);
  const auto s = run_dgm("frobnicate x.pbtxt");
  EXPECT_NE(s.exit_code, 0);
}

// The resource caps (docs/hardening.md): refused before allocating, quickly, naming the file,
// what was asked, the cap and the flag.
std::string lattice_model(const std::string& shape) {
  return "variables { name: \"s\" shape: " + shape +
         " cardinality: 2 }\nparameters { name: \"J\" value: 0.44 }\n"
         "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" periodic: true } "
         "}\n";
}

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

TEST(BadInput, EditedShapesAreRefusedFast) {
  for (const char* shape : {"[64, 65536]", "[268435456]"}) {
    const auto start = std::chrono::steady_clock::now();
    expect_error(check_model(lattice_model(shape)),
                 "m.pbtxt:1:", "over the cap of 2097152 variables (raise it with --max-variables)");
    EXPECT_LT(seconds_since(start), 3.0) << shape;
  }
  expect_error(check_model(lattice_model("[100, 100]"), "m.pbtxt", "--max-factors 1000"),
               "m.pbtxt:3:", "needs 20000 factors, over the cap of 1000 factors");
  expect_error(check_model(lattice_model("[100, 100]"), "m.pbtxt", "--max-memory 100K"),
               "m.pbtxt:", "over the cap of 102400 bytes (raise it with --max-memory)");
  EXPECT_EQ(check_model(lattice_model("[100, 100]"), "m.pbtxt", "--max-memory 2M").exit_code, 0);
  for (const char* bad : {"--max-memory banana", "--max-memory 0", "--max-file-size -5",
                          "--max-factors 0", "--max-chain-states -1"}) {
    const auto r = check_model(lattice_model("[4, 4]"), "m.pbtxt", bad);
    EXPECT_EQ(r.exit_code, 2) << bad << r.err;
  }
}

TEST(BadInput, FilesOverTheSizeCapAndDevicesAreRefusedByName) {
  const std::string dir = scratch_dir();
  const std::string model = write_file(dir, "m.pbtxt", lattice_model("[4, 4]"));
  expect_error(run_dgm("check '" + model + "' --max-file-size 100"),
               "m.pbtxt: the model file needs",
               "over the cap of 100 bytes (raise it with --max-file-size)");
  // The model (174 bytes) fits the cap, the evidence file (a comment and one entry) does not.
  const std::string evid = write_file(dir, "e.evid", "c " + std::string(300, '-') + "\n1 0 1\n");
  expect_error(run_dgm("check '" + model + "' --evidence '" + evid + "' --max-file-size 174"),
               "e.evid: the evidence file needs 309 bytes", "--max-file-size");
  for (const char* name : {"zero.pbtxt", "zero.pb", "zero.uai"}) {
    std::filesystem::create_symlink("/dev/zero", dir + "/" + name);
    const auto start = std::chrono::steady_clock::now();
    expect_error(run_dgm("check '" + dir + "/" + name + "'"), std::string(name) + ": ", "");
    EXPECT_LT(seconds_since(start), 3.0) << name;
  }
}

TEST(BadInput, TooManyChainsAreRefusedUpFront) {
  const std::string dir = scratch_dir();
  const auto start = std::chrono::steady_clock::now();
  expect_error(run_dgm("sample '" + testing::source_path("examples/ising_2d.pbtxt") +
                       "' --chains 100000000 --sweeps 1 --out '" + dir + "/s.npy'"),
               "100000000 chains of 4096 variables needs 409600000000 chain states",
               "over the cap of 268435456 chain states (raise it with --max-chain-states)");
  EXPECT_LT(seconds_since(start), 3.0);
  EXPECT_FALSE(std::filesystem::exists(dir + "/s.npy"));
  const std::string model = write_file(dir, "m.pbtxt", lattice_model("[8, 8]"));
  expect_error(run_dgm("sample '" + model + "' --chains 4 --sweeps 1 --max-chain-states 200"),
               "4 chains of 64 variables needs 256 chain states", "--max-chain-states");
  expect_error(run_dgm("sample '" + model + "' --chains 1000 --sweeps 1 --max-memory 1M"),
               "1000 chains of 64 variables", "(raise it with --max-memory)");
  expect_error(run_dgm("marginals '" + model +
                       "' --method gibbs --chains 4 --sweeps 1 --max-chain-states 200"),
               "4 chains of 64 variables", "--max-chain-states");
  EXPECT_EQ(
      run_dgm("sample '" + model + "' --chains 3 --sweeps 1 --max-chain-states 200").exit_code, 0);
}

}  // namespace
}  // namespace dgm
