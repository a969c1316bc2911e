#include "engine/npy.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "engine/error.h"
#include "tests/support/test_models.h"

namespace dgm::engine {
namespace {

TEST(Npy, RoundTripFloat64AndFloat32) {
  const std::string dir = testing::scratch_dir();
  const std::vector<double> values = {0.5, -1.25, 3, 1e-3, -0.0, 7};
  write_npy(dir + "/a.npy", {2, 3}, values, "<f8");
  const NpyArray a = read_npy(dir + "/a.npy");
  EXPECT_EQ(a.shape, (std::vector<std::int64_t>{2, 3}));
  EXPECT_EQ(a.values, values);
  write_npy(dir + "/b.npy", {6}, values, "<f4");
  const NpyArray b = read_npy(dir + "/b.npy");
  EXPECT_EQ(b.dtype, "<f4");
  for (std::size_t i = 0; i < values.size(); ++i)
    EXPECT_EQ(b.values[i], static_cast<double>(static_cast<float>(values[i])));
}

TEST(Npy, ErrorsNameTheFileAndProblem) {
  const std::string dir = testing::scratch_dir();
  EXPECT_THROW(read_npy(dir + "/none.npy"), Error);
  write_npy(dir + "/u8.npy", {2}, {1, 2}, "|u1");
  try {
    read_npy(dir + "/u8.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("u8.npy: dtype '|u1' not supported"));
  }
  // Truncated data: the header promises more bytes than the file has.
  write_npy(dir + "/t.npy", {4}, {1, 2, 3, 4}, "<f8");
  std::filesystem::resize_file(dir + "/t.npy", std::filesystem::file_size(dir + "/t.npy") - 8);
  try {
    read_npy(dir + "/t.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("truncated data"));
  }
}

TEST(Npy, LyingHeadersAreCaughtBeforeAllocating) {
  const std::string dir = testing::scratch_dir();
  write_npy(dir + "/a.npy", {4}, {1, 2, 3, 4}, "<f8");
  // Rewrite the header's shape to promise 10^12 elements: refused from the file size.
  std::string bytes;
  {
    std::ifstream in(dir + "/a.npy", std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const auto pos = bytes.find("(4,)");
  ASSERT_NE(pos, std::string::npos);
  std::string big = bytes;
  big.replace(pos, 4, "(1000000, 1000000)");
  testing::write_file(dir, "big.npy", big);
  try {
    read_npy(dir + "/big.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("but the file has"));
  }
  std::string neg = bytes;
  neg.replace(pos, 4, "(-4,)");
  testing::write_file(dir, "neg.npy", neg);
  EXPECT_THROW(read_npy(dir + "/neg.npy"), Error);
  testing::write_file(dir, "extra.npy", bytes + "junk");
  try {
    read_npy(dir + "/extra.npy");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("unexpected bytes"));
  }
}

}  // namespace
}  // namespace dgm::engine
