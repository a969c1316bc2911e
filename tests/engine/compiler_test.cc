// The compiler: expansion of factor groups into the IR, parameter binding, evidence, and a clear
// error for every kind of bad input (with the location and the offending value).
#include "engine/compiler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "engine/log_potential.h"
#include "tests/support/test_models.h"

namespace dgm::engine {
namespace {

using testing::compile_error;
using testing::compile_text;
using ::testing::HasSubstr;

const char* kLattice = R"(
  variables { name: "s" shape: [4, 5] cardinality: 2 }
  parameters { name: "J" value: 0.44 }
  factors { name: "bonds" ising { coupling: "J" } lattice { group: "s" periodic: true } })";

TEST(Compiler, PeriodicLatticeExpansion) {
  const auto m = compile_text(kLattice);
  const Graph& g = *m.graph;
  EXPECT_EQ(g.num_variables(), 20);
  EXPECT_EQ(g.num_factors(), 40);  // 2 per site on a torus
  // Factor order: per site (row-major) right, then down.
  EXPECT_EQ(g.scope(0)[0], 0);
  EXPECT_EQ(g.scope(0)[1], 1);
  EXPECT_EQ(g.scope(1)[1], 5);
  EXPECT_EQ(g.scope(8)[1], 0);  // site (0,4) wraps right to (0,0)
  for (std::int32_t v = 0; v < 20; ++v) EXPECT_EQ(g.neighbours_of(v).size(), 4u);
  const auto& b = g.blocks[0];
  EXPECT_EQ(b.param_stride, 0);  // J shared by every bond
  EXPECT_EQ(b.potential, factors::Potential::kSpin);
}

TEST(Compiler, OpenAndEightNeighbourLattices) {
  const auto open = compile_text(R"(
    variables { name: "s" shape: [4, 5] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" } })");
  EXPECT_EQ(open.graph->num_factors(), 4 * 4 + 3 * 5);
  const auto eight = compile_text(R"(
    variables { name: "s" shape: [3, 3] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" neighbourhood: 8 periodic: true } })");
  EXPECT_EQ(eight.graph->num_factors(), 36);
  for (std::int32_t v = 0; v < 9; ++v) EXPECT_EQ(eight.graph->neighbours_of(v).size(), 8u);
  const auto chain = compile_text(R"(
    variables { name: "s" shape: [6] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" } })");
  EXPECT_EQ(chain.graph->num_factors(), 5);
}

TEST(Compiler, PerFactorParametersAndAllPairs) {
  const auto m = compile_text(R"(
    variables { name: "x" shape: [4] cardinality: 3 }
    parameters { name: "M" shape: [6, 3, 3] init { normal { stddev: 1 } seed: 1 } }
    factors { name: "full" pairwise { log_potentials: "M" } all_pairs: "x" })");
  const Graph& g = *m.graph;
  EXPECT_EQ(g.num_factors(), 6);
  EXPECT_EQ(g.blocks[0].param_stride, 9);
  EXPECT_EQ(g.scope(5)[0], 2);
  EXPECT_EQ(g.scope(5)[1], 3);
}

TEST(Compiler, InitialisersAreReproducible) {
  const char* text = R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "a" shape: [100] init { normal { mean: 1 stddev: 2 } seed: 5 } }
    parameters { name: "r" shape: [100] init { rademacher: 0.5 seed: 5 } }
    parameters { name: "u" shape: [100] init { uniform { low: -1 high: 3 } seed: 5 } })";
  const auto a = compile_text(text), b = compile_text(text);
  EXPECT_EQ(a.params.values, b.params.values);
  double mean = 0;
  for (double v : a.params.view(0)) mean += v / 100;
  EXPECT_NEAR(mean, 1.0, 0.7);
  for (double v : a.params.view(1)) EXPECT_EQ(std::abs(v), 0.5);
  for (double v : a.params.view(2)) EXPECT_TRUE(v >= -1 && v <= 3);
}

TEST(Compiler, BipartiteBlock) {
  const auto m = compile_text(R"(
    variables { name: "v" shape: [3] cardinality: 2 }
    variables { name: "h" shape: [2] cardinality: 2 }
    parameters { name: "W" shape: [3, 2] value: [1, 2, 3, 4, 5, 6] }
    factors { name: "rbm" bipartite { left: "v" right: "h" weights: "W" } })");
  const Graph& g = *m.graph;
  EXPECT_EQ(g.num_factors(), 6);
  EXPECT_EQ(g.scope(3)[0], 1);  // factor 3 = (v[1], h[1]), weight W[1,1] = 4
  EXPECT_EQ(g.scope(3)[1], 4);
  EXPECT_EQ(g.blocks[0].left_count, 3);
  EXPECT_EQ(g.blocks[0].param_stride, 1);
  EXPECT_TRUE(g.analysis.bipartite);
}

TEST(Compiler, OneByOneBipartiteBlockReadsItsSingleWeight) {
  const auto m = compile_text(R"(
    variables { name: "v" cardinality: 2 }
    variables { name: "h" cardinality: 2 }
    parameters { name: "W" shape: [1, 1] value: [0.5] }
    factors { name: "rbm" bipartite { left: "v" right: "h" weights: "W" } })");
  EXPECT_EQ(m.graph->blocks[0].param_stride, 1);
  const std::vector<std::int32_t> both = {1, 1};
  EXPECT_DOUBLE_EQ(total_log_potential(m, both), 0.5);
}

TEST(Compiler, EvidenceAndReferences) {
  const auto m = compile_text(R"(
    variables { name: "s" shape: [2, 3] cardinality: 3 }
    variables { name: "c" cardinality: 2 }
    evidence { variable: "s[1,2]" value: 2 }
    evidence { variable: "s[0]" value: 1 }
    evidence { variable: "c" values: [1] })");
  EXPECT_EQ(m.evidence[5], 2);
  EXPECT_EQ(m.evidence[0], 1);
  EXPECT_EQ(m.evidence[6], 1);
  EXPECT_EQ(m.num_clamped(), 3);
  EXPECT_EQ(m.graph->variable_name(5), "s[1,2]");
  EXPECT_EQ(m.graph->variable_name(6), "c");
}

// ---- bad input: one test per kind of mistake; each message names the place and the value ----

TEST(CompilerErrors, SyntaxErrorHasLineAndColumn) {
  try {
    compile_text(
        "variables { name: \"x\" cardinality: 2 }\nfactors { name: \"f\" unary { log_odds: } }");
    FAIL();
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("test.pbtxt:2:"));
  }
}

TEST(CompilerErrors, EmptyModel) {
  EXPECT_THAT(compile_error(""), HasSubstr("declares no variables"));
}

TEST(CompilerErrors, UnknownNames) {
  EXPECT_THAT(
      compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "f" ising { coupling: "K" } scope: "x[0] x[1]" })"),
      AllOf(HasSubstr("test.pbtxt:4:"), HasSubstr("unknown parameter 'K'"), HasSubstr("'J'")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "f" ising { coupling: "J" } scope: "x[0] y[1]" })"),
              AllOf(HasSubstr("unknown variable group 'y'"), HasSubstr("'x'")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    factors { name: "f" })"),
              HasSubstr("no factor kind; choose one of unary"));
}

