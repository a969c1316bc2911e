// Datasets: .npy and .csv read into rows of states, the visible groups resolved, and bad data
// refused with the file, row and column named before any training starts.
#include "learning/dataset.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "engine/error.h"
#include "engine/npy.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

using ::testing::AllOf;
using testing::error_of;
using ::testing::HasSubstr;

constexpr const char* kModel = R"(
  variables { name: "v" shape: [2, 3] cardinality: 2 }
  variables { name: "c" shape: [2] cardinality: 3 }
  variables { name: "h" shape: [4] cardinality: 2 }
  evidence { variable: "c[1]" value: 2 })";

TEST(Dataset, ReadsNpyOfAnyIntegerOrWholeFloatDtypeAndKeepsImageShapes) {
  const std::string dir = testing::scratch_dir();
  const std::vector<double> values = {0, 1, 1, 0, 1, 0, 1, 1, 0, 0, 0, 1};
  for (const char* dtype : {"|u1", "<i4", "<f8", "<f4"}) {
    SCOPED_TRACE(dtype);
    engine::write_npy(dir + "/d.npy", {2, 2, 3}, values, dtype);
    const Dataset d = read_dataset(dir + "/d.npy");
    EXPECT_EQ(d.num_examples, 2);
    EXPECT_EQ(d.width, 6);
    EXPECT_EQ(d.shape, (std::vector<std::int64_t>{2, 2, 3}));
    EXPECT_EQ(d.example(1)[1], 1);
    EXPECT_EQ(d.example(1)[2], 0);
    EXPECT_EQ(std::vector<std::int32_t>(d.values.begin(), d.values.end()),
              std::vector<std::int32_t>(values.begin(), values.end()));
  }
  Dataset round;
  round.num_examples = 2;
  round.width = 2;
  round.values = {300, 1, 2, 3};
  write_dataset(dir + "/w.npy", round);
  EXPECT_EQ(read_dataset(dir + "/w.npy").values, round.values);
}

TEST(Dataset, BadNpyValuesAreNamedByRowAndColumn) {
  const std::string dir = testing::scratch_dir();
  engine::write_npy(dir + "/half.npy", {2, 3}, {0, 1, 1, 0, 0.5, 1}, "<f8");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/half.npy"); }),
              AllOf(HasSubstr("half.npy: row 1, column 1"), HasSubstr("0.5")));
  engine::write_npy(dir + "/nan.npy", {1, 2}, {0, std::nan("")}, "<f8");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/nan.npy"); }),
              AllOf(HasSubstr("row 0, column 1"), HasSubstr("nan")));
  engine::write_npy(dir + "/neg.npy", {1, 2}, {0, -1}, "<i4");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/neg.npy"); }), HasSubstr("value -1"));
  engine::write_npy(dir + "/flat.npy", {4}, {0, 1, 0, 1}, "|u1");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/flat.npy"); }), HasSubstr("shape (4,)"));
  engine::write_npy(dir + "/empty.npy", {0, 4}, {}, "|u1");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/empty.npy"); }), HasSubstr("empty"));
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/missing.npy"); }),
              HasSubstr("missing.npy: no such file"));
  EXPECT_THAT(error_of([&] { read_dataset(dir); }), HasSubstr("is a directory"));
  testing::write_file(dir, "d.txt", "0,1\n");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/d.txt"); }), HasSubstr("use .npy or .csv"));
}

TEST(Dataset, ReadsCsvWithOrWithoutAHeader) {
  const std::string dir = testing::scratch_dir();
  testing::write_file(dir, "h.csv", "\"v[0]\",\"v[1]\"\r\n0,1\r\n1, 1\n\n");
  const Dataset d = read_dataset(dir + "/h.csv");
  EXPECT_EQ(d.num_examples, 2);
  EXPECT_EQ(d.width, 2);
  EXPECT_EQ(d.values, (std::vector<std::int32_t>{0, 1, 1, 1}));
  testing::write_file(dir, "n.csv", "2,0,1\n");
  EXPECT_EQ(read_dataset(dir + "/n.csv").values, (std::vector<std::int32_t>{2, 0, 1}));
  testing::write_file(dir, "ragged.csv", "0,1\n1,1,0\n");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/ragged.csv"); }),
              AllOf(HasSubstr("ragged.csv:2: row 1 has 3 values"), HasSubstr("have 2")));
  testing::write_file(dir, "word.csv", "0,1\n1,x\n");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/word.csv"); }),
              AllOf(HasSubstr("row 1, column 1 (line 2)"), HasSubstr("'x'")));
  testing::write_file(dir, "gap.csv", "0,1\n\n1,1\n");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/gap.csv"); }), HasSubstr("blank line inside"));
  testing::write_file(dir, "header_only.csv", "a,b\n");
  EXPECT_THAT(error_of([&] { read_dataset(dir + "/header_only.csv"); }), HasSubstr("empty"));
}

TEST(Dataset, VisibleGroupsByDefaultOrByName) {
  const engine::CompiledModel m = testing::compile_text(kModel);
  const engine::Graph& g = *m.graph;
  EXPECT_EQ(visible_layout(g, {}, 6, "d").groups, (std::vector<int>{0}));
  EXPECT_EQ(visible_layout(g, {}, 4, "d").groups, (std::vector<int>{2})) << "the group of size 4";
  const VisibleLayout lead = visible_layout(g, {}, 8, "d");
  EXPECT_EQ(lead.groups, (std::vector<int>{0, 1}));
  EXPECT_EQ(lead.variables.size(), 8u);
  const std::vector<std::string> names = {"h", "v"};
  const VisibleLayout named = visible_layout(g, names, 10, "d");
  EXPECT_EQ(named.variables.front(), g.groups[2].first) << "columns in the order named";
  EXPECT_THAT(error_of([&] { visible_layout(g, {}, 5, "d.npy"); }),
              AllOf(HasSubstr("d.npy: 5 values per example"), HasSubstr("v (6), c (2), h (4)"),
                    HasSubstr("--visible")));
  const std::vector<std::string> unknown = {"w"};
  EXPECT_THAT(error_of([&] { visible_layout(g, unknown, 6, "d"); }),
              HasSubstr("unknown visible group 'w'; groups are: v, c, h"));
  const std::vector<std::string> twice = {"v", "v"};
  EXPECT_THAT(error_of([&] { visible_layout(g, twice, 12, "d"); }), HasSubstr("named twice"));
}

TEST(Dataset, ValuesAreCheckedAgainstCardinalitiesAndEvidence) {
  const engine::CompiledModel m = testing::compile_text(kModel);
  const std::vector<std::string> names = {"c"};
  const VisibleLayout layout = visible_layout(*m.graph, names, 2, "d");
  Dataset d;
  d.source = "d.npy";
  d.num_examples = 2;
  d.width = 2;
  d.values = {0, 2, 3, 2};
  EXPECT_THAT(
      error_of([&] { validate_dataset(d, m, layout); }),
      AllOf(HasSubstr("d.npy: row 1, column 0: value 3 for c[0]"), HasSubstr("3 states (0..2)")));
  d.values = {0, 2, 1, 1};
  EXPECT_THAT(
      error_of([&] { validate_dataset(d, m, layout); }),
      HasSubstr("row 1, column 1: value 1 for c[1], which the model's evidence clamps to 2"));
  d.values = {0, 2, 1, 2};
  EXPECT_NO_THROW(validate_dataset(d, m, layout));
}

}  // namespace
}  // namespace dgm::learning
