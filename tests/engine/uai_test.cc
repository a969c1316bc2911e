// The UAI interchange: .uai models (read, map to the model language, write), .evid evidence in
// both layouts, and the result writers. Numbers are checked against brute-force enumeration
// and against the raw numbers of the hand-written files.
#include "engine/uai.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <cmath>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "engine/evidence_file.h"
#include "engine/log_potential.h"
#include "engine/uai_results.h"
#include "factors/infinity.h"
#include "tests/support/random_models.h"
#include "tests/support/test_models.h"

namespace dgm::engine {
namespace {

using ::testing::HasSubstr;

CompiledModel compile_uai(const std::string& text, const std::string& name = "test.uai") {
  return compile(parse_uai(text, name), SourceMap(name), "");
}

std::string uai_error(const std::string& text) {
  try {
    parse_uai(text, "test.uai");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

std::string evidence_error(const std::string& text) {
  try {
    parse_evidence(text, "test.evid");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// Calls f(state) for every joint state of the graph's variables (odometer, last fastest).
template <typename F>
void for_each_state(const Graph& g, F&& f) {
  const std::int32_t n = g.num_variables();
  std::vector<std::int32_t> state(n, 0);
  while (true) {
    f(state);
    std::int32_t v = n - 1;
    while (v >= 0 && ++state[v] == g.cardinality[v]) state[v--] = 0;
    if (v < 0) return;
  }
}

bool consistent(const CompiledModel& m, const std::vector<std::int32_t>& state) {
  for (std::size_t v = 0; v < m.evidence.size(); ++v) {
    if (m.evidence[v] != kFree && m.evidence[v] != state[v]) return false;
  }
  return true;
}

// log Z (of the evidence, if any) and the marginals, by enumeration.
struct Exact {
  double log_z = kNegInf;
  std::vector<double> marginals;  // indexed by state_offset[v] + k
};

Exact brute_force(const CompiledModel& m) {
  const Graph& g = *m.graph;
  Exact r;
  double max = kNegInf;
  for_each_state(g, [&](const std::vector<std::int32_t>& s) {
    if (consistent(m, s)) max = std::max(max, total_log_potential(m, s));
  });
  double z = 0;
  r.marginals.assign(static_cast<std::size_t>(g.state_offset.back()), 0.0);
  for_each_state(g, [&](const std::vector<std::int32_t>& s) {
    if (!consistent(m, s)) return;
    const double w = std::exp(total_log_potential(m, s) - max);
    z += w;
    for (std::int32_t v = 0; v < g.num_variables(); ++v) r.marginals[g.state_offset[v] + s[v]] += w;
  });
  for (double& p : r.marginals) p /= z;
  r.log_z = max + std::log(z);
  return r;
}

// ---------------------------------------------------------------------------------------------
// Reading models

// Three variables (2, 2, 3 states); a unary, a pairwise with a zero, a zero-arity factor and a
// 2×3 table. Laid out unevenly on purpose: the format is token-based.
const char* kMarkov = R"(c a comment line
MARKOV
3
2 2 3
4
1 0
2 0 1
0
2 1 2

2
 0.3 0.7
4
 1.0 2.0
 3.0 0
1
 5.0
6
 1 2 3
 4 5 6
)";

TEST(UaiRead, MarkovMapsToTheModelLanguage) {
  const proto::Model m = parse_uai(kMarkov, "test.uai");
  // Runs of equal cardinality: x_0 = {0, 1} (K = 2), x_2 = {2} (K = 3).
  ASSERT_EQ(m.variables_size(), 2);
  EXPECT_EQ(m.variables(0).name(), "x_0");
  EXPECT_EQ(m.variables(0).shape(0), 2);
  EXPECT_EQ(m.variables(0).cardinality(), 2);
  EXPECT_EQ(m.variables(1).name(), "x_2");
  EXPECT_EQ(m.variables(1).cardinality(), 3);
  // One table group per scope signature, in order of first appearance.
  ASSERT_EQ(m.factors_size(), 3);
  EXPECT_EQ(m.factors(0).name(), "table_2");
  EXPECT_EQ(m.factors(1).name(), "table_2x2");
  EXPECT_EQ(m.factors(2).name(), "table_2x3");
  EXPECT_EQ(m.factors(1).scope(0), "x_0[0] x_0[1]");
  EXPECT_EQ(m.factors(2).scope(0), "x_0[1] x_2[0]");
  EXPECT_EQ(m.factors(2).table().log_potentials(), "log_table_2x3");
  ASSERT_EQ(m.parameters_size(), 3);
  const proto::Parameter& pair = m.parameters(1);
  EXPECT_EQ(pair.name(), "log_table_2x2");
  ASSERT_EQ(pair.shape_size(), 3);
  EXPECT_EQ(pair.shape(0), 1);
  EXPECT_EQ(pair.shape(1), 2);
  EXPECT_EQ(pair.shape(2), 2);
  ASSERT_EQ(pair.value_size(), 4);
  EXPECT_DOUBLE_EQ(pair.value(1), std::log(2.0));
  EXPECT_EQ(pair.value(3), kNegInf);  // the zero is a hard zero
  EXPECT_DOUBLE_EQ(m.log_constant(), std::log(5.0));
}

TEST(UaiRead, MarkovLogZAndMarginalsMatchTheFileNumbers) {
  const CompiledModel m = compile_uai(kMarkov);
  const Graph& g = *m.graph;
  ASSERT_EQ(g.num_variables(), 3);
  EXPECT_EQ(g.cardinality[2], 3);
  // Straight from the file: p(x) ∝ 5 · a[x0] · b[x0][x1] · c[x1][x2].
  const double a[2] = {0.3, 0.7};
  const double b[2][2] = {{1, 2}, {3, 0}};
  const double c[2][3] = {{1, 2, 3}, {4, 5, 6}};
  double z = 0;
  double p2[3] = {0, 0, 0};
  for (int x0 = 0; x0 < 2; ++x0) {
    for (int x1 = 0; x1 < 2; ++x1) {
      for (int x2 = 0; x2 < 3; ++x2) {
        const double w = 5 * a[x0] * b[x0][x1] * c[x1][x2];
        z += w;
        p2[x2] += w;
      }
    }
  }
  const Exact exact = brute_force(m);
  EXPECT_NEAR(exact.log_z, std::log(z), 1e-12);
  for (int k = 0; k < 3; ++k) EXPECT_NEAR(exact.marginals[g.state_offset[2] + k], p2[k] / z, 1e-12);
  // The hard zero: (x0, x1) = (1, 1) has probability 0.
  EXPECT_EQ(total_log_potential(m, std::vector<std::int32_t>{1, 1, 0}), kNegInf);
}

// A chain x0 → x1 → x2 of CPTs (the child is each function's last variable).
const char* kBayes = R"(BAYES
3
2 2 2
3
1 0
2 0 1
2 1 2
2 0.6 0.4
4 0.9 0.1 0.2 0.8
4 0.7 0.3 0.25 0.75
)";

TEST(UaiRead, BayesNetworkIsNormalised) {
  const proto::Model pm = parse_uai(kBayes, "bn.uai");
  ASSERT_EQ(pm.variables_size(), 1);  // one cardinality: a single group "x"
  EXPECT_EQ(pm.variables(0).name(), "x");
  EXPECT_EQ(pm.variables(0).shape(0), 3);
  ASSERT_EQ(pm.factors_size(), 2);  // the unary CPT and the two 2×2 CPTs
  EXPECT_EQ(pm.factors(1).scope(1), "x[1] x[2]");

  CompiledModel m = compile(pm, SourceMap("bn.uai"), "");
  const Exact exact = brute_force(m);
  EXPECT_NEAR(exact.log_z, 0.0, 1e-12);
  // P(x1 = 1) = .6·.1 + .4·.8 = .38; P(x2 = 1) = .62·.3 + .38·.75 = .471.
  EXPECT_NEAR(exact.marginals[m.graph->state_offset[1] + 1], 0.38, 1e-12);
  EXPECT_NEAR(exact.marginals[m.graph->state_offset[2] + 1], 0.471, 1e-12);
  // With evidence x2 = 1, log Z is log P(x2 = 1).
  apply_evidence(m, parse_evidence("1 2 1", "bn.evid").at(0), "bn.evid");
  EXPECT_NEAR(brute_force(m).log_z, std::log(0.471), 1e-12);
}

TEST(UaiRead, ToleratesLayoutCommentsAndExtremeValues) {
  // One line, CRLF, tabs, a '+' sign, lower case, and values beyond the range of a double
  // (taken in the log domain).
  const proto::Model m =
      parse_uai("markov 2\r\n2 2\t2 1 0 1 1\r\nc comment\r\n2 +0.5 1e-400 2 1E400 .25", "t.uai");
  ASSERT_EQ(m.parameters_size(), 1);
  const proto::Parameter& p = m.parameters(0);
  ASSERT_EQ(p.value_size(), 4);
  EXPECT_DOUBLE_EQ(p.value(0), std::log(0.5));
  EXPECT_NEAR(p.value(1), -400 * std::log(10.0), 1e-9);
  EXPECT_NEAR(p.value(2), 400 * std::log(10.0), 1e-9);
  EXPECT_DOUBLE_EQ(p.value(3), std::log(0.25));
  EXPECT_EQ(m.factors(0).scope(1), "x[1]");
}

TEST(UaiRead, EmptyScopeListAndFile) {
  EXPECT_NO_THROW(parse_uai("MARKOV 2 2 2 0", "t.uai"));
  const proto::Model m = parse_uai("MARKOV 1 2 1 0 1 0.5", "t.uai");
  EXPECT_EQ(m.factors_size(), 0);
  EXPECT_DOUBLE_EQ(m.log_constant(), std::log(0.5));
}

// ---------------------------------------------------------------------------------------------
// Malformed models: one input per mistake; the message names the file, the line and the value.

struct BadUai {
  const char* name;
  const char* text;
  std::vector<const char*> expected;  // substrings of the message
};

class UaiErrors : public ::testing::TestWithParam<BadUai> {};

TEST_P(UaiErrors, NamesLineAndValue) {
  const BadUai& bad = GetParam();
  const std::string message = uai_error(bad.text);
  ASSERT_FALSE(message.empty()) << bad.name << ": no error";
  for (const char* s : bad.expected) EXPECT_THAT(message, HasSubstr(s)) << bad.name;
}

INSTANTIATE_TEST_SUITE_P(
    Uai, UaiErrors,
    ::testing::Values(
        BadUai{"empty", "", {"test.uai:1:", "MARKOV or BAYES", "end of the file"}},
        BadUai{"network type", "MARKOW\n1\n2\n0\n", {"test.uai:1:", "'MARKOW'"}},
        BadUai{"negative count", "MARKOV\n-3\n", {"test.uai:2:", "'-3'", "number of variables"}},
        BadUai{"absurd variables",
               "MARKOV\n1000000000000\n2\n",
               {"test.uai:2:", "'1000000000000'", "limit"}},
        BadUai{"more variables than the file holds",
               "MARKOV\n100000000\n2 2\n",
               {"test.uai:2:", "100000000 variables", "too short"}},
        BadUai{"cardinality one",
               "MARKOV\n3\n2 1 2\n0\n",
               {"test.uai:3:", "variable 1", "cardinality 1"}},
        BadUai{"cardinality not a number", "MARKOV\n2\n2 two\n", {"test.uai:3:", "'two'"}},
        BadUai{"more functions than the file holds",
               "MARKOV\n1\n2\n900000\n1 0\n",
               {"test.uai:4:", "900000 functions"}},
        BadUai{"scope larger than the model",
               "MARKOV\n2\n2 2\n1\n3 0 1 0\n",
               {"test.uai:5:", "function 0", "3 variables"}},
        BadUai{"variable out of range",
               "MARKOV\n2\n2 2\n1\n2 0 7\n",
               {"test.uai:5:", "'7'", "function 0", "out of range"}},
        BadUai{"repeated variable",
               "MARKOV\n2\n2 2\n2\n1 0\n2 1 1\n",
               {"test.uai:6:", "variable 1 appears twice", "function 1"}},
        BadUai{"wrong table size",
               "MARKOV\n2\n2 2\n1\n2 0 1\n\n5\n1 1 1 1 1\n",
               {"test.uai:7:", "'5'", "function 0", "needs 4"}},
        BadUai{
            "absurd table",
            "MARKOV\n40\n2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 2 "
            "2 2 2 2\n1\n40 0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 "
            "26 27 28 29 30 31 32 33 34 35 36 37 38 39\n1099511627776\n1 1\n",
            {"test.uai:6:", "1099511627776 entries", "rest of the file"}},
        BadUai{"too few values",
               "MARKOV\n2\n2 2\n1\n2 0 1\n4\n1 1\n1\n",
               {"test.uai:8:", "function 0", "after 3 of 4"}},
        BadUai{"negative value",
               "MARKOV\n1\n2\n1\n1 0\n2\n0.5\n-0.5\n",
               {"test.uai:8:", "'-0.5'", "negative"}},
        BadUai{"nan", "MARKOV\n1\n2\n1\n1 0\n2\nnan 1\n", {"test.uai:7:", "'nan'", "not a number"}},
        BadUai{"inf", "MARKOV\n1\n2\n1\n1 0\n2\n1 inf\n", {"test.uai:7:", "'inf'", "infinite"}},
        BadUai{"unparsable value",
               "MARKOV\n1\n2\n1\n1 0\n2\n1 0.5x\n",
               {"test.uai:7:", "'0.5x'", "not a number"}},
        BadUai{"zero constant",
               "MARKOV\n1\n2\n1\n0\n1\n0\n",
               {"test.uai:7:", "zero-arity function 0", "'0'"}},
        BadUai{"trailing garbage",
               "MARKOV\n1\n2\n1\n1 0\n2\n1 1\n\nextra\n",
               {"test.uai:9:", "'extra'", "after the last function table"}}),
    [](const ::testing::TestParamInfo<BadUai>& info) {
      std::string name;
      for (const char* c = info.param.name; *c; ++c) name += std::isalnum(*c) ? *c : '_';
      return name;
    });

// ---------------------------------------------------------------------------------------------
// Writing models

// Same f(x) = log_constant + Σ θ on every joint state (the round trip may reorder factors).
void expect_same_log_potential(const CompiledModel& a, const CompiledModel& b) {
  ASSERT_EQ(a.graph->cardinality, b.graph->cardinality);
  for_each_state(*a.graph, [&](const std::vector<std::int32_t>& s) {
    const double fa = total_log_potential(a, s);
    const double fb = total_log_potential(b, s);
    if (std::isinf(fa) || std::isinf(fb)) {
      EXPECT_EQ(fa, fb);
    } else {
      EXPECT_NEAR(fa, fb, 1e-11 * (1 + std::abs(fa)));
    }
  });
}

CompiledModel round_trip(const CompiledModel& m) {
  std::ostringstream out;
  write_uai(m, out);
  return compile_uai(out.str(), "round_trip.uai");
}

TEST(UaiWrite, RoundTripOfReadFiles) {
  for (const char* text : {kMarkov, kBayes}) {
    const CompiledModel m = compile_uai(text);
    const CompiledModel back = round_trip(m);
    EXPECT_EQ(back.graph->num_factors(), m.graph->num_factors());
    EXPECT_NEAR(back.graph->log_constant, m.graph->log_constant, 1e-14);
    expect_same_log_potential(m, back);
  }
}

TEST(UaiWrite, RoundTripOfRandomModelsOfEveryKind) {
  // Unary, pairwise, Ising, Potts, tables, enumeration, OR/AND and bipartite factors all
  // become dense UAI tables; f(x) must survive on every joint state, and the evidence, which
  // travels in a separate .evid file, must give the same log Z.
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const proto::Model pm = testing::random_with_evidence(seed);
    SCOPED_TRACE(testing::describe(pm));
    ASSERT_LE(testing::num_joint_states(pm), 100000);
    const CompiledModel m = compile(pm, SourceMap("random.pbtxt"), "");
    ASSERT_GT(m.num_clamped(), 0);
    CompiledModel back = round_trip(m);
    expect_same_log_potential(m, back);

    std::ostringstream evid;
    write_evidence(m, evid);
    const auto samples = parse_evidence(evid.str(), "random.evid");
    ASSERT_EQ(samples.size(), 1u);
    apply_evidence(back, samples[0], "random.evid");
    EXPECT_EQ(back.evidence, m.evidence);
    EXPECT_NEAR(brute_force(back).log_z, brute_force(m).log_z, 1e-10);
  }
}

TEST(UaiWrite, RandomStatesOfALargerReadModel) {
  // 30 binary variables in a ring of pairwise tables with random numbers (too many states to
  // enumerate): random states must agree after a round trip.
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> value(0.01, 10.0);
  std::ostringstream text;
  text << "MARKOV\n30\n";
  for (int i = 0; i < 30; ++i) text << "2 ";
  text << "\n30\n";
  for (int i = 0; i < 30; ++i) text << "2 " << i << ' ' << (i + 1) % 30 << '\n';
  text.precision(17);
  for (int i = 0; i < 30; ++i) {
    text << "4\n";
    for (int e = 0; e < 4; ++e) text << value(rng) << ' ';
    text << '\n';
  }
  const CompiledModel m = compile_uai(text.str());
  const CompiledModel back = round_trip(m);
  std::vector<std::int32_t> state(30);
  for (int trial = 0; trial < 200; ++trial) {
    for (auto& s : state) s = static_cast<std::int32_t>(rng() % 2);
    EXPECT_NEAR(total_log_potential(m, state), total_log_potential(back, state), 1e-11);
  }
}

TEST(UaiWrite, LargeConstantIsSplitIntoZeroArityFunctions) {
  // e^3453.9 overflows a double; it is written as several zero-arity functions.
  const CompiledModel m =
      compile_uai("MARKOV 1 2 6 1 0 0 0 0 0 0 2 1 2 1 1e300 1 1e300 1 1e300 1 1e300 1 1e300");
  EXPECT_NEAR(m.graph->log_constant, 5 * 300 * std::log(10.0), 1e-9);
  const CompiledModel back = round_trip(m);
  EXPECT_NEAR(back.graph->log_constant, m.graph->log_constant, 1e-9);
}

TEST(UaiWrite, RefusesHugeTablesAndOverflowingPotentials) {
  // An OR over 25 parents: a dense table of 2^26 entries.
  std::string text = R"(variables { name: "b" shape: [26] cardinality: 2 }
                        factors { name: "big_or" logical_or { parents: ")";
  for (int i = 0; i < 25; ++i) text += "b[" + std::to_string(i) + "] ";
  text += R"(" child: "b[25]" } })";
  const CompiledModel big = testing::compile_text(text);
  std::ostringstream sink;
  try {
    write_uai(big, sink);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("big_or"));
    EXPECT_THAT(e.what(), HasSubstr("2^24"));
  }
  EXPECT_TRUE(sink.str().empty());  // nothing half-written

