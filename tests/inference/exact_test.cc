// Exact inference: log-domain tables, the brute-force enumeration oracle and the junction
// tree, checked against closed forms (the Ising chain's transfer matrix), against each other
// on small grids and random models of every kind, with evidence, hard zeros, disconnected
// models, and the refusal of models too wide for the table limit.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "engine/elimination_order.h"
#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/exact/enumeration.h"
#include "inference/exact/junction_tree.h"
#include "inference/exact/log_table.h"
#include "tests/support/random_models.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

using testing::compile_text;
using ::testing::HasSubstr;

constexpr double kInf = std::numeric_limits<double>::infinity();

// ---------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------

std::string values_text(const std::vector<double>& values) {
  std::ostringstream s;
  s.precision(17);
  for (std::size_t i = 0; i < values.size(); ++i) s << (i ? ", " : "") << values[i];
  return s.str();
}

std::vector<double> random_values(std::size_t n, double scale, std::uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-scale, scale);
  std::vector<double> v(n);
  for (double& x : v) x = u(rng);
  return v;
}

// Open rows×cols binary lattice with one Ising coupling per bond and a field per site.
std::string ising_grid_text(int rows, int cols, std::uint32_t seed, double coupling = 0.8,
                            double field = 0.5) {
  const int bonds = rows * (cols - 1) + (rows - 1) * cols;
  std::ostringstream s;
  s << "variables { name: \"s\" shape: [" << rows << ", " << cols << "] cardinality: 2 }\n"
    << "parameters { name: \"J\" shape: [" << bonds << "] value: ["
    << values_text(random_values(bonds, coupling, seed)) << "] }\n"
    << "parameters { name: \"h\" shape: [" << rows * cols << "] value: ["
    << values_text(random_values(rows * cols, field, seed + 1)) << "] }\n"
    << "factors { name: \"bonds\" ising { coupling: \"J\" } lattice { group: \"s\" } }\n"
    << "factors { name: \"field\" unary { field: \"h\" } each: \"s\" }\n";
  return s.str();
}

// Open rows×cols lattice of K-state variables with random pairwise and unary tables.
std::string categorical_grid_text(int rows, int cols, int K, std::uint32_t seed) {
  const int bonds = rows * (cols - 1) + (rows - 1) * cols;
  std::ostringstream s;
  s << "variables { name: \"x\" shape: [" << rows << ", " << cols << "] cardinality: " << K
    << " }\n"
    << "parameters { name: \"P\" shape: [" << bonds << ", " << K << ", " << K << "] value: ["
    << values_text(random_values(static_cast<std::size_t>(bonds) * K * K, 1.0, seed)) << "] }\n"
    << "parameters { name: \"U\" shape: [" << rows * cols << ", " << K << "] value: ["
    << values_text(random_values(static_cast<std::size_t>(rows) * cols * K, 1.0, seed + 1))
    << "] }\n"
    << "factors { name: \"pairs\" pairwise { log_potentials: \"P\" } lattice { group: \"x\" } }\n"
    << "factors { name: \"unary\" unary { log_potentials: \"U\" } each: \"x\" }\n";
  return s.str();
}

// The transfer-matrix closed form of log Z for the open Ising chain
// p(s) ∝ exp(J Σ s_i s_{i+1} + h Σ s_i): Z = uᵀ T^{n−1} u with T_{ss'} = exp(J s s' + h(s+s')/2)
// and u_s = exp(h s / 2), summed over T's eigenvectors φ±: Z = Σ± (u·φ±)² λ±^{n−1}.
double ising_chain_log_z(int n, double J, double h) {
  const double a = std::exp(J - h), d = std::exp(J + h), b = std::exp(-J);
  const double mean = (a + d) / 2, radius = std::sqrt((a - d) * (a - d) / 4 + b * b);
  const double lambda[2] = {mean + radius, mean - radius};
  const double u[2] = {std::exp(-h / 2), std::exp(h / 2)};
  double weight[2];
  for (int e = 0; e < 2; ++e) {
    const double phi0 = b, phi1 = lambda[e] - a;  // (T − λ)φ = 0
    const double norm2 = phi0 * phi0 + phi1 * phi1;
    const double dot = u[0] * phi0 + u[1] * phi1;
    weight[e] = dot * dot / norm2;
  }
  const double ratio = lambda[1] / lambda[0];
  return (n - 1) * std::log(lambda[0]) + std::log(weight[0] + weight[1] * std::pow(ratio, n - 1));
}