TEST(CompilerErrors, DuplicateNames) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    variables { name: "x" cardinality: 3 })"),
              AllOf(HasSubstr("test.pbtxt:3:"), HasSubstr("duplicate variable group name")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "a" value: 1 }
    parameters { name: "a" value: 2 })"),
              HasSubstr("'a': duplicate parameter name"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "a" value: 1 }
    factors { name: "f" unary { log_odds: "a" } each: "x" }
    factors { name: "f" unary { log_odds: "a" } each: "x" })"),
              HasSubstr("'f': duplicate factor group name"));
}

TEST(CompilerErrors, WrongTableSizes) {
  const std::string err = compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 3 }
    parameters { name: "M" shape: [2, 2] value: [1, 2, 3, 4] }
    factors { name: "f" pairwise { log_potentials: "M" } lattice { group: "x" } })");
  EXPECT_THAT(err, AllOf(HasSubstr("'M' has shape [2, 2]"), HasSubstr("needs [3, 3]"),
                         HasSubstr("[2, 3, 3]")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "M" shape: [2, 2] value: [1, 2, 3] })"),
              HasSubstr("3 values given but shape [2, 2] needs 4"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "v" shape: [3] cardinality: 2 }
    variables { name: "h" shape: [2] cardinality: 2 }
    parameters { name: "W" shape: [2, 3] init { constant: 0 } }
    factors { name: "rbm" bipartite { left: "v" right: "h" weights: "W" } })"),
              HasSubstr("need [3, 2]"));
}