  const CompiledModel hot = testing::compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "t" shape: [2] value: [800, 0] }
    factors { name: "hot_unary" unary { log_potentials: "t" } each: "x" })");
  try {
    write_uai(hot, sink);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("hot_unary"));
    EXPECT_THAT(e.what(), HasSubstr("800"));
  }
}

// ---------------------------------------------------------------------------------------------
// Evidence files

using Sample = EvidenceSample;

TEST(UaiEvidence, SingleSampleLayout) {
  const auto samples = parse_evidence("2 1 0 2 1\n", "e.evid");
  ASSERT_EQ(samples.size(), 1u);
  EXPECT_EQ(samples[0], (Sample{{1, 0}, {2, 1}}));
  // The same line broken over lines (it cannot be read as the multi-sample layout).
  EXPECT_EQ(parse_evidence("2\n1 0\n2 1\n", "e.evid"), samples);
  // No evidence.
  EXPECT_EQ(parse_evidence("0\n", "e.evid"), (std::vector<Sample>{Sample{}}));
  EXPECT_EQ(parse_evidence("", "e.evid"), (std::vector<Sample>{Sample{}}));
}

TEST(UaiEvidence, MultiSampleLayout) {
  const auto samples = parse_evidence("3\n1 0 1\n0\n2 0 0 1 1\n", "e.evid");
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0], (Sample{{0, 1}}));
  EXPECT_TRUE(samples[1].empty());
  EXPECT_EQ(samples[2], (Sample{{0, 0}, {1, 1}}));
  EXPECT_EQ(parse_evidence("1\n0\n", "e.evid"), (std::vector<Sample>{Sample{}}));
}