std::string ising_chain_text(int n, double J, double h) {
  std::ostringstream s;
  s.precision(17);
  s << "variables { name: \"s\" shape: [" << n << "] cardinality: 2 }\n"
    << "parameters { name: \"J\" value: " << J << " }\n"
    << "parameters { name: \"h\" value: " << h << " }\n"
    << "factors { name: \"field\" unary { field: \"h\" } each: \"s\" }\n";
  if (n > 1)
    s << "factors { name: \"bonds\" ising { coupling: \"J\" } lattice { group: \"s\" } }\n";
  return s.str();
}

engine::CompiledModel with_evidence(
    engine::CompiledModel model, const std::vector<std::pair<std::int32_t, std::int32_t>>& clamp) {
  for (auto [v, k] : clamp) model.evidence[v] = k;
  return model;
}

// Junction tree vs enumeration: log Z, every marginal, and a MAP state whose value is the
// enumerated maximum.
void expect_matches_enumeration(const engine::CompiledModel& model, const std::string& what,
                                double tolerance = 1e-9) {
  const EnumerationResult truth = enumerate(model);
  const ExactResult jt = exact_inference(model);
  EXPECT_NEAR(jt.log_z, truth.log_z, tolerance * std::max(1.0, std::abs(truth.log_z))) << what;
  ASSERT_EQ(jt.marginals.size(), truth.marginals.size()) << what;
  for (std::size_t i = 0; i < truth.marginals.size(); ++i)
    EXPECT_NEAR(jt.marginals[i], truth.marginals[i], tolerance) << what << " entry " << i;
  EXPECT_NEAR(jt.map_log_potential, truth.map_log_potential,
              tolerance * std::max(1.0, std::abs(truth.map_log_potential)))
      << what;
  ASSERT_EQ(jt.map_state.size(), model.evidence.size()) << what;
  EXPECT_NEAR(engine::total_log_potential(model, jt.map_state), truth.map_log_potential,
              tolerance * std::max(1.0, std::abs(truth.map_log_potential)))
      << what;
  for (std::size_t v = 0; v < model.evidence.size(); ++v) {
    if (model.evidence[v] != engine::kFree) {
      EXPECT_EQ(jt.map_state[v], model.evidence[v]) << what;
    }
  }
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// ---------------------------------------------------------------------------------------
// Log tables
// ---------------------------------------------------------------------------------------

TEST(LogTable, AddIntoBroadcastsAcrossAxisOrders) {
  // target over (a=7, b=3) cards (2, 3); source over (b, a) in the other order.
  LogTable target(std::vector<std::int32_t>{7, 3}, std::vector<std::int32_t>{2, 3}, 1.0);
  LogTable source(std::vector<std::int32_t>{3, 7}, std::vector<std::int32_t>{3, 2});
  for (int i = 0; i < 6; ++i) source.values[i] = i;  // source(b, a) = 2b + a
  add_into(target, source);
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b) EXPECT_EQ(target.values[a * 3 + b], 1.0 + 2 * b + a);
  // A table over a subset broadcasts over the rest.
  LogTable only_a(std::vector<std::int32_t>{7}, std::vector<std::int32_t>{2});
  only_a.values = {10, -kInf};
  add_into(target, only_a);
  EXPECT_EQ(target.values[0], 11.0);
  EXPECT_EQ(target.values[3], -kInf);
  EXPECT_EQ(target.values[5], -kInf);
  LogTable stranger(std::vector<std::int32_t>{9}, std::vector<std::int32_t>{2});
  EXPECT_THROW(add_into(target, stranger), Error);
}

