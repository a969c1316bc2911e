// dgm::Error's fields at the sites users hit most: parse errors (file:line:col), unknown
// names (with the allowed ones), missing files. what() must stay the exact message.
#include <dgm/dgm.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

template <typename F>
dgm::Error error_of(F&& f) {
  try {
    f();
  } catch (const dgm::Error& e) {
    return e;
  }
  ADD_FAILURE() << "no dgm::Error thrown";
  return dgm::Error("none");
}

TEST(ErrorFields, MessageOnlyErrorsHaveEmptyFields) {
  const dgm::Error e("plain");
  EXPECT_STREQ(e.what(), "plain");
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnspecified);
  EXPECT_EQ(e.line(), 0);
  EXPECT_TRUE(e.file().empty());
  EXPECT_TRUE(e.allowed().empty());
  const dgm::Error copy = e;  // copies share the fields
  EXPECT_STREQ(copy.what(), "plain");
}

TEST(ErrorFields, ParseErrorHasFileLineColumn) {
  const dgm::Error e = error_of([] {
    dgm::Model::from_text("variables { name: \"s\" cardinality: 2 }\nfactors { nme: \"x\" }\n",
                          "broken.pbtxt");
  });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kParse);
  EXPECT_EQ(e.file(), "broken.pbtxt");
  EXPECT_EQ(e.line(), 2);
  EXPECT_GT(e.column(), 1);  // where protobuf's tokenizer noticed the unknown field
  EXPECT_THAT(std::string(e.what()),
              ::testing::StartsWith("broken.pbtxt:2:" + std::to_string(e.column()) + ": "));
}

TEST(ErrorFields, UnknownGroupHasLocationAndAllowedNames) {
  const dgm::Error e = error_of([] {
    dgm::Model::from_text(R"(variables { name: "a" cardinality: 2 }
variables { name: "b" cardinality: 2 }
parameters { name: "J" value: 1 }
factors { name: "f" ising { coupling: "J" } lattice { group: "c" } })",
                          "m.pbtxt");
  });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnknownName);
  EXPECT_EQ(e.value(), "c");
  EXPECT_THAT(e.allowed(), ElementsAre("a", "b"));
  EXPECT_EQ(e.file(), "m.pbtxt");
  EXPECT_EQ(e.line(), 4);
  EXPECT_GT(e.column(), 0);
  EXPECT_THAT(std::string(e.what()),
              ::testing::StartsWith("m.pbtxt:4:" + std::to_string(e.column()) + ": "));
  EXPECT_THAT(std::string(e.what()), HasSubstr("unknown variable group 'c'"));
}

TEST(ErrorFields, UnknownParameterListsTheDeclaredOnes) {
  dgm::ModelBuilder b;
  b.variables("s", {4}, 2);
  b.parameter("J", 0.1);
  b.parameter("h", 0.2);
  b.factors("bonds").ising("K").lattice("s");
  const dgm::Error e = error_of([&] { b.compile("built"); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnknownName);
  EXPECT_EQ(e.value(), "K");
  EXPECT_THAT(e.allowed(), ElementsAre("J", "h"));
  EXPECT_EQ(e.file(), "built");
  EXPECT_EQ(e.line(), 0);  // built in code: no line
}

TEST(ErrorFields, UnknownGroupInAReference) {
  dgm::ModelBuilder b;
  b.variables("s", {4}, 2);
  b.parameter("h", 0.2);
  b.factors("field").unary_field("h").scope("t[0]");
  const dgm::Error e = error_of([&] { b.compile(); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnknownName);
  EXPECT_EQ(e.value(), "t");
  EXPECT_THAT(e.allowed(), ElementsAre("s"));
}

TEST(ErrorFields, MissingFactorKindListsTheKinds) {
  dgm::ModelBuilder b;
  b.variables("s", {4}, 2);
  b.factors("nothing").each("s");
  const dgm::Error e = error_of([&] { b.compile(); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnknownName);
  EXPECT_THAT(e.allowed(), ::testing::Contains("potts"));
}

TEST(ErrorFields, UnknownSamplerListsTheSamplers) {
  dgm::ModelBuilder b;
  b.variables("s", {4}, 2);
  const dgm::Model model = b.compile();
  const dgm::Error e = error_of([&] { dgm::Session(model, {.sampler = "gibs"}); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnknownName);
  EXPECT_EQ(e.value(), "gibs");
  EXPECT_THAT(e.allowed(), ::testing::Contains("chromatic-gibbs"));
  EXPECT_EQ(e.allowed(), dgm::sampler_names());
}

TEST(ErrorFields, MissingFileIsAnIoError) {
  const dgm::Error e = error_of([] { dgm::Model::from_file("/nonexistent/model.pbtxt"); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kIo);
  EXPECT_EQ(e.file(), "/nonexistent/model.pbtxt");
  EXPECT_THAT(std::string(e.what()), HasSubstr("cannot open"));
}

TEST(ErrorFields, UnknownExtensionListsTheKnownOnes) {
  const dgm::Error e = error_of([] { dgm::Model::from_file("model.yaml"); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kUnsupported);
  EXPECT_EQ(e.value(), ".yaml");
  EXPECT_THAT(e.allowed(), ::testing::Contains(".pbtxt"));
}

TEST(ErrorFields, OtherCompileErrorsAreBadValuesWithTheirPlace) {
  const dgm::Error e = error_of(
      [] { dgm::Model::from_text("variables { name: \"s\" cardinality: 1 }", "card.pbtxt"); });
  EXPECT_EQ(e.code(), dgm::ErrorCode::kBadValue);
  EXPECT_EQ(e.file(), "card.pbtxt");
  EXPECT_EQ(e.line(), 1);
}

}  // namespace