TEST(UaiEvidence, AmbiguousFilesFollowTheLineRule) {
  // Tokens 2 1 0 1 0 fit both layouts: on one line the single sample {1: 0, 1: 0} (which
  // apply_evidence accepts, the same value twice)...
  EXPECT_EQ(parse_evidence("2 1 0 1 0", "e.evid"), (std::vector<Sample>{{{1, 0}, {1, 0}}}));
  // ...with a lone count on the first line, two samples.
  EXPECT_EQ(parse_evidence("2\n1 0 1\n0\n", "e.evid"), (std::vector<Sample>{{{0, 1}}, Sample{}}));
}

TEST(UaiEvidence, MalformedFiles) {
  EXPECT_THAT(evidence_error("2 1 0 x 1"), HasSubstr("test.evid:1:"));
  EXPECT_THAT(evidence_error("2 1 0 x 1"), HasSubstr("'x'"));
  EXPECT_THAT(evidence_error("1 0 -1"), HasSubstr("'-1'"));
  const std::string short_line = evidence_error("3 1 0 2 1");
  EXPECT_THAT(short_line, HasSubstr("test.evid:1:"));
  EXPECT_THAT(short_line, HasSubstr("declares 3"));
  const std::string short_multi = evidence_error("2\n1 0 1\n2 0 0\n");
  EXPECT_THAT(short_multi, HasSubstr("test.evid:3:"));
  EXPECT_THAT(short_multi, HasSubstr("sample 1"));
  EXPECT_THAT(evidence_error("1 0 1 5"), HasSubstr("'5'"));
}

