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

// The deconvolution experiment's script end to end at a toy size (1 image, a few iterations
// and sweeps): it writes the model, runs PMP, Gibbs and GWG, and scores and draws each one's
// features. Whether PMP recovers them is measured at real sizes (its README), not here.
TEST(Examples, DeconvolutionScriptScoresAndDrawsEverySampler) {
  if (const std::string why = testing::plotting_unavailable_reason(); !why.empty())
    GTEST_SKIP() << why;
  const std::string out = testing::scratch_dir();
  const auto r = testing::run_shell(
      "DGM='" + testing::dgm_binary() + "' OUT='" + out +
      "' IMAGES=1 SAMPLES=2 ITERATIONS=30 GIBBS_SWEEPS=3 GWG_SWEEPS=1 THREADS=2 '" +
      testing::source_path("examples/experiments/deconvolution/run.sh") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("deconvolution, 1 images"));
  for (const std::string sampler : {"pmp", "gibbs", "gwg"}) {
    // The summary's line for the sampler: its name, its seconds, its scores.
    EXPECT_THAT(r.out, ::testing::ContainsRegex(sampler + " +[0-9]+ s  2 samples; true features"))
        << sampler;
    EXPECT_TRUE(std::filesystem::exists(out + "/" + sampler + ".png")) << sampler;
  }
}

}  // namespace
}  // namespace dgm