TEST(LogTable, SumAndMaxOutAreMinusInfinitySafe) {
  // t(a, b, c), cards (2, 3, 2).
  LogTable t(std::vector<std::int32_t>{0, 1, 2}, std::vector<std::int32_t>{2, 3, 2});
  t.values = random_values(12, 3.0, 5);
  t.values[0] = t.values[1] = -kInf;                 // t(0, 0, ·) = −inf
  for (int e = 6; e < 12; ++e) t.values[e] = -kInf;  // t(1, ·, ·) = −inf
  const std::vector<std::int32_t> b_only{1};
  const LogTable s = sum_out(t, b_only);  // over (a, c)
  ASSERT_EQ(s.vars, (std::vector<std::int32_t>{0, 2}));
  for (int a = 0; a < 2; ++a) {
    for (int c = 0; c < 2; ++c) {
      double total = 0.0;
      for (int b = 0; b < 3; ++b) total += std::exp(t.values[a * 6 + b * 2 + c]);
      const double got = s.values[a * 2 + c];
      if (total == 0.0) {
        EXPECT_EQ(got, -kInf);
      } else {
        EXPECT_NEAR(got, std::log(total), 1e-12);
      }
      EXPECT_FALSE(std::isnan(got));
    }
  }
  const std::vector<std::int32_t> a_and_c{0, 2};
  const LogTable m = max_out(t, a_and_c);  // over b
  for (int b = 0; b < 3; ++b) {
    double best = -kInf;
    for (int a = 0; a < 2; ++a)
      for (int c = 0; c < 2; ++c) best = std::max(best, t.values[a * 6 + b * 2 + c]);
    EXPECT_EQ(m.values[b], best);
  }
  // Onto a permuted scope (c, a), and onto nothing.
  std::vector<double> onto(4);
  sum_onto(t, std::vector<std::int32_t>{2, 0}, onto);
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 2; ++c) EXPECT_EQ(onto[c * 2 + a], s.values[a * 2 + c]);
  std::vector<double> all(1);
  sum_onto(t, std::vector<std::int32_t>{}, all);
  EXPECT_NEAR(all[0], log_sum_exp(t.values), 1e-12);
  EXPECT_EQ(log_sum_exp(std::vector<double>{-kInf, -kInf}), -kInf);
}

TEST(LogTable, GatherRestrictsPermutesAndReadsDiagonals) {
  // f(x3, x5, x3') over cards (2, 3, 2), f = 100·x3 + 10·x5 + x3'.
  LogTable f(std::vector<std::int32_t>{3, 5, 4}, std::vector<std::int32_t>{2, 3, 2});
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 2; ++k) f.values[i * 6 + j * 2 + k] = 100 * i + 10 * j + k;
  std::vector<std::int32_t> evidence(6, -1);
  evidence[5] = 2;
  const LogTable r = restrict(f, evidence);  // over (3, 4)
  ASSERT_EQ(r.vars, (std::vector<std::int32_t>{3, 4}));
  EXPECT_EQ(r.values, (std::vector<double>{20, 21, 120, 121}));
  const LogTable p = gather(f, std::vector<std::int32_t>{4, 3}, evidence);  // axes swapped
  EXPECT_EQ(p.values, (std::vector<double>{20, 120, 21, 121}));
  // A repeated variable: the diagonal.
  LogTable g(std::vector<std::int32_t>{1, 1}, std::vector<std::int32_t>{3, 3});
  for (int i = 0; i < 9; ++i) g.values[i] = i;
  const LogTable d = gather(g, std::vector<std::int32_t>{1}, {});
  EXPECT_EQ(d.values, (std::vector<double>{0, 4, 8}));
  EXPECT_EQ(value_at(f, std::vector<std::int32_t>{0, 0, 0, 1, 1, 2}), 121.0);
  EXPECT_THROW(gather(f, std::vector<std::int32_t>{3}, evidence), Error);  // 4 left out
}

