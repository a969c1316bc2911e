// The resource caps (engine/resource_limits.h): each is checked before the memory it guards is
// allocated, and its refusal names what was asked, the cap and the flag that raises it.
#include "engine/resource_limits.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>

#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/model_io.h"
#include "tests/support/test_models.h"

namespace dgm::engine {
namespace {

using ::testing::AllOf;
using testing::compile_error;
using testing::compile_text;
using ::testing::HasSubstr;
using testing::scratch_dir;
using testing::write_file;

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), ErrorCode::kLimit) << e.what();
    return e.what();
  }
  return "";
}

double seconds_of(auto&& f) {
  const auto start = std::chrono::steady_clock::now();
  f();
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::string lattice(const std::string& shape, int hood = 4) {
  return "variables { name: \"s\" shape: " + shape +
         " cardinality: 2 }\nparameters { name: \"J\" value: 0.44 }\n"
         "factors { name: \"bonds\" ising { coupling: \"J\" } lattice { group: \"s\" "
         "neighbourhood: " +
         std::to_string(hood) + " periodic: true } }\n";
}

TEST(ResourceLimits, ParseByteCount) {
  EXPECT_EQ(parse_byte_count("12345"), 12345);
  EXPECT_EQ(parse_byte_count("4K"), 4096);
  EXPECT_EQ(parse_byte_count("512M"), std::int64_t{512} << 20);
  EXPECT_EQ(parse_byte_count("8G"), std::int64_t{8} << 30);
  EXPECT_EQ(parse_byte_count("8GiB"), std::int64_t{8} << 30);
  EXPECT_EQ(parse_byte_count("2T"), std::int64_t{2} << 40);
  EXPECT_EQ(parse_byte_count("100B"), 100);
  for (const char* bad : {"", "0", "-1", "G", "1.5G", "8X", "99999999999999999999", "9000000T"})
    EXPECT_EQ(parse_byte_count(bad), -1) << bad;
}

TEST(ResourceLimits, RefusalSaysWhatWasAskedTheCapAndTheFlag) {
  const std::string e = error_of(
      [] { check_cap("m.pbtxt:3:1", "the model", 5000000000, "bytes", 1 << 30, "--max-memory"); });
  EXPECT_THAT(e, AllOf(HasSubstr("m.pbtxt:3:1: the model needs 5000000000 bytes (4.7 GiB)"),
                       HasSubstr("over the cap of 1073741824 bytes (1.0 GiB)"),
                       HasSubstr("(raise it with --max-memory)")));
  EXPECT_THAT(error_of([] { check_cap("f", "x", -1, "factors", 10, "--max-factors"); }),
              HasSubstr("needs more than 9223372036854775807 factors"));
  EXPECT_NO_THROW(check_cap("f", "x", 10, "factors", 10, "--max-factors"));
}

// The defaults take a 1000×1000 lattice (4- and 8-neighbourhood) and a 784×500 RBM.
TEST(ResourceLimits, DefaultsTakeTheModelsTheyAreSizedFor) {
  CompileOptions quick;  // the default caps; only the analyses are skipped, for time
  quick.analyse = false;
  EXPECT_NO_THROW(compile_text(lattice("[1000, 1000]"), quick));
  EXPECT_NO_THROW(compile_text(lattice("[1000, 1000]", 8), quick));
  const CompiledModel rbm = compile_text(R"(
    variables { name: "v" shape: [784] cardinality: 2 }
    variables { name: "h" shape: [500] cardinality: 2 }
    parameters { name: "W" shape: [784, 500] init { normal { stddev: 0.01 } } }
    parameters { name: "b" shape: [784] init { constant: 0 } }
    parameters { name: "c" shape: [500] init { constant: 0 } }
    factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
    factors { name: "vb" unary { log_odds: "b" } each: "v" }
    factors { name: "hb" unary { log_odds: "c" } each: "h" })",
                                         quick);
  // A session of 10,000 chains on it.
  EXPECT_NO_THROW(check_chain_limits("session", 10000, rbm.graph->num_variables(),
                                     rbm.graph->state_offset.back(),
                                     static_cast<std::int64_t>(rbm.graph->memory_bytes()), {}));
  // And 64 chains on the lattice.
  EXPECT_NO_THROW(check_chain_limits("session", 64, 1000000, 2000000, 200 << 20, {}));
}

// A one-line edit of a shape is refused at once, before anything of its size is allocated.
TEST(ResourceLimits, EditedShapesAreRefusedFast) {
  for (const char* shape : {"[64, 65536]", "[268435456]", "[4096, 4096]"}) {
    std::string e;
    const double s = seconds_of([&] { e = compile_error(lattice(shape)); });
    EXPECT_THAT(e, AllOf(HasSubstr("test.pbtxt:1:"), HasSubstr("over the cap of 2097152"),
                         HasSubstr("--max-variables")))
        << shape;
    EXPECT_LT(s, 1.0) << shape;
  }
}

