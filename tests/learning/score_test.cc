// learning/score.h: the average log-likelihood against brute-force enumeration on small models
// with hidden variables (an RBM's hidden layer, summed out by the free energy; a categorical
// model, summed out by the junction tree), with evidence, and with AIS's log Z; parameter
// RMSE on hand-made models.
#include "learning/score.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "inference/exact/enumeration.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

using testing::compile_text;
using testing::error_of;
using ::testing::HasSubstr;

// Every full state of the model (row-major over variable ids), for brute force.
template <class F>
void for_each_state(const engine::Graph& g, F f) {
  std::vector<std::int32_t> x(static_cast<std::size_t>(g.num_variables()), 0);
  while (true) {
    f(x);
    std::int32_t v = g.num_variables() - 1;
    while (v >= 0 && ++x[static_cast<std::size_t>(v)] == g.cardinality[static_cast<std::size_t>(v)])
      x[static_cast<std::size_t>(v--)] = 0;
    if (v < 0) return;
  }
}

double log_add(double a, double b) {
  if (a == -INFINITY) return b;
  if (b == -INFINITY) return a;
  const double m = std::max(a, b);
  return m + std::log(std::exp(a - m) + std::exp(b - m));
}

// Brute force: mean over examples of log Σ_{hidden, agreeing with the evidence} exp f − log Z.
double brute_force_mean(const engine::CompiledModel& m, const Dataset& d, const VisibleLayout& l) {
  const engine::Graph& g = *m.graph;
  double log_z = -INFINITY;
  std::vector<double> per(static_cast<std::size_t>(d.num_examples), -INFINITY);
  for_each_state(g, [&](const std::vector<std::int32_t>& x) {
    for (std::int32_t v = 0; v < g.num_variables(); ++v)
      if (!m.evidence.empty() && m.evidence[static_cast<std::size_t>(v)] != engine::kFree &&
          m.evidence[static_cast<std::size_t>(v)] != x[static_cast<std::size_t>(v)])
        return;
    const double f = engine::total_log_potential(m, x);
    log_z = log_add(log_z, f);
    for (std::int64_t r = 0; r < d.num_examples; ++r) {
      bool match = true;
      for (std::size_t c = 0; c < l.variables.size(); ++c)
        match &= x[static_cast<std::size_t>(l.variables[c])] == d.example(r)[c];
      if (match) per[static_cast<std::size_t>(r)] = log_add(per[static_cast<std::size_t>(r)], f);
    }
  });
  double sum = 0.0;
  for (const double p : per) sum += p - log_z;
  return sum / static_cast<double>(d.num_examples);
}

Dataset random_data(const engine::CompiledModel& m, const VisibleLayout& l, std::int64_t rows,
                    std::uint64_t seed) {
  Dataset d;
  d.source = "data.npy";
  d.num_examples = rows;
  d.width = static_cast<std::int64_t>(l.variables.size());
  d.shape = {rows, d.width};
  std::mt19937_64 rng(seed);
  for (std::int64_t r = 0; r < rows; ++r)
    for (const std::int32_t v : l.variables) {
      const std::int32_t e =
          m.evidence.empty() ? engine::kFree : m.evidence[static_cast<std::size_t>(v)];
      d.values.push_back(e != engine::kFree
                             ? e
                             : static_cast<std::int32_t>(
                                   rng() % static_cast<std::uint64_t>(
                                               m.graph->cardinality[static_cast<std::size_t>(v)])));
    }
  return d;
}

const char* kRbm = R"(
  variables { name: "v" shape: [5] cardinality: 2 }
  variables { name: "h" shape: [4] cardinality: 2 }
  parameters { name: "W" shape: [5, 4] init { normal { stddev: 1.0 } seed: 3 } learnable: true }
  parameters { name: "b" shape: [5] init { normal { stddev: 0.5 } seed: 4 } learnable: true }
  parameters { name: "c" shape: [4] value: [0.3, -0.2, 0.1, 0.4] }
  factors { name: "w" bipartite { left: "v" right: "h" weights: "W" } }
  factors { name: "bv" unary { log_odds: "b" } each: "v" }
  factors { name: "bh" unary { field: "c" } each: "h" }
)";