TEST(LogTable, ManyAxes) {
  // 18 binary axes (more than the operations keep inline): sum out every third variable and
  // compare with a direct loop; add a table over the kept variables back in reversed order.
  constexpr int kAxes = 18;
  std::vector<std::int32_t> vars(kAxes), cards(kAxes, 2), eliminate, keep;
  for (int a = 0; a < kAxes; ++a) {
    vars[a] = 100 + a;
    (a % 3 == 1 ? eliminate : keep).push_back(vars[a]);
  }
  LogTable t(vars, cards);
  t.values = random_values(std::size_t{1} << kAxes, 2.0, 77);
  const LogTable s = sum_out(t, eliminate);
  ASSERT_EQ(s.vars, keep);
  std::vector<double> total(s.values.size(), 0.0);
  for (std::size_t i = 0; i < t.values.size(); ++i) {
    std::size_t out = 0;
    for (int a = 0; a < kAxes; ++a) {
      if (a % 3 == 1) continue;
      out = out * 2 + ((i >> (kAxes - 1 - a)) & 1);
    }
    total[out] += std::exp(t.values[i]);
  }
  for (std::size_t o = 0; o < total.size(); ++o)
    EXPECT_NEAR(s.values[o], std::log(total[o]), 1e-11);
  std::vector<std::int32_t> reversed(keep.rbegin(), keep.rend());
  const LogTable back = gather(s, reversed, {});
  LogTable sum(keep, std::vector<std::int32_t>(keep.size(), 2));
  add_into(sum, s);
  add_into(sum, back);
  for (std::size_t o = 0; o < sum.values.size(); ++o)
    EXPECT_NEAR(sum.values[o], 2 * s.values[o], 1e-12);
}

// ---------------------------------------------------------------------------------------
// Enumeration (the oracle itself)
// ---------------------------------------------------------------------------------------

TEST(Enumeration, TwoVariablesByHand) {
  const auto model = compile_text(R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "T" shape: [2, 2] value: [0.5, -inf, 1.0, 2.0] }
    factors { name: "t" table { log_potentials: "T" } scope: "x[0] x[1]" })");
  EnumerationOptions options;
  options.pairs = {{0, 1}, {1, 0}};
  const EnumerationResult r = enumerate(model, options);
  const double z = std::exp(0.5) + std::exp(1.0) + std::exp(2.0);
  EXPECT_NEAR(r.log_z, std::log(z), 1e-14);
  EXPECT_EQ(r.num_configurations, 4);
  EXPECT_NEAR(r.marginals[1], (std::exp(1.0) + std::exp(2.0)) / z, 1e-14);  // x0 = 1
  EXPECT_NEAR(r.marginals[3], std::exp(2.0) / z, 1e-14);                    // x1 = 1
  EXPECT_NEAR(r.pair_marginals[0][1], 0.0, 0.0);
  EXPECT_NEAR(r.pair_marginals[0][2], std::exp(1.0) / z, 1e-14);  // (x0, x1) = (1, 0)
  EXPECT_NEAR(r.pair_marginals[1][1], std::exp(1.0) / z, 1e-14);  // (x1, x0) = (0, 1)
  EXPECT_EQ(r.map_state, (std::vector<std::int32_t>{1, 1}));
  EXPECT_EQ(r.map_log_potential, 2.0);
}

TEST(Enumeration, PairMarginalsAgreeWithSingles) {
  const auto model = compile_text(categorical_grid_text(2, 3, 3, 11));
  EnumerationOptions options;
  options.pairs = {{0, 4}, {2, 3}};
  const EnumerationResult r = enumerate(model, options);
  for (std::size_t p = 0; p < options.pairs.size(); ++p) {
    const auto [i, j] = options.pairs[p];
    for (int a = 0; a < 3; ++a) {
      double row = 0.0;
      for (int b = 0; b < 3; ++b) row += r.pair_marginals[p][a * 3 + b];
      EXPECT_NEAR(row, r.marginals[3 * i + a], 1e-12);
    }
    for (int b = 0; b < 3; ++b) {
      double col = 0.0;
      for (int a = 0; a < 3; ++a) col += r.pair_marginals[p][a * 3 + b];
      EXPECT_NEAR(col, r.marginals[3 * j + b], 1e-12);
    }
  }
}

