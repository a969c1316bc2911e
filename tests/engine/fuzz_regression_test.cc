// The inputs the fuzzers found bugs with (tests/fuzz/regressions/<target>/), and their seed
// corpora, fed to the same entries the libFuzzer targets call (tests/fuzz/fuzz_entries.h):
// each must end in a dgm::Error or in success, quickly, without a crash, a sanitizer report
// (under DGM_SANITIZE) or another exception.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "engine/error.h"
#include "engine/model_io.h"
#include "tests/fuzz/fuzz_entries.h"

namespace {

namespace fs = std::filesystem;

const char* const kTargets[] = {"model_text", "model_binary", "uai", "evidence", "npy"};

std::string contents(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> files_in(const fs::path& dir) {
  std::vector<fs::path> files;
  if (!fs::is_directory(dir)) return files;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().filename() != "README.md")
      files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

void feed(const char* target, const fs::path& dir) {
  const dgm::fuzz::Entry entry = dgm::fuzz::entry_named(target);
  ASSERT_NE(entry, nullptr) << target;
  for (const fs::path& file : files_in(dir)) {
    SCOPED_TRACE(file.string());
    const std::string data = contents(file);
    const auto start = std::chrono::steady_clock::now();
    EXPECT_NO_THROW(entry(data));
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    EXPECT_LT(seconds, 5.0) << "slow input";
  }
}

TEST(FuzzRegression, KeptInputsAreHandled) {
  for (const char* target : kTargets)
    feed(target, fs::path(DGM_SOURCE_DIR) / "tests/fuzz/regressions" / target);
}

// The kept models ask for absurd sizes in a few bytes: the default caps (not only the
// fuzzers' smaller ones) refuse each at once, before allocating.
TEST(FuzzRegression, KeptModelsAreRefusedUnderTheDefaultCaps) {
  for (const fs::path& file :
       files_in(fs::path(DGM_SOURCE_DIR) / "tests/fuzz/regressions/model_text")) {
    SCOPED_TRACE(file.string());
    const auto start = std::chrono::steady_clock::now();
    try {
      const dgm::engine::LoadedModel loaded = dgm::engine::parse_model_text(contents(file), "m");
      dgm::engine::compile(loaded.model, loaded.source, "", {});
      ADD_FAILURE() << "compiled";
    } catch (const dgm::Error& e) {
      EXPECT_EQ(e.code(), dgm::ErrorCode::kLimit) << e.what();
    }
    EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 2.0);
  }
}

TEST(FuzzRegression, SeedCorporaAreHandled) {
  for (const char* target : kTargets)
    feed(target, fs::path(DGM_SOURCE_DIR) / "tests/fuzz/corpus" / target);
  feed("model_text", fs::path(DGM_SOURCE_DIR) / "examples");
}

TEST(FuzzRegression, EveryTargetHasAnEntry) {
  for (const char* target : kTargets) EXPECT_NE(dgm::fuzz::entry_named(target), nullptr);
  EXPECT_EQ(dgm::fuzz::entry_named("nope"), nullptr);
}

}  // namespace
