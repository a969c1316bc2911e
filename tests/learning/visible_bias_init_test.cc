// Hinton's starting biases: b_i = log(p_i / (1 − p_i)) from the data's fraction of ones, on the
// learnable log-odds unaries of binary visible variables only, clipped for constant pixels.
#include "learning/visible_bias_init.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/support/test_models.h"

namespace dgm::learning {
namespace {

TEST(VisibleBiasInit, DataLogOddsOnLearnableVisibleUnariesOnly) {
  engine::CompiledModel m = testing::compile_text(R"(
    variables { name: "v" shape: [4] cardinality: 2 }
    variables { name: "h" shape: [2] cardinality: 2 }
    parameters { name: "b" shape: [4] init { constant: 0.5 } learnable: true }
    parameters { name: "fixed" shape: [4] init { constant: 0.5 } }
    parameters { name: "c" shape: [2] init { constant: 0.5 } learnable: true }
    parameters { name: "tied" value: 0.5 learnable: true }
    factors { name: "vb" unary { log_odds: "b" } each: "v" }
    factors { name: "vf" unary { log_odds: "fixed" } each: "v" }
    factors { name: "hb" unary { log_odds: "c" } each: "h" }
    factors { name: "vt" unary { log_odds: "tied" } each: "v" })");
  const VisibleLayout layout = visible_layout(*m.graph, {}, 4, "d");
  Dataset d;
  d.source = "d";
  d.num_examples = 4;
  d.width = 4;
  // Column means 0.25, 0 (never on), 1 (always on), 0.5.
  d.values = {1, 0, 1, 0,  //
              0, 0, 1, 1,  //
              0, 0, 1, 1,  //
              0, 0, 1, 0};
  const std::uint64_t version = m.params.version;
  const VisibleBiasInit r = init_visible_log_odds_from_data(m, layout, d);
  EXPECT_EQ(r.values_set, 4);
  EXPECT_THAT(r.parameters, ::testing::ElementsAre("b"));
  EXPECT_GT(m.params.version, version) << "a change of values bumps the version";
  const auto b = m.params.view(m.params.find("b"));
  const double clip = kBiasInitClip;
  EXPECT_DOUBLE_EQ(b[0], std::log(0.25 / 0.75));
  EXPECT_DOUBLE_EQ(b[1], std::log(clip / (1 - clip)));
  EXPECT_DOUBLE_EQ(b[2], std::log((1 - clip) / clip));
  EXPECT_DOUBLE_EQ(b[3], 0.0);
  for (const char* untouched : {"fixed", "c", "tied"})
    for (const double v : m.params.view(m.params.find(untouched))) EXPECT_EQ(v, 0.5) << untouched;
}

}  // namespace
}  // namespace dgm::learning
