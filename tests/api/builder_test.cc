// dgm::ModelBuilder: a model declared in code compiles to the same model as the equivalent
// .pbtxt — same variables, factors, parameter values and evidence, and the same
// log-potential f(x) on random states.
#include <dgm/dgm.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace {

std::string example(const std::string& name) { return DGM_SOURCE_DIR "/examples/" + name; }

// Compares everything compilation produced that f(x) depends on, then f itself on 100 random
// states (−inf = −inf for states a hard constraint forbids) and on `extra` states.
void expect_same_model(const dgm::Model& a, const dgm::Model& b,
                       const std::vector<std::vector<std::int32_t>>& extra = {}) {
  ASSERT_EQ(a.num_variables(), b.num_variables());
  ASSERT_EQ(a.num_factors(), b.num_factors());
  for (std::int32_t v = 0; v < a.num_variables(); ++v) {
    ASSERT_EQ(a.cardinality(v), b.cardinality(v));
    ASSERT_EQ(a.variable_name(v), b.variable_name(v));
  }
  EXPECT_EQ(a.parameter_names(), b.parameter_names());
  const auto pa = a.parameter_values(), pb = b.parameter_values();
  EXPECT_EQ(std::vector<double>(pa.begin(), pa.end()), std::vector<double>(pb.begin(), pb.end()));
  const auto ea = a.evidence(), eb = b.evidence();
  EXPECT_EQ(std::vector<std::int32_t>(ea.begin(), ea.end()),
            std::vector<std::int32_t>(eb.begin(), eb.end()));

  std::mt19937_64 rng(42);
  std::vector<std::vector<std::int32_t>> states = extra;
  for (int i = 0; i < 100; ++i) {
    std::vector<std::int32_t> x(a.num_variables());
    for (std::int32_t v = 0; v < a.num_variables(); ++v)
      x[v] = std::uniform_int_distribution<std::int32_t>(0, a.cardinality(v) - 1)(rng);
    states.push_back(std::move(x));
  }
  int finite = 0;
  for (const auto& x : states) {
    const double fa = a.log_potential(x), fb = b.log_potential(x);
    EXPECT_EQ(fa, fb);
    finite += std::isfinite(fa);
  }
  EXPECT_GT(finite, 0) << "no state of positive probability was compared";
}

TEST(ModelBuilder, IsingLatticeMatchesTheExampleFile) {
  dgm::ModelBuilder b;
  b.description("2-D periodic Ising ferromagnet 64x64 at J = 0.4407 (spin convention)");
  b.variables("s", {64, 64}, 2);
  b.parameter("J", 0.4407);
  b.factors("bonds").ising("J").lattice("s", {.neighbourhood = 4, .periodic = true});
  expect_same_model(b.compile(), dgm::Model::from_file(example("ising_2d.pbtxt")));
}

TEST(ModelBuilder, PottsWithEvidenceTablesScopesAndBetweenMatchesText) {
  const dgm::Model from_text = dgm::Model::from_text(R"(
    variables { name: "x" shape: [5, 5] cardinality: 3 state_names: ["r", "g", "b"] }
    variables { name: "y" shape: [3] cardinality: 3 }
    variables { name: "z" shape: [2] cardinality: 3 }
    parameters { name: "J" value: 0.8 }
    parameters { name: "theta" shape: [3] value: [0.1, -0.2, 0.3] }
    parameters { name: "M" shape: [3, 3] value: [0, 1, 2, 3, 4, 5, 6, 7, 8] }
    parameters { name: "T" shape: [3, 3] init { normal { mean: 0 stddev: 1 } seed: 5 } }
    factors { name: "bonds" potts { coupling: "J" } lattice { group: "x" neighbourhood: 8 } }
    factors { name: "field" unary { log_potentials: "theta" } each: "x" }
    factors { name: "link" pairwise { log_potentials: "M" } all_pairs: "y" }
    factors { name: "corner" table { log_potentials: "T" } scope: "x[0,0] y[1]" }
    factors { name: "cross" potts { coupling: "J" } between { left: "y" right: "z" } }
    evidence { variable: "x[2,2]" value: 1 }
    evidence { variable: "y" values: [0, 2, 1] })",
                                                     "potts.pbtxt");
  dgm::proto::Initializer normal;
  normal.mutable_normal()->set_stddev(1);
  normal.set_seed(5);
  dgm::ModelBuilder b;
  b.variables("x", {5, 5}, 3, {"r", "g", "b"});
  b.variables("y", {3}, 3);
  b.variables("z", {2}, 3);
  b.parameter("J", 0.8);
  b.parameter("theta", {0.1, -0.2, 0.3}, {3});
  b.parameter("M", {0, 1, 2, 3, 4, 5, 6, 7, 8}, {3, 3});
  b.parameter("T", {3, 3}, normal);
  b.factors("bonds").potts("J").lattice("x", {.neighbourhood = 8});
  b.factors("field").unary("theta").each("x");
  b.factors("link").pairwise("M").all_pairs("y");
  b.factors("corner").table("T").scope("x[0,0] y[1]");
  b.factors("cross").potts("J").between("y", "z");
  b.evidence("x[2,2]", 1);
  b.evidence("y", std::vector<std::int32_t>{0, 2, 1});
  expect_same_model(b.compile(), from_text);
}