TEST(Enumeration, RefusesTooManyConfigurations) {
  const auto model = compile_text(ising_chain_text(30, 0.5, 0.1));
  EnumerationOptions options;
  options.max_configurations = 1 << 20;
  const std::string message = error_of([&] { enumerate(model, options); });
  EXPECT_THAT(message, HasSubstr("30 free variables"));
  EXPECT_THAT(message, HasSubstr("1048576"));
  // Clamping enough variables brings it under the limit.
  auto clamped = model;
  for (int v = 0; v < 12; ++v) clamped.evidence[v] = v % 2;
  EXPECT_EQ(enumerate(clamped, options).num_configurations, 1 << 18);
}

// ---------------------------------------------------------------------------------------
// Junction tree
// ---------------------------------------------------------------------------------------

TEST(JunctionTree, IsingChainMatchesTransferMatrix) {
  const double couplings[] = {0.5, -0.7, 1.3};
  const double fields[] = {0.0, 0.3, -1.1};
  for (int n : {1, 2, 5, 100, 1000}) {
    for (double J : couplings) {
      for (double h : fields) {
        const auto model = compile_text(ising_chain_text(n, J, h));
        const double expected = ising_chain_log_z(n, J, h);
        const ExactResult r = exact_inference(model);
        EXPECT_NEAR(r.log_z, expected, 1e-11 * std::max(1.0, std::abs(expected)))
            << "n=" << n << " J=" << J << " h=" << h;
        EXPECT_EQ(r.induced_width, n > 1 ? 1 : 0);
        // Spin-flip symmetry at h = 0.
        if (h == 0.0) {
          for (int v = 0; v < n; ++v) EXPECT_NEAR(r.marginals[2 * v + 1], 0.5, 1e-12);
        }
      }
    }
  }
}

TEST(JunctionTree, BinaryGridsMatchEnumeration) {
  expect_matches_enumeration(compile_text(ising_grid_text(3, 3, 1)), "3x3");
  expect_matches_enumeration(compile_text(ising_grid_text(4, 4, 2)), "4x4");
  expect_matches_enumeration(compile_text(ising_grid_text(4, 4, 3, 2.0, 0.1)), "4x4 strong");
  expect_matches_enumeration(compile_text(ising_grid_text(3, 5, 4)), "3x5");
}

TEST(JunctionTree, CategoricalGridMatchesEnumeration) {
  expect_matches_enumeration(compile_text(categorical_grid_text(3, 3, 3, 21)), "3-state 3x3");
  expect_matches_enumeration(compile_text(categorical_grid_text(2, 4, 4, 22)), "4-state 2x4");
}

TEST(JunctionTree, EvidenceMatchesEnumeration) {
  const auto grid = compile_text(ising_grid_text(4, 4, 7));
  expect_matches_enumeration(with_evidence(grid, {{5, 1}}), "one clamped");
  expect_matches_enumeration(with_evidence(grid, {{0, 0}, {6, 1}, {9, 0}, {15, 1}}), "four");
  // A clamped separating column splits the grid.
  expect_matches_enumeration(with_evidence(grid, {{1, 1}, {5, 0}, {9, 1}, {13, 1}}), "column");
  // Everything clamped: log Z is f(evidence).
  auto all = grid;
  for (int v = 0; v < 16; ++v) all.evidence[v] = (v * 7) % 3 == 0;
  const ExactResult r = exact_inference(all);
  EXPECT_NEAR(r.log_z, engine::total_log_potential(all, all.evidence), 1e-12);
  EXPECT_EQ(r.map_state, all.evidence);
  expect_matches_enumeration(all, "all clamped");

  // Evidence in the model file, on a categorical grid.
  std::string text = categorical_grid_text(3, 3, 3, 31);
  text +=
      "evidence { variable: \"x[1,1]\" value: 2 }\nevidence { variable: \"x[0,2]\" value: 0 }\n";
  const auto model = compile_text(text);
  EXPECT_EQ(model.num_clamped(), 2);
  expect_matches_enumeration(model, "file evidence");
  const ExactResult m = exact_marginals(model);
  EXPECT_EQ(m.marginals[3 * 4 + 2], 1.0);
  EXPECT_EQ(m.marginals[3 * 4 + 0], 0.0);
}