TEST(Score, RbmHiddenLayerBySumOfFreeEnergyEqualsBruteForce) {
  for (const std::string& evidence :
       {std::string(), std::string("evidence { variable: \"v[2]\" value: 1 }\n"
                                   "evidence { variable: \"h[1]\" value: 0 }\n")}) {
    const engine::CompiledModel m = compile_text(std::string(kRbm) + evidence);
    const VisibleLayout l = visible_layout(*m.graph, {}, 5, "data.npy");
    const Dataset d = random_data(m, l, 40, 1);
    validate_dataset(d, m, l);
    const ScoreResult s = score(m, d, l, model_log_z(m, LogZMethod::kExact));
    EXPECT_EQ(s.hidden, HiddenSum::kRbmFreeEnergy);
    EXPECT_EQ(s.hidden_variables, 4);
    EXPECT_NEAR(s.mean_log_likelihood, brute_force_mean(m, d, l), 1e-10) << evidence;
    EXPECT_GT(s.standard_error, 0.0);
    EXPECT_EQ(s.low, s.mean_log_likelihood);
  }
}

TEST(Score, CategoricalHiddenVariablesByJunctionTreeEqualBruteForce) {
  const engine::CompiledModel m = compile_text(R"(
    variables { name: "a" shape: [3] cardinality: 2 }
    variables { name: "z" shape: [2] cardinality: 3 }
    parameters { name: "T" shape: [3, 2, 3] init { normal { stddev: 1.0 } seed: 5 } }
    parameters { name: "U" shape: [3, 3] init { normal { stddev: 1.0 } seed: 6 } }
    factors { name: "az" pairwise { log_potentials: "T" }
              scope: "a[0] z[0]" scope: "a[1] z[0]" scope: "a[2] z[1]" }
    factors { name: "zz" pairwise { log_potentials: "U" } scope: "z[0] z[1]" }
    evidence { variable: "z[1]" value: 2 }
  )");
  const VisibleLayout l = visible_layout(*m.graph, {}, 3, "data.npy");
  const Dataset d = random_data(m, l, 16, 2);
  const ScoreResult s = score(m, d, l, model_log_z(m, LogZMethod::kExact));
  EXPECT_EQ(s.hidden, HiddenSum::kJunctionTree);
  EXPECT_NEAR(s.mean_log_likelihood, brute_force_mean(m, d, l), 1e-10);
}

TEST(Score, NoHiddenVariablesUseTheLogPotential) {
  const engine::CompiledModel m =
      engine::load_compiled(testing::source_path("examples/tiny_chain.pbtxt"));
  const VisibleLayout l = visible_layout(*m.graph, {}, 10, "data.npy");
  const Dataset d = random_data(m, l, 30, 3);
  const ScoreResult s = score(m, d, l, model_log_z(m, LogZMethod::kExact));
  EXPECT_EQ(s.hidden, HiddenSum::kNone);
  EXPECT_NEAR(s.mean_log_likelihood, brute_force_mean(m, d, l), 1e-10);
  // A given log Z shifts the score by the difference.
  const ScoreResult given = score(m, d, l, model_log_z(m, LogZMethod::kGiven, {}, 1.5));
  EXPECT_NEAR(given.mean_log_likelihood, s.mean_log_unnormalised - 1.5, 1e-12);
  EXPECT_THAT(error_of([&] { model_log_z(m, LogZMethod::kGiven, {}, NAN); }),
              HasSubstr("must be finite"));
  EXPECT_THAT(error_of([&] { model_log_z(m, LogZMethod::kGiven, {}, INFINITY); }),
              HasSubstr("must be finite; got inf"));
}

TEST(Score, ImpossibleEvidenceIsRefused) {
  const engine::CompiledModel m = compile_text(R"(
    variables { name: "a" cardinality: 2 }
    variables { name: "b" cardinality: 2 }
    parameters { name: "u" shape: [2] value: [0, -inf] }
    parameters { name: "J" value: 0.5 }
    factors { name: "f" unary { log_potentials: "u" } each: "a" }
    factors { name: "p" ising { coupling: "J" } scope: "a b" }
    evidence { variable: "a" value: 1 }
  )");
  const std::vector<std::string> names = {"b"};
  const VisibleLayout l = visible_layout(*m.graph, names, 1, "data.npy");
  const Dataset d = random_data(m, l, 4, 7);
  EXPECT_THAT(error_of([&] { score(m, d, l, model_log_z(m, LogZMethod::kExact)); }),
              HasSubstr("log Z is -inf (no configuration has positive probability"));
}

TEST(Score, AisLogZIntervalIsCarriedIntoTheScore) {
  const engine::CompiledModel m = compile_text(kRbm);
  const VisibleLayout l = visible_layout(*m.graph, {}, 5, "data.npy");
  const Dataset d = random_data(m, l, 50, 4);
  inference::AisOptions o;
  o.runs = 64;
  o.num_betas = 500;
  o.base_log_potentials = ais_base_from_data(m, d, l);
  const LogZEstimate z = model_log_z(m, LogZMethod::kAis, o);
  EXPECT_FALSE(z.exact);
  ASSERT_TRUE(z.ais.has_value());
  const ScoreResult s = score(m, d, l, z);
  const double exact = brute_force_mean(m, d, l);
  EXPECT_LE(s.low, exact);
  EXPECT_GE(s.high, exact);
  EXPECT_LT(s.high - s.low, 0.3);
}