TEST(CompilerErrors, CardinalityBelowTwo) {
  EXPECT_THAT(compile_error(R"(variables { name: "x" cardinality: 1 })"),
              AllOf(HasSubstr("test.pbtxt:1:"), HasSubstr("cardinality 1 is invalid")));
  EXPECT_THAT(compile_error(R"(variables { name: "x" })"), HasSubstr("cardinality 0 is invalid"));
}

TEST(CompilerErrors, AbsurdShapes) {
  EXPECT_THAT(
      compile_error(
          R"(variables { name: "x" shape: [4000000000, 4000000000, 4000000000] cardinality: 2 })"),
      AllOf(HasSubstr("variables, over the cap of"), HasSubstr("--max-variables")));
  CompileOptions small;
  small.max_variables = 100;
  EXPECT_THAT(compile_error(R"(variables { name: "x" shape: [11, 10] cardinality: 2 })", small),
              HasSubstr("needs 110 variables, over the cap of 100 variables (raise it with "
                        "--max-variables)"));
  EXPECT_THAT(compile_error(R"(variables { name: "x" shape: [0] cardinality: 2 })"),
              HasSubstr("dimension < 1"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "p" shape: [100000, 100000, 100000] init { constant: 0 } })"),
              HasSubstr("elements (the limit)"));
}

TEST(CompilerErrors, NanAndInfinitePotentials) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "p" shape: [2] value: [0, nan] })"),
              AllOf(HasSubstr("value 1 is nan"), HasSubstr("'p'")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "p" shape: [2] value: [inf, 0] })"),
              HasSubstr("value 0 is inf"));
  // -inf is a hard zero in a table, but an Ising coupling must be finite.
  EXPECT_EQ(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "p" shape: [2] value: [-inf, 0] }
    factors { name: "u" unary { log_potentials: "p" } each: "x" })"),
            "");
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "J" value: -inf }
    factors { name: "f" ising { coupling: "J" } scope: "x[0] x[1]" })"),
              HasSubstr("this kind needs finite values"));
}

TEST(CompilerErrors, EvidenceOutOfRange) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    evidence { variable: "x[1]" value: 2 })"),
              AllOf(HasSubstr("test.pbtxt:3:"), HasSubstr("value 2 for x[1] is out of range"),
                    HasSubstr("0..1")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    evidence { variable: "x[3]" value: 0 })"),
              HasSubstr("index 3 out of range"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    evidence { variable: "x[0]" value: 0 }
    evidence { variable: "x[0]" value: 1 })"),
              HasSubstr("clamped to 0 and to 1"));
}

TEST(CompilerErrors, VariableRepeatedInFactor) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "T" shape: [2, 2, 2] init { constant: 0 } }
    factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1] x[0]" })"),
              AllOf(HasSubstr("x[0] appears twice"), HasSubstr("scope 0")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2, 2] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "x" periodic: true } })"),
              HasSubstr("every dimension ≥ 3"));
}

TEST(CompilerErrors, MissingAndBadNpyFiles) {
  const std::string dir = testing::scratch_dir();
  EXPECT_THAT(
      compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "W" shape: [2] npy: "missing.npy" })",
                    {}, dir),
      AllOf(HasSubstr("parameter 'W'"), HasSubstr("missing.npy"), HasSubstr("cannot open")));
  write_npy(dir + "/int.npy", {2}, {1, 2}, "<i4");
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "W" shape: [2] npy: "int.npy" })",
                            {}, dir),
              HasSubstr("dtype '<i4' not supported"));
  write_npy(dir + "/w.npy", {3, 2}, {1, 2, 3, 4, 5, 6}, "<f4");
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "W" shape: [2, 3] npy: "w.npy" })",
                            {}, dir),
              HasSubstr("has shape [3, 2] but the parameter declares [2, 3]"));
  testing::write_file(dir, "junk.npy", "hello");
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "W" npy: "junk.npy" })",
                            {}, dir),
              HasSubstr("not a NumPy .npy file"));
  const auto ok = compile_text(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "W" npy: "w.npy" })",
                               {}, dir);
  EXPECT_EQ(ok.params.info[0].shape, (std::vector<std::int64_t>{3, 2}));
  EXPECT_EQ(ok.params.values[5], 6.0);
}