TEST(JunctionTree, LogZWithEvidenceIsTheLogProbabilityOfTheEvidence) {
  // log Z(x_v = k) − log Z = log p(x_v = k): the collect pass checks the distribute pass, on
  // a grid too large to enumerate.
  const auto grid = compile_text(ising_grid_text(8, 8, 13));
  const ExactResult full = exact_marginals(grid);
  for (int v : {0, 27, 63}) {
    for (int k = 0; k < 2; ++k) {
      const double clamped = exact_log_z(with_evidence(grid, {{v, k}}));
      EXPECT_NEAR(std::exp(clamped - full.log_z), full.marginals[2 * v + k], 1e-10) << v;
    }
  }
}

TEST(JunctionTree, MapOnAGridTooLargeToEnumerate) {
  // A ferromagnet with a positive field everywhere: all spins up is the MAP.
  std::ostringstream s;
  s << "variables { name: \"s\" shape: [10, 10] cardinality: 2 }\n"
    << "parameters { name: \"J\" value: 0.5 }\nparameters { name: \"h\" value: 0.1 }\n"
    << "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" } }\n"
    << "factors { name: \"f\" unary { field: \"h\" } each: \"s\" }\n";
  const auto model = compile_text(s.str());
  const ExactResult r = exact_map(model);
  EXPECT_EQ(r.map_state, std::vector<std::int32_t>(100, 1));
  EXPECT_NEAR(r.map_log_potential, 0.5 * 180 + 0.1 * 100, 1e-12);
  EXPECT_TRUE(std::isnan(r.log_z));
  EXPECT_TRUE(r.marginals.empty());
}

TEST(JunctionTree, HardZerosAndZeroProbabilityEvidence) {
  // x0 = x1 = x2 enforced by −inf entries; a unary prefers state 1 of x0.
  const char* text = R"(
    variables { name: "x" shape: [3] cardinality: 2 }
    parameters { name: "EQ" shape: [2, 2] value: [0, -inf, -inf, 0] }
    parameters { name: "U" shape: [2] value: [0, 1] }
    factors { name: "eq" pairwise { log_potentials: "EQ" } scope: "x[0] x[1]" scope: "x[1] x[2]" }
    factors { name: "u" unary { log_potentials: "U" } scope: "x[0]" })";
  const auto model = compile_text(text);
  const ExactResult r = exact_inference(model);
  EXPECT_NEAR(r.log_z, std::log(1 + std::exp(1.0)), 1e-14);
  for (int v = 0; v < 3; ++v)
    EXPECT_NEAR(r.marginals[2 * v + 1], std::exp(1.0) / (1 + std::exp(1.0)), 1e-14);
  EXPECT_EQ(r.map_state, (std::vector<std::int32_t>{1, 1, 1}));
  expect_matches_enumeration(with_evidence(model, {{2, 0}}), "consistent evidence");

  // Contradictory evidence: log Z = −inf, no NaN, and a clear refusal of marginals and MAP.
  const auto impossible = with_evidence(model, {{0, 0}, {1, 1}});
  EXPECT_EQ(exact_log_z(impossible), -kInf);
  EnumerationOptions log_z_only;
  log_z_only.marginals = log_z_only.map = false;
  EXPECT_EQ(enumerate(impossible, log_z_only).log_z, -kInf);
  EXPECT_THAT(error_of([&] { exact_marginals(impossible); }),
              HasSubstr("evidence has probability zero"));
  EXPECT_THAT(error_of([&] { exact_map(impossible); }), HasSubstr("evidence has probability zero"));
  EXPECT_THAT(error_of([&] { enumerate(impossible); }), HasSubstr("evidence has probability zero"));
  const auto impossible_far = with_evidence(model, {{0, 0}, {2, 1}});  // x1 stays free
  EXPECT_EQ(exact_log_z(impossible_far), -kInf);
}