TEST(Score, BaseFromDataIsTheSmoothedMarginal) {
  const engine::CompiledModel m = compile_text(kRbm);
  const VisibleLayout l = visible_layout(*m.graph, {}, 5, "data.npy");
  Dataset d = random_data(m, l, 3, 5);
  for (std::int64_t r = 0; r < 3; ++r)
    d.values[static_cast<std::size_t>(r * 5)] = r == 0;  // v[0]: one 1 of 3
  const std::vector<double> u = ais_base_from_data(m, d, l, 1.0);
  EXPECT_NEAR(u[0], std::log(3.0 / 5.0), 1e-12);  // (2 + 1) / (3 + 2)
  EXPECT_NEAR(u[1], std::log(2.0 / 5.0), 1e-12);
  EXPECT_EQ(u[static_cast<std::size_t>(m.graph->state_offset[5])], 0.0);  // hidden: uniform
}

TEST(Score, TooLargeHiddenSumIsRefusedClearly) {
  const engine::CompiledModel m = compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    variables { name: "z" shape: [6, 6] cardinality: 2 }
    parameters { name: "J" value: 0.3 }
    factors { name: "grid" ising { coupling: "J" } lattice { group: "z" neighbourhood: 8 } }
    factors { name: "xz" ising { coupling: "J" } scope: "x[0] z[0,0]" scope: "x[1] z[5,5]" }
  )");
  const VisibleLayout l = visible_layout(*m.graph, {}, 2, "data.npy");
  const Dataset d = random_data(m, l, 2, 6);
  EXPECT_THAT(
      error_of([&] { log_unnormalised(m, d, l, 16); }),
      HasSubstr("summing out the 36 hidden variables (first: z[0,0]) exactly is too large"));
}

TEST(ParameterRmse, HandMadeModels) {
  const std::string head = R"(
    variables { name: "s" shape: [3] cardinality: 2 }
    factors { name: "f" unary { log_odds: "b" } each: "s" }
    factors { name: "p" ising { coupling: "J" } scope: "s[0] s[1]" }
  )";
  const engine::CompiledModel learned =
      compile_text(head +
                   "parameters { name: \"b\" shape: [3] value: [1, 2, 3] learnable: true }\n"
                   "parameters { name: \"J\" value: 0.5 learnable: true }\n");
  const engine::CompiledModel truth =
      compile_text(head +
                   "parameters { name: \"b\" shape: [3] value: [1, 0, 3] }\n"
                   "parameters { name: \"J\" value: 1.5 }\n");
  const RmseReport r = parameter_rmse(learned, truth);
  ASSERT_EQ(r.parameters.size(), 2u);
  EXPECT_EQ(r.values, 4);
  EXPECT_NEAR(r.rmse, std::sqrt((4.0 + 1.0) / 4.0), 1e-12);
  EXPECT_EQ(r.parameters[0].name, "b");
  EXPECT_NEAR(r.parameters[0].rmse, std::sqrt(4.0 / 3.0), 1e-12);
  EXPECT_NEAR(r.parameters[1].rmse, 1.0, 1e-12);

  const engine::CompiledModel renamed = compile_text(
      "variables { name: \"s\" shape: [3] cardinality: 2 }\n"
      "parameters { name: \"bias\" shape: [3] value: [1, 0, 3] }\n"
      "factors { name: \"f\" unary { log_odds: \"bias\" } each: \"s\" }\n");
  EXPECT_THAT(error_of([&] { parameter_rmse(learned, renamed); }),
              HasSubstr("no parameter 'b' to compare with"));
  const engine::CompiledModel reshaped = compile_text(
      "variables { name: \"s\" shape: [2] cardinality: 2 }\n"
      "parameters { name: \"b\" shape: [2] value: [1, 0] }\n"
      "parameters { name: \"J\" value: 1 }\n"
      "factors { name: \"f\" unary { log_odds: \"b\" } each: \"s\" }\n"
      "factors { name: \"p\" ising { coupling: \"J\" } scope: \"s[0] s[1]\" }\n");
  EXPECT_THAT(error_of([&] { parameter_rmse(learned, reshaped); }),
              HasSubstr("parameter 'b' has shape [2];"));
}

}  // namespace
}  // namespace dgm::learning
