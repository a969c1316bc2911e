// φ(x) = ∂f(x)/∂θ: checked against finite differences of the generic log-potential for every
// parametrisation, with tied and per-factor parameters.
#include "learning/sufficient_statistics.h"

#include <gtest/gtest.h>

#include "engine/log_potential.h"
#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

TEST(SufficientStatistics, EqualFiniteDifferencesOfLogPotential) {
  auto m = testing::compile_text(R"(
    variables { name: "x" shape: [4] cardinality: 3 }
    variables { name: "b" shape: [3] cardinality: 2 }
    variables { name: "h" shape: [2] cardinality: 2 }
    parameters { name: "J" value: 0.3 }
    parameters { name: "K" shape: [2] value: [0.1, 0.2] }
    parameters { name: "M" shape: [3, 3] init { normal { stddev: 1 } seed: 2 } }
    parameters { name: "T" shape: [2, 3, 3, 3] init { normal { stddev: 1 } seed: 3 } }
    parameters { name: "u" shape: [4, 3] init { normal { stddev: 1 } seed: 4 } }
    parameters { name: "o" value: 0.7 }
    parameters { name: "W" shape: [3, 2] init { normal { stddev: 1 } seed: 5 } }
    parameters { name: "e" value: [0.5, 1.5] }
    factors { name: "potts" potts { coupling: "J" } lattice { group: "x" } }
    factors { name: "ising" ising { coupling: "K" } lattice { group: "b" } }
    factors { name: "pair" pairwise { log_potentials: "M" } scope: "x[0] x[3]" }
    factors { name: "t" table { log_potentials: "T" } scope: ["x[0] x[1] x[2]", "x[3] x[2] x[1]"] }
    factors { name: "un" unary { log_potentials: "u" } each: "x" }
    factors { name: "odds" unary { log_odds: "o" } each: "b" }
    factors { name: "rbm" bipartite { left: "b" right: "h" weights: "W" } }
    factors { name: "en" enumeration { configurations: [0, 1, 1, 1] log_potentials: "e" }
              scope: "b[0] h[1]" })");
  const std::vector<std::vector<std::int32_t>> states = {
      {0, 1, 2, 2, 1, 0, 1, 0, 1},
      {2, 2, 2, 0, 0, 1, 1, 0, 1},
      {1, 0, 1, 2, 1, 1, 0, 1, 1}};  // h[1] = 1: listed
  for (const auto& x : states) {
    std::vector<double> phi(m.params.values.size(), 0.0);
    accumulate_statistics(m, x, 1.0, phi);
    for (std::size_t k = 0; k < phi.size(); ++k) {
      const double saved = m.params.values[k];
      m.params.values[k] = saved + 1.0;
      const double up = engine::total_log_potential(m, x);
      m.params.values[k] = saved;
      const double base = engine::total_log_potential(m, x);
      EXPECT_NEAR(up - base, phi[k], 1e-9) << "parameter value " << k;
    }
  }
}

}  // namespace
}  // namespace dgm::learning