TEST(JunctionTree, DisconnectedModelsAndIsolatedVariables) {
  // Two chains, a variable with only a unary, and a variable with no factor at all.
  const char* text = R"(
    variables { name: "a" shape: [4] cardinality: 2 }
    variables { name: "b" shape: [3] cardinality: 3 }
    variables { name: "lone" cardinality: 2 }
    variables { name: "free" cardinality: 5 }
    parameters { name: "J" value: 0.9 }
    parameters { name: "P" shape: [3, 3] value: [0.1, 0.5, -0.3, 1.0, 0.0, 0.2, -0.5, 0.4, 0.3] }
    parameters { name: "U" value: [0.25, -1.0] }
    factors { name: "ja" ising { coupling: "J" } lattice { group: "a" } }
    factors { name: "pb" pairwise { log_potentials: "P" } lattice { group: "b" } }
    factors { name: "u" unary { log_potentials: "U" } each: "lone" }
    log_constant: 1.5)";
  const auto model = compile_text(text);
  expect_matches_enumeration(model, "disconnected");
  const ExactResult r = exact_inference(model);
  const engine::Graph& g = *model.graph;
  const std::int32_t free_var = g.num_variables() - 1;
  for (int k = 0; k < 5; ++k) EXPECT_NEAR(r.marginals[g.state_offset[free_var] + k], 0.2, 1e-15);
  // log Z is the sum over components plus the constant.
  const double lone = std::log(std::exp(0.25) + std::exp(-1.0));
  const double chain_a = ising_chain_log_z(4, 0.9, 0.0);
  const ExactResult b_only = exact_inference(compile_text(R"(
    variables { name: "b" shape: [3] cardinality: 3 }
    parameters { name: "P" shape: [3, 3] value: [0.1, 0.5, -0.3, 1.0, 0.0, 0.2, -0.5, 0.4, 0.3] }
    factors { name: "pb" pairwise { log_potentials: "P" } lattice { group: "b" } })"));
  EXPECT_NEAR(r.log_z, 1.5 + chain_a + b_only.log_z + lone + std::log(5.0), 1e-12);
  EXPECT_NEAR(r.map_log_potential, engine::total_log_potential(model, r.map_state), 1e-12);
}

TEST(JunctionTree, HigherOrderAndLogicalFactors) {
  const char* text = R"(
    variables { name: "x" shape: [5] cardinality: 2 }
    variables { name: "c" shape: [2] cardinality: 3 }
    parameters { name: "T" shape: [2, 3, 2]
                 value: [0.3, -0.2, 1.1, -inf, 0.0, 0.7, -0.4, 0.9, 0.2, -1.0, 0.5, 0.1] }
    parameters { name: "B" shape: [5] value: [0.2, -0.3, 0.4, 0.1, -0.6] }
    parameters { name: "E" shape: [3] value: [0.5, -0.5, 1.0] }
    factors { name: "t" table { log_potentials: "T" }
              scope: "x[0] c[0] x[1]" scope: "x[2] c[1] x[3]" }
    factors { name: "or" logical_or { parents: "x[0] x[1] x[2]" child: "x[4]" } }
    factors { name: "e" enumeration { configurations: [0, 1, 1, 2, 2, 0] log_potentials: "E" }
              scope: "c[0] c[1]" }
    factors { name: "b" unary { log_odds: "B" } each: "x" })";
  const auto model = compile_text(text);
  expect_matches_enumeration(model, "higher order");
  expect_matches_enumeration(with_evidence(model, {{4, 1}}), "or child on");
  expect_matches_enumeration(with_evidence(model, {{0, 0}, {2, 0}, {6, 2}}), "partly clamped");
}