TEST(CompilerErrors, EnumerationAndLogicalMistakes) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    factors { name: "e" enumeration { configurations: [0, 1, 1] } scope: "x[0] x[1]" })"),
              HasSubstr("not a multiple of the arity 2"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    factors { name: "e" enumeration { configurations: [0, 1, 0, 1] } scope: "x[0] x[1]" })"),
              HasSubstr("configuration 1 is listed twice"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    factors { name: "e" enumeration { configurations: [0, 3] } scope: "x[0] x[1]" })"),
              HasSubstr("state 3 at position 1"));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [2] cardinality: 3 }
    variables { name: "c" cardinality: 2 }
    factors { name: "or" logical_or { parents: "x" child: "c" } })"),
              HasSubstr("needs binary variables; x[0] has cardinality 3"));
}

TEST(CompilerErrors, MixedCardinalitiesInOneGroup) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "a" shape: [2] cardinality: 2 }
    variables { name: "b" cardinality: 3 }
    parameters { name: "M" shape: [2, 2] init { constant: 0 } }
    factors { name: "p" pairwise { log_potentials: "M" } scope: ["a[0] a[1]", "a[0] b"] })"),
              HasSubstr("share one table shape"));
}

TEST(CompilerErrors, UnbalancedBrackets) {
  const char* head = R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "T" shape: [2, 2, 2] init { constant: 0 } }
    factors { name: "t" table { log_potentials: "T" } scope: )";
  EXPECT_THAT(compile_error(std::string(head) + "\"x[0] x[1] x[2\" }"),
              HasSubstr("unbalanced '['"));
  EXPECT_THAT(compile_error(std::string(head) + "\"x[0] x[1]] x[2]\" }"),
              HasSubstr("unbalanced ']'"));
}

TEST(CompilerErrors, GroupExpandingToNoFactors) {
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" shape: [1, 1] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "x" } })"),
              AllOf(HasSubstr("'b'"), HasSubstr("expands to no factors")));
  EXPECT_THAT(compile_error(R"(
    variables { name: "x" cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "b" ising { coupling: "J" } all_pairs: "x" })"),
              HasSubstr("expands to no factors"));
}

TEST(CompilerErrors, VeryWideFactorExceedsInteractionLimit) {
  CompileOptions small;
  small.max_interaction_entries = 1000;
  EXPECT_THAT(compile_error(R"(
    variables { name: "p" shape: [40] cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    factors { name: "or" logical_or { parents: "p" child: "c" } })",
                            small),
              AllOf(HasSubstr("connects 41 variables"), HasSubstr("interaction graph")));
}

TEST(CompilerErrors, SharedTableMustHaveTheTableShape) {
  // Same number of entries, transposed shape: refused rather than silently misread.
  EXPECT_THAT(compile_error(R"(
    variables { name: "a" cardinality: 3 }
    variables { name: "b" cardinality: 2 }
    parameters { name: "M" shape: [2, 3] init { constant: 0 } }
    factors { name: "p" pairwise { log_potentials: "M" } scope: "a b" })"),
              AllOf(HasSubstr("'M' has shape [2, 3]"), HasSubstr("needs [3, 2]")));
  // A flat vector with the table's number of entries is read row-major.
  EXPECT_EQ(compile_error(R"(
    variables { name: "a" cardinality: 3 }
    variables { name: "b" cardinality: 2 }
    parameters { name: "M" value: [1, 2, 3, 4, 5, 6] }
    factors { name: "p" pairwise { log_potentials: "M" } scope: "a b" })"),
            "");
}

TEST(CompilerErrors, ScopeErrorsPointAtTheirOwnLine) {
  const std::string err = compile_error(R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "J" value: 1 }
    factors { name: "f" ising { coupling: "J" }
      scope: "x[0] x[1]"
      scope: "x[1] x[2]"
      scope: "x[2] x[7]" })");
  EXPECT_THAT(err, AllOf(HasSubstr("test.pbtxt:7:"), HasSubstr("scope 2")));
}

}  // namespace
}  // namespace dgm::engine
