// Every example model parses, compiles and passes `dgm check`; the ones that users start from
// compile to the structure their comments promise.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

std::vector<std::string> example_models() {
  std::vector<std::string> files;
  // Subfolders too (examples/experiments/, examples/ising_recovery/): every model file there is
  // a model users run.
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(testing::source_path("examples"))) {
    const std::string ext = entry.path().extension().string();
    if (ext == ".pbtxt" || ext == ".uai") files.push_back(entry.path().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(Examples, EveryExamplePassesCheck) {
  const auto files = example_models();
  ASSERT_GE(files.size(), 13u);
  for (const auto& file : files) {
    const auto r = testing::run_dgm("check '" + file + "'");
    EXPECT_EQ(r.exit_code, 0) << file << "\n" << r.err;
    EXPECT_THAT(r.out, ::testing::HasSubstr("valid")) << file;
  }
}

TEST(Examples, EveryExampleCompilesInProcess) {
  for (const auto& file : example_models()) {
    SCOPED_TRACE(file);
    const engine::CompiledModel m = engine::load_compiled(file);
    EXPECT_GT(m.graph->num_variables(), 0);
    EXPECT_GT(m.graph->num_factors(), 0);
  }
}

}  // namespace
}  // namespace dgm