TEST(UaiEvidence, ApplyValidatesAgainstTheModel) {
  CompiledModel m = compile_uai(kMarkov);  // cardinalities 2, 2, 3
  auto error = [&](const Sample& s) {
    CompiledModel copy = m;
    try {
      apply_evidence(copy, s, "e.evid");
    } catch (const Error& e) {
      EXPECT_EQ(copy.evidence, m.evidence);  // unchanged on error
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_THAT(error({{3, 0}}), HasSubstr("e.evid: evidence names variable 3"));
  const std::string bad_value = error({{2, 3}});
  EXPECT_THAT(bad_value, HasSubstr("variable 2 (x_2[0])"));
  EXPECT_THAT(bad_value, HasSubstr("value 3"));
  EXPECT_THAT(bad_value, HasSubstr("cardinality is 3"));
  EXPECT_THAT(error({{0, 1}, {0, 0}}), HasSubstr("an earlier entry already clamps it to 1"));

  apply_evidence(m, {{2, 2}}, "first.evid");
  EXPECT_EQ(m.evidence, (std::vector<std::int32_t>{kFree, kFree, 2}));
  EXPECT_THAT(error({{2, 1}}), HasSubstr("the model already clamps it to 2"));
  apply_evidence(m, {{2, 2}, {0, 1}}, "second.evid");  // agreeing evidence is fine
  EXPECT_EQ(m.evidence, (std::vector<std::int32_t>{1, kFree, 2}));
}

TEST(UaiEvidence, WriteReadsBack) {
  CompiledModel m = compile_uai(kMarkov);
  apply_evidence(m, {{2, 1}, {0, 1}}, "e.evid");
  std::ostringstream out;
  write_evidence(m, out);
  EXPECT_EQ(out.str(), "2 0 1 2 1\n");
  CompiledModel again = compile_uai(kMarkov);
  apply_evidence(again, parse_evidence(out.str(), "e.evid").at(0), "e.evid");
  EXPECT_EQ(again.evidence, m.evidence);
}

TEST(UaiEvidence, FilesOnDisk) {
  const std::string dir = testing::scratch_dir();
  const std::string path = testing::write_file(dir, "m.uai.evid", "1\n1 1 0\n");
  EXPECT_EQ(read_evidence_file(path), (std::vector<Sample>{{{1, 0}}}));
  const std::string model = testing::write_file(dir, "m.uai", kBayes);
  EXPECT_EQ(read_uai(model).variables(0).shape(0), 3);
  EXPECT_THAT(
      [&] {
        try {
          read_uai(dir + "/missing.uai");
        } catch (const Error& e) {
          return std::string(e.what());
        }
        return std::string();
      }(),
      HasSubstr("missing.uai"));
  const CompiledModel m = compile_uai(kBayes);
  write_uai(m, dir + "/out.uai");
  expect_same_log_potential(m, compile(read_uai(dir + "/out.uai"), SourceMap("out.uai"), ""));
}

// ---------------------------------------------------------------------------------------------
// Result files

TEST(UaiResults, Layouts) {
  const CompiledModel m = compile_uai(kMarkov);  // cardinalities 2, 2, 3
  const Graph& g = *m.graph;
  std::ostringstream mar;
  write_uai_mar(g, std::vector<double>{0.25, 0.75, 0.5, 0.5, 0.1, 0.2, 0.7}, mar);
  EXPECT_EQ(mar.str(), "MAR\n3 2 0.25 0.75 2 0.5 0.5 3 0.1 0.2 0.7\n");

  std::ostringstream mpe, map;
  write_uai_mpe(g, std::vector<std::int32_t>{1, 0, 2}, mpe);
  EXPECT_EQ(mpe.str(), "MPE\n3 1 0 2\n");
  write_uai_mpe(g, std::vector<std::int32_t>{0, 0, 0}, map, "MAP");
  EXPECT_EQ(map.str(), "MAP\n3 0 0 0\n");

  std::ostringstream pr;
  write_uai_pr(std::log(1000.0), pr);
  ASSERT_EQ(pr.str().substr(0, 3), "PR\n");
  EXPECT_NEAR(std::stod(pr.str().substr(3)), 3.0, 1e-15);

  // The brute-force marginals of the model, written and read back.
  const Exact exact = brute_force(m);
  std::ostringstream exact_mar;
  write_uai_mar(g, exact.marginals, exact_mar);
  std::istringstream in(exact_mar.str());
  std::string task;
  int n = 0;
  in >> task >> n;
  EXPECT_EQ(task, "MAR");
  EXPECT_EQ(n, 3);
  for (std::int32_t v = 0; v < n; ++v) {
    int k = 0;
    in >> k;
    EXPECT_EQ(k, g.cardinality[v]);
    for (int s = 0; s < k; ++s) {
      double p = 0;
      in >> p;
      EXPECT_EQ(p, exact.marginals[g.state_offset[v] + s]);  // shortest exact form
    }
  }
}

TEST(UaiResults, RejectWrongSizesAndStates) {
  const CompiledModel m = compile_uai(kMarkov);
  std::ostringstream out;
  EXPECT_THROW(write_uai_mar(*m.graph, std::vector<double>(6, 0.5), out), Error);
  EXPECT_THROW(write_uai_mpe(*m.graph, std::vector<std::int32_t>{0, 0}, out), Error);
  try {
    write_uai_mpe(*m.graph, std::vector<std::int32_t>{0, 2, 0}, out);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), HasSubstr("variable 1 (x_0[1]) has state 2"));
  }
  EXPECT_TRUE(out.str().empty());
}

}  // namespace
}  // namespace dgm::engine
