// Exact factor marginals from the junction tree (what exact learning needs: E_model of every
// factor's sufficient statistics) against brute force over every joint state, on random models
// of every kind with and without evidence and hard zeros.
#include <gtest/gtest.h>

#include <cmath>

#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/log_potential.h"
#include "inference/exact/enumeration.h"
#include "inference/exact/junction_tree.h"
#include "tests/support/random_models.h"

namespace dgm::inference {
namespace {

// p(x_f = c) by visiting every joint state consistent with the evidence.
std::vector<double> brute_force(const engine::CompiledModel& m, const ExactResult& layout,
                                double log_z) {
  const engine::Graph& g = *m.graph;
  std::vector<double> out(layout.factor_marginals.size(), 0.0);
  std::vector<std::int32_t> x(static_cast<std::size_t>(g.num_variables()), 0);
  for (std::int32_t v = 0; v < g.num_variables(); ++v)
    if (m.evidence[v] != engine::kFree) x[v] = m.evidence[v];
  while (true) {
    const double f = engine::total_log_potential(m, x);
    if (f != -INFINITY) {
      const double p = std::exp(f - log_z);
      for (std::int64_t k = 0; k < g.num_factors(); ++k) {
        std::int64_t index = 0;
        for (const std::int32_t u : g.scope(k)) index = index * g.cardinality[u] + x[u];
        out[static_cast<std::size_t>(layout.factor_marginal_offsets[k] + index)] += p;
      }
    }
    std::int32_t v = g.num_variables() - 1;
    for (; v >= 0; --v) {
      if (m.evidence[v] != engine::kFree) continue;
      if (++x[v] < g.cardinality[v]) break;
      x[v] = 0;
    }
    if (v < 0) break;
  }
  return out;
}

TEST(FactorMarginals, EqualBruteForceOnRandomModels) {
  int checked = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    const proto::Model p =
        seed % 2 ? testing::random_with_evidence(seed) : testing::random_mixed(seed);
    if (testing::num_joint_states(p) > 50000) continue;
    const engine::CompiledModel m = engine::compile(p, engine::SourceMap("random.pbtxt"), "");
    ExactOptions o;
    o.factor_marginals = true;
    o.map = false;
    ExactResult r;
    try {
      r = exact_inference(m, o);
    } catch (const Error&) {
      continue;  // evidence of probability zero
    }
    SCOPED_TRACE(testing::describe(p));
    ASSERT_EQ(r.factor_marginal_offsets.size(),
              static_cast<std::size_t>(m.graph->num_factors()) + 1);
    const std::vector<double> expected = brute_force(m, r, r.log_z);
    for (std::size_t i = 0; i < expected.size(); ++i)
      ASSERT_NEAR(r.factor_marginals[i], expected[i], 1e-9) << "entry " << i;
    ++checked;
  }
  EXPECT_GE(checked, 25);
}

}  // namespace
}  // namespace dgm::inference