TEST(ResourceLimits, FactorCap) {
  CompileOptions small;
  small.max_factors = 1000;
  EXPECT_THAT(compile_error(lattice("[30, 30]"), small),
              AllOf(HasSubstr("test.pbtxt:3:"), HasSubstr("needs 1800 factors"),
                    HasSubstr("over the cap of 1000 factors (raise it with --max-factors)")));
  // Factors listed one by one are counted as they come.
  small.max_factors = 2;
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [4] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "a" ising { coupling: "J" } scope: "x[0] x[1]" scope: "x[1] x[2]" }
    factors { name: "b" ising { coupling: "J" } scope: "x[2] x[3]" })",
                            small),
              AllOf(HasSubstr("factor group 'b'"), HasSubstr("needs 3 factors"),
                    HasSubstr("--max-factors")));
}

TEST(ResourceLimits, TableEntryCap) {
  CompileOptions small;
  small.max_table_entries = 100;
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 5 }
    parameters { name: "T" shape: [5, 5, 5] init { constant: 0 } }
    factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[2]" })",
                            small),
              AllOf(HasSubstr("a dense table over cardinalities [5, 5, 5] needs 125 entries"),
                    HasSubstr("over the cap of 100 entries (raise it with --max-factor-table)")));
}

TEST(ResourceLimits, MemoryCapOfTheCompiledModel) {
  CompileOptions small;
  small.max_memory_bytes = 1 << 20;
  // 10^4 variables fit (640 KB); their 2·10^4 factors do not.
  EXPECT_THAT(
      compile_error(lattice("[100, 100]"), small),
      AllOf(HasSubstr("test.pbtxt:3:"), HasSubstr("20000 factors"),
            HasSubstr("over the cap of 1048576 bytes (1.0 MiB)"), HasSubstr("--max-memory")));
  // A parameter's values are counted before they are made.
  EXPECT_THAT(
      compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "p" shape: [1000, 1000] init { constant: 0 } })",
                    small),
      AllOf(HasSubstr("parameter 'p'"), HasSubstr("1000000 values"), HasSubstr("--max-memory")));
}

TEST(ResourceLimits, ChainStatesAndChainMemory) {
  EXPECT_THAT(error_of([] { check_chain_limits("session", 100000000, 4096, 8192, 1 << 20, {}); }),
              AllOf(HasSubstr("session: 100000000 chains of 4096 variables needs 409600000000 "
                              "chain states"),
                    HasSubstr("over the cap of 268435456 chain states (raise it with "
                              "--max-chain-states)")));
  ResourceLimits small;
  small.max_memory_bytes = 100 << 20;
  EXPECT_THAT(error_of([&] { check_chain_limits("session", 10000, 1000, 2000, 0, small); }),
              AllOf(HasSubstr("10000 chains of 1000 variables"), HasSubstr("--max-memory")));
  EXPECT_NO_THROW(check_chain_limits("session", 100, 1000, 2000, 0, small));
}

TEST(ResourceLimits, FileSizeCapBeforeReading) {
  const std::string dir = scratch_dir();
  const std::string path = write_file(dir, "m.pbtxt", lattice("[8, 8]"));
  ResourceLimits small;
  small.max_file_bytes = 100;
  EXPECT_THAT(error_of([&] { load_model(path, small); }),
              AllOf(HasSubstr(path + ": the model file needs"),
                    HasSubstr("bytes, over the cap of 100 bytes"), HasSubstr("--max-file-size")));
  EXPECT_NO_THROW(load_model(path));
  const std::string evid = write_file(dir, "e.evid", "1 0 1\n");
  CompiledModel model = compile_text(lattice("[8, 8]"));
  EXPECT_THAT(
      error_of([&] { apply_evidence_file(model, evid, 0, 3); }),
      AllOf(HasSubstr("e.evid: the evidence file needs 6 bytes"), HasSubstr("--max-file-size")));
}

// A device or a pipe has no size: it is read up to the cap and refused there, by name; a
// model file whose first bytes rule it out (/dev/zero) is refused at once.
TEST(ResourceLimits, DevZeroAsAModelIsRefusedByNameAtOnce) {
  const std::string dir = scratch_dir();
  for (const char* name : {"zero.pbtxt", "zero.pb", "zero.uai"}) {
    const std::string link = dir + "/" + name;
    std::filesystem::create_symlink("/dev/zero", link);
    std::string e;
    const double s = seconds_of([&] {
      try {
        load_model(link);
      } catch (const Error& error) {
        e = error.what();
      }
    });
    EXPECT_THAT(e, HasSubstr(link + ": ")) << name;
    EXPECT_LT(s, 1.0) << name;
  }
  EXPECT_THAT(error_of([] { read_file_capped("/dev/zero", 1 << 20, "model file"); }),
              AllOf(HasSubstr("/dev/zero: the model file is larger than the cap of 1048576 bytes"),
                    HasSubstr("--max-file-size")));
}

}  // namespace
}  // namespace dgm::engine