TEST(JunctionTree, RefusesModelsWiderThanTheLimit) {
  const auto grid = compile_text(ising_grid_text(12, 12, 5));
  ExactOptions options;
  options.max_table_entries = 64;
  const std::string message = error_of([&] { exact_inference(grid, options); });
  // The refusal names the width of the best order found (as dgm check does), not where a
  // search stopped: 12 on 12×12 by the natural order, tables of 2^13 entries.
  EXPECT_THAT(message, HasSubstr("induced width 12 (natural order, the best of"));
  EXPECT_THAT(message, HasSubstr("an upper bound on the treewidth"));
  EXPECT_THAT(message, HasSubstr("--max-table-size"));
  EXPECT_THAT(message, HasSubstr("limit of 64 entries"));
  EXPECT_THAT(message, HasSubstr("8192 entries"));
  // The default limit is plenty for 12×12 (best order: width 12, tables of 2^13).
  const ExactResult r = exact_inference(grid);
  const engine::EliminationOrder order = engine::best_elimination_order(*grid.graph, 100);
  EXPECT_EQ(r.induced_width, order.induced_width);
  EXPECT_EQ(r.largest_table, order.largest_table);
  EXPECT_FALSE(std::isnan(r.log_z));
  // A model with far too many variables for enumeration but a tiny width is fine.
  EXPECT_NO_THROW(exact_inference(compile_text(ising_chain_text(5000, 0.4, 0.2))));
}

TEST(JunctionTree, PlannedTreeIsReusedAcrossEvidenceValuesAndParameters) {
  auto model = compile_text(ising_grid_text(3, 4, 17));
  std::vector<std::int32_t> evidence(12, engine::kFree);
  evidence[5] = 0;
  evidence[10] = 1;
  const JunctionTree tree(model.graph, evidence);
  for (int a = 0; a < 2; ++a) {
    for (int b = 0; b < 2; ++b) {
      evidence[5] = a;
      evidence[10] = b;
      auto clamped = model;
      clamped.evidence = evidence;
      const ExactResult r = tree.run(model.params, evidence);
      const EnumerationResult truth = enumerate(clamped);
      EXPECT_NEAR(r.log_z, truth.log_z, 1e-10);
      for (std::size_t i = 0; i < truth.marginals.size(); ++i)
        EXPECT_NEAR(r.marginals[i], truth.marginals[i], 1e-10);
    }
  }
  // New parameter values, same plan.
  for (double& x : model.params.values) x *= -1.5;
  auto clamped = model;
  clamped.evidence = evidence;
  EXPECT_NEAR(tree.run(model.params, evidence).log_z, enumerate(clamped).log_z, 1e-10);
  // A different clamped set is refused.
  evidence[0] = 1;
  EXPECT_THAT(error_of([&] { tree.run(model.params, evidence); }), HasSubstr("planned"));
}

TEST(JunctionTree, RejectsNanLogPotentials) {
  auto model = compile_text(ising_grid_text(2, 2, 3));
  model.params.values[0] = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THAT(error_of([&] { exact_inference(model); }), HasSubstr("nan"));
}

TEST(JunctionTree, RandomModelsMatchEnumeration) {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const testing::RandomModelOptions options =
        seed % 2 == 0 ? testing::mixed_options(seed) : testing::with_evidence_options(seed);
    const testing::RandomModel random = testing::generate_random_model(options);
    const engine::CompiledModel model =
        engine::compile(random.model, engine::SourceMap("random.pbtxt"), "");
    expect_matches_enumeration(model, testing::describe(random.model), 1e-9);
    ++checked;
  }
  for (std::uint64_t seed = 100; seed < 110; ++seed) {
    testing::RandomModelOptions options = testing::categorical_options(seed, 8, 4);
    options.evidence_probability = 0.5;
    const testing::RandomModel random = testing::generate_random_model(options);
    const engine::CompiledModel model =
        engine::compile(random.model, engine::SourceMap("random.pbtxt"), "");
    expect_matches_enumeration(model, testing::describe(random.model), 1e-9);
    ++checked;
  }
  EXPECT_EQ(checked, 50);
}

TEST(JunctionTree, TwelveByTwelveGridTiming) {
  const auto grid = compile_text(ising_grid_text(12, 12, 9));
  const auto start = std::chrono::steady_clock::now();
  const ExactResult r = exact_inference(grid);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  RecordProperty("seconds", std::to_string(seconds));
  std::printf("junction tree, 12x12 binary grid (log Z, marginals, MAP): %.4f s\n", seconds);
  double total = 0.0;
  for (double p : r.marginals) total += p;
  EXPECT_NEAR(total, 144.0, 1e-9);
}

}  // namespace
}  // namespace dgm::inference