TEST(ModelBuilder, RbmMatchesText) {
  const dgm::Model from_text = dgm::Model::from_text(R"(
    variables { name: "v" shape: [3, 4] cardinality: 2 }
    variables { name: "h" shape: [5] cardinality: 2 }
    parameters { name: "W" shape: [12, 5] init { normal { stddev: 0.5 } seed: 3 } learnable: true }
    parameters { name: "b" shape: [12] init { uniform { low: -1 high: 1 } seed: 4 } learnable: true }
    parameters { name: "c" shape: [5] init { rademacher: 0.25 seed: 9 } learnable: true }
    factors { name: "weights" bipartite { left: "v" right: "h" weights: "W" } }
    factors { name: "visible_bias" unary { log_odds: "b" } each: "v" }
    factors { name: "hidden_field" unary { field: "c" } each: "h" })",
                                                     "rbm.pbtxt");
  dgm::proto::Initializer w, bias, c;
  w.mutable_normal()->set_stddev(0.5);
  w.set_seed(3);
  bias.mutable_uniform()->set_low(-1);
  bias.mutable_uniform()->set_high(1);
  bias.set_seed(4);
  c.set_rademacher(0.25);
  c.set_seed(9);
  dgm::ModelBuilder b;
  b.variables("v", {3, 4}, 2).variables("h", {5}, 2);
  b.parameter("W", {12, 5}, w, true).parameter("b", {12}, bias, true).parameter("c", {5}, c, true);
  b.factors("weights").bipartite("v", "h", "W");
  b.factors("visible_bias").unary_log_odds("b").each("v");
  b.factors("hidden_field").unary_field("c").each("h");
  expect_same_model(b.compile(), from_text);
}

TEST(ModelBuilder, LogicalConstraintsMatchTheExampleFile) {
  dgm::ModelBuilder b;
  b.description("wet lawn: OR and AND constraints, log-odds priors, evidence wet = 1, walking = 1");
  for (const char* name : {"rain", "sprinkler", "cold", "walking", "wet", "ice", "slip"})
    b.variables(name, {}, 2);
  b.parameter("prior_log_odds", {-1.0, -2.0, 0.5, 0.0}, {4});
  b.factors("priors")
      .unary_log_odds("prior_log_odds")
      .scope("rain")
      .scope("sprinkler")
      .scope("cold")
      .scope("walking");
  b.factors("wet_lawn").logical_or("rain sprinkler", "wet");
  b.factors("hazards").logical_and().scope("wet cold ice").scope("ice walking slip");
  b.evidence("wet", 1).evidence("walking", 1);
  const dgm::Model built = b.compile();
  const dgm::Model file = dgm::Model::from_file(example("logic_or_and.pbtxt"));
  // Random states mostly break a constraint; the MAP state does not.
  expect_same_model(built, file, {dgm::exact(file).map_state});
  EXPECT_EQ(dgm::exact_log_z(built), dgm::exact_log_z(file));
}

TEST(ModelBuilder, ProtoIsTheSchemaMessage) {
  dgm::ModelBuilder b;
  b.variables("s", {3}, 2).parameter("J", 1.0);
  b.factors("f").ising("J").lattice("s");
  const dgm::proto::Model& m = b.proto();
  ASSERT_EQ(m.factors_size(), 1);
  EXPECT_EQ(m.factors(0).lattice().group(), "s");
  EXPECT_EQ(m.factors(0).ising().coupling(), "J");
  // A message can be edited and compiled again.
  dgm::ModelBuilder copy(m);
  copy.proto().mutable_parameters(0)->set_value(0, 2.0);
  EXPECT_EQ(copy.compile().parameter("J")[0], 2.0);
}

}  // namespace
