// Belief propagation: exact on trees (marginals, Bethe log Z, MAP) for every schedule and
// both message representations; the binary ratio fast path equal to the generic full-vector
// path on loopy models at every temperature; hard constraints (OR/AND, enumeration) on a
// factor-graph tree; oscillation without damping detected; contradictions reported; results
// independent of the thread count.
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/model_io.h"
#include "inference/bp/belief_propagation.h"
#include "inference/bp/bethe.h"
#include "inference/bp/bp_inference.h"
#include "inference/exact/enumeration.h"
#include "inference/exact/junction_tree.h"
#include "tests/support/random_models.h"
#include "tests/support/test_models.h"

namespace dgm::inference::bp {
namespace {

engine::CompiledModel compile_random(const testing::RandomModelOptions& options) {
  return engine::compile(testing::generate_random_model(options).model,
                         engine::SourceMap("random.pbtxt"), "");
}

BpParams converging(Schedule schedule, double damping) {
  BpParams p;
  p.schedule = schedule;
  p.damping = damping;
  p.tolerance = 1e-12;
  p.max_iterations = 2000;
  return p;
}

void expect_exact(const engine::CompiledModel& model, const BpParams& params,
                  const std::string& what) {
  const EnumerationResult exact = enumerate(model);
  const BpMarginals bp = bp_marginals(model, params);
  ASSERT_TRUE(bp.status.converged) << what << ": " << describe(bp.status, params, *model.graph);
  for (std::size_t i = 0; i < exact.marginals.size(); ++i) {
    EXPECT_NEAR(bp.marginals[i], exact.marginals[i], 1e-6) << what << " entry " << i;
  }
  EXPECT_NEAR(bp.log_z, exact.log_z, 1e-6) << what;
  BpParams max_product = params;
  max_product.temperature = 0.0;
  const BpMap map = bp_map(model, max_product);
  EXPECT_NEAR(map.log_potential, exact.map_log_potential, 1e-9) << what;
}

TEST(BeliefPropagation, ExactOnRandomTreesForEverySchedule) {
  for (std::uint64_t seed = 0; seed < 24; ++seed) {
    testing::RandomModelOptions o = testing::tree_options(seed, 7, seed % 2 == 0 ? 2 : 3);
    o.evidence_probability = 0.4;
    const engine::CompiledModel model = compile_random(o);
    ASSERT_TRUE(model.graph->analysis.factor_graph_forest);
    const std::string what = "tree seed " + std::to_string(seed);
    expect_exact(model, converging(Schedule::kFlooding, 0.5), what + " flooding");
    expect_exact(model, converging(Schedule::kFlooding, 0.0), what + " undamped");
    expect_exact(model, converging(Schedule::kSequential, 0.0), what + " sequential");
    expect_exact(model, converging(Schedule::kResidual, 0.3), what + " residual");
    BpParams generic = converging(Schedule::kFlooding, 0.5);
    generic.generic_only = true;
    expect_exact(model, generic, what + " generic");
  }
}

TEST(BeliefPropagation, BinaryTreesUseTheRatioFastPath) {
  const engine::CompiledModel model = compile_random(testing::tree_options(3, 8, 2));
  EXPECT_EQ(bp_marginals(model, converging(Schedule::kFlooding, 0.5)).mode,
            MessageMode::kBinaryRatio);
  BpParams generic = converging(Schedule::kFlooding, 0.5);
  generic.generic_only = true;
  EXPECT_EQ(bp_marginals(model, generic).mode, MessageMode::kFull);
}

TEST(BeliefPropagation, LongChainLogZ) {
  // 1000 binary variables in a chain with random couplings: log Z by BP equals the junction
  // tree's to 1e-6 (relative error below 1e-9).
  std::string text =
      "variables { name: \"x\" shape: [1000] cardinality: 2 }\n"
      "parameters { name: \"J\" shape: [999] init { normal { stddev: 1 } seed: 5 } }\n"
      "parameters { name: \"h\" shape: [1000] init { normal { stddev: 1 } seed: 6 } }\n"
      "factors { name: \"u\" unary { field: \"h\" } each: \"x\" }\n"
      "factors { name: \"c\" ising { coupling: \"J\" } lattice { group: \"x\" } }\n";
  const engine::CompiledModel model = testing::compile_text(text);
  const ExactResult exact = exact_inference(model);
  const BpMarginals bp = bp_marginals(model, converging(Schedule::kFlooding, 0.5));
  ASSERT_TRUE(bp.status.converged);
  EXPECT_NEAR(bp.log_z, exact.log_z, 1e-6);
}

TEST(BeliefPropagation, LogicalAndEnumerationFactorsOnAFactorGraphTree) {
  // The wet-lawn example (OR, AND, evidence) is a factor-graph tree: BP is exact.
  const engine::CompiledModel lawn =
      engine::load_compiled(testing::source_path("examples/logic_or_and.pbtxt"));
  ASSERT_TRUE(lawn.graph->analysis.factor_graph_forest);
  expect_exact(lawn, converging(Schedule::kFlooding, 0.5), "logic_or_and");
  expect_exact(lawn, converging(Schedule::kResidual, 0.0), "logic_or_and residual");
  // A tree of a 3-variable OR, a sparse enumeration factor and a categorical table.
  const engine::CompiledModel model = testing::compile_text(R"(
    variables { name: "a" shape: [3] cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    variables { name: "y" shape: [2] cardinality: 3 }
    parameters { name: "rows" shape: [4] value: [0.3, -0.2, 1.1, 0.0] }
    parameters { name: "t" shape: [3, 3] value: [0.1, 0.5, -1, 2, 0, 0.3, -0.4, 0.2, 0.9] }
    parameters { name: "ua" shape: [3] value: [0.4, -0.7, 0.2] }
    factors { name: "prior" unary { log_odds: "ua" } each: "a" }
    factors { name: "or" logical_or { parents: "a[0] a[1] a[2]" child: "c" } }
    factors { name: "e" enumeration { configurations: [0, 0,  0, 2,  1, 1,  1, 2]
                                      log_potentials: "rows" }
              scope: "c y[0]" }
    factors { name: "t" table { log_potentials: "t" } scope: "y[0] y[1]" }
  )");
  ASSERT_TRUE(model.graph->analysis.factor_graph_forest);
  expect_exact(model, converging(Schedule::kFlooding, 0.5), "or+enumeration tree");
  expect_exact(model, converging(Schedule::kSequential, 0.0), "or+enumeration tree sequential");
}

// The ratio fast path and the full-vector path run the same algorithm: after the same number
// of iterations their beliefs and Bethe estimates agree to rounding, at every temperature.
TEST(BeliefPropagation, RatioFastPathEqualsGenericPathOnLoopyModels) {
  std::vector<engine::CompiledModel> models;
  for (std::uint64_t seed = 0; seed < 8; ++seed) {
    models.push_back(compile_random(testing::binary_pairwise_options(seed, 8)));
    testing::RandomModelOptions rbm = testing::rbm_options(seed, 4, 3);
    rbm.evidence_probability = 0.5;
    models.push_back(compile_random(rbm));
  }
  // A 16×16 glass with fields, in BP's stable (paramagnetic) regime: in the spin-glass phase
  // the symmetric fixed point is unstable and both paths' rounding differences would grow.
  models.push_back(testing::compile_text(
      "variables { name: \"s\" shape: [16, 16] cardinality: 2 }\n"
      "parameters { name: \"J\" shape: [512] init { normal { stddev: 0.3 } seed: 3 } }\n"
      "parameters { name: \"h\" shape: [256] init { normal { stddev: 0.5 } seed: 4 } }\n"
      "factors { name: \"u\" unary { field: \"h\" } each: \"s\" }\n"
      "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" periodic: true } "
      "}\n"));
  for (std::size_t m = 0; m < models.size(); ++m) {
    for (const double t : {0.0, 0.5, 1.0}) {
      BpParams p;
      p.temperature = t;
      p.tolerance = 0.0;
      p.max_iterations = 25;
      p.damping = 0.3;
      const auto fast_graph = build_message_graph(models[m], false);
      const auto generic_graph = build_message_graph(models[m], true);
      ASSERT_EQ(fast_graph->mode, MessageMode::kBinaryRatio) << "model " << m;
      BeliefPropagation fast(fast_graph), generic(generic_graph);
      fast.run(p);
      generic.run(p);
      std::vector<double> a(2), b(2);
      for (std::int32_t v = 0; v < models[m].graph->num_variables(); ++v) {
        fast.log_belief(v, 0, a, true);
        generic.log_belief(v, 0, b, true);
        for (int k = 0; k < 2; ++k) {
          if (a[k] == b[k]) continue;  // also −inf (evidence)
          EXPECT_NEAR(a[k], b[k], 1e-9 * (1 + std::fabs(b[k]))) << "model " << m << " T " << t;
        }
      }
      if (t == 1.0) {
        EXPECT_NEAR(bethe_log_z(fast), bethe_log_z(generic), 1e-8) << "model " << m;
      }
    }
  }
}

// On loopy models every schedule that converges reaches the same fixed point (when BP has a
// unique one: weak couplings), in both representations.
TEST(BeliefPropagation, SchedulesAgreeOnLoopyModels) {
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    testing::RandomModelOptions o = seed % 2 == 0 ? testing::soft_options(seed, 7, 3)
                                                  : testing::binary_pairwise_options(seed, 9);
    o.coupling_scale = 0.3;
    const engine::CompiledModel model = compile_random(o);
    const BpMarginals reference = bp_marginals(model, converging(Schedule::kFlooding, 0.5));
    ASSERT_TRUE(reference.status.converged) << "seed " << seed;
    for (const Schedule schedule : {Schedule::kSequential, Schedule::kResidual}) {
      for (const bool generic : {false, true}) {
        BpParams p = converging(schedule, 0.0);
        p.generic_only = generic;
        const BpMarginals other = bp_marginals(model, p);
        ASSERT_TRUE(other.status.converged) << "seed " << seed;
        for (std::size_t i = 0; i < reference.marginals.size(); ++i) {
          EXPECT_NEAR(other.marginals[i], reference.marginals[i], 1e-8) << "seed " << seed;
        }
        EXPECT_NEAR(other.log_z, reference.log_z, 1e-8) << "seed " << seed;
      }
    }
  }
}

// Saturated couplings and fields (|θ| up to 800, where e^θ overflows): the ratio kernels stay
// finite and equal the generic kernels at every temperature.
TEST(BeliefPropagation, SaturatedCouplingsMatchTheGenericPath) {
  for (const double w : {-800.0, -30.0, -1e-3, 0.0, 25.0, 800.0}) {
    for (const double h : {-700.0, -2.0, 0.5, 700.0}) {
      const engine::CompiledModel model = testing::compile_text(
          "variables { name: \"x\" shape: [3] cardinality: 2 }\n"
          "parameters { name: \"w\" value: [" +
          std::to_string(w) +
          "] }\n"
          "parameters { name: \"h\" shape: [3] value: [" +
          std::to_string(h) + ", 0.3, " + std::to_string(-h) +
          "] }\n"
          "factors { name: \"u\" unary { log_odds: \"h\" } each: \"x\" }\n"
          "factors { name: \"c\" pairwise { log_potentials: \"t\" } scope: \"x[0] x[1]\" "
          "scope: \"x[1] x[2]\" scope: \"x[2] x[0]\" }\n"
          "parameters { name: \"t\" shape: [2, 2] value: [0, 0, 0, " +
          std::to_string(w) + "] }\n");
      for (const double t : {0.0, 0.3, 1.0}) {
        BpParams p;
        p.temperature = t;
        p.tolerance = 0.0;
        p.max_iterations = 15;
        BeliefPropagation fast(build_message_graph(model, false));
        BeliefPropagation generic(build_message_graph(model, true));
        ASSERT_EQ(fast.graph().mode, MessageMode::kBinaryRatio);
        fast.run(p);
        generic.run(p);
        std::vector<double> a(2), b(2);
        for (std::int32_t v = 0; v < 3; ++v) {
          fast.log_belief(v, 0, a, false);
          generic.log_belief(v, 0, b, false);
          for (int k = 0; k < 2; ++k) {
            ASSERT_FALSE(std::isnan(a[k])) << "w " << w << " h " << h << " T " << t;
            if (a[k] != b[k]) {
              EXPECT_NEAR(a[k], b[k], 1e-9 * (1 + std::fabs(b[k])))
                  << "w " << w << " h " << h << " T " << t;
            }
          }
        }
      }
    }
  }
}

// Symmetric models tie every max-marginal; deciding each variable alone then mixes optima.
// Decimation (clamp a tied variable, continue max-product) decodes a consistent optimum.
TEST(BeliefPropagation, MapDecimationResolvesTies) {
  // An antiferromagnetic ring of 6 spins without fields: the two alternating states are the
  // MAP; independent argmax would pick state 0 everywhere (every bond broken).
  const engine::CompiledModel ring = testing::compile_text(R"(
    variables { name: "s" shape: [6] cardinality: 2 }
    parameters { name: "J" value: [-1.0] }
    factors { name: "ring" ising { coupling: "J" } scope: "s[0] s[1]" scope: "s[1] s[2]"
              scope: "s[2] s[3]" scope: "s[3] s[4]" scope: "s[4] s[5]" scope: "s[5] s[0]" }
  )");
  const double exact = exact_map(ring).map_log_potential;
  for (const bool generic : {false, true}) {
    BpParams p = converging(Schedule::kFlooding, 0.5);
    p.temperature = 0.0;
    p.generic_only = generic;
    const BpMap decimated = bp_map(ring, p);
    EXPECT_DOUBLE_EQ(decimated.log_potential, exact);
    EXPECT_GE(decimated.decimation_rounds, 1);
    p.decimate_ties = false;
    EXPECT_LT(bp_map(ring, p).log_potential, exact - 1.0);
  }
  // ±J spin glasses on 4×4 tori: decimation never decodes a worse state.
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const engine::CompiledModel glass = testing::compile_text(
        "variables { name: \"s\" shape: [4, 4] cardinality: 2 }\n"
        "parameters { name: \"J\" shape: [32] init { rademacher: 1 seed: " +
        std::to_string(seed) +
        " } }\n"
        "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" periodic: "
        "true } }\n");
    BpParams p = converging(Schedule::kFlooding, 0.5);
    p.temperature = 0.0;
    p.max_iterations = 300;
    const double with = bp_map(glass, p).log_potential;
    p.decimate_ties = false;
    const double without = bp_map(glass, p).log_potential;
    std::printf("4x4 glass seed %d: exact MAP %.0f, BP decimated %.0f, plain argmax %.0f\n",
                static_cast<int>(seed), exact_map(glass).map_log_potential, with, without);
    EXPECT_GE(with, without);
  }
}

// Damped or unconverged max-product leaves nearly tied max-marginals around a hard factor,
// just outside the tie tolerance; plain argmax then breaks the factor (an OR with its child
// clamped to 1 decoded with every parent 0). Repair by decimation on the violated factor's
// variables decodes a valid state; on random logical models with evidence (heavily damped,
// stopped after 40 iterations) it leaves valid decodings alone and removes the violations.
TEST(BeliefPropagation, MapRepairsViolatedHardFactorsByDecimation) {
  const engine::CompiledModel orm = testing::compile_text(R"(
    variables { name: "p" shape: [3] cardinality: 2 }
    variables { name: "c" cardinality: 2 }
    parameters { name: "lo" value: -1.0 }
    factors { name: "prior" unary { log_odds: "lo" } each: "p" }
    factors { name: "or" logical_or { parents: "p" child: "c" } }
    evidence { variable: "c" value: 1 }
  )");
  for (const Schedule schedule :
       {Schedule::kFlooding, Schedule::kSequential, Schedule::kResidual}) {
    for (const double damping : {0.8, 0.95}) {
      BpParams p;
      p.schedule = schedule;
      p.damping = damping;
      p.temperature = 0.0;
      p.repair_violations = false;
      const BpMap plain = bp_map(orm, p);
      EXPECT_EQ(plain.log_potential, -std::numeric_limits<double>::infinity());
      EXPECT_EQ(plain.violated_factor, orm.graph->blocks[1].first_factor);
      EXPECT_NE(plain.violation.find("group 'or'"), std::string::npos) << plain.violation;
      p.repair_violations = true;
      const BpMap repaired = bp_map(orm, p);
      EXPECT_DOUBLE_EQ(repaired.log_potential, -1.0) << "damping " << damping;
      EXPECT_GE(repaired.repair_rounds, 1);
      EXPECT_EQ(repaired.violated_factor, -1);
      EXPECT_EQ(repaired.violation, "");
    }
  }
  int plain_invalid = 0, repaired_invalid = 0;
  for (std::uint64_t seed = 0; seed < 40; ++seed) {
    testing::RandomModelOptions o = testing::logical_options(seed, 8);
    o.evidence_probability = 0.5;
    const engine::CompiledModel model = compile_random(o);
    for (const double damping : {0.8, 0.95}) {
      BpParams p;
      p.damping = damping;
      p.max_iterations = 40;
      p.temperature = 0.0;
      p.repair_violations = false;
      const BpMap plain = bp_map(model, p);
      if (plain.status.contradiction_variable >= 0) continue;
      p.repair_violations = true;
      const BpMap repaired = bp_map(model, p);
      plain_invalid += plain.violated_factor >= 0;
      repaired_invalid += repaired.violated_factor >= 0;
      if (plain.violated_factor < 0) {
        EXPECT_EQ(repaired.state, plain.state) << "seed " << seed;
        EXPECT_EQ(repaired.repair_rounds, 0) << "seed " << seed;
      }
      if (repaired.violated_factor < 0) {
        EXPECT_GT(repaired.log_potential, -std::numeric_limits<double>::infinity());
      } else {
        EXPECT_NE(repaired.violation, "") << "seed " << seed;
      }
    }
  }
  std::printf("random logical models: %d invalid MAP decodings without repair, %d with\n",
              plain_invalid, repaired_invalid);
  EXPECT_LT(repaired_invalid, plain_invalid);
}

// A frustrated triangle (antiferromagnetic couplings, small fields) under max-product: without
// damping the messages swing back and forth for ever, and the run says so; with damping 0.5
// they settle.
TEST(BeliefPropagation, UndampedOscillationOnAFrustratedCycleIsReported) {
  const engine::CompiledModel model =
      engine::load_compiled(testing::source_path("examples/frustrated_triangle.pbtxt"));
  for (const bool generic : {false, true}) {
    BpParams p;
    p.temperature = 0.0;
    p.tolerance = 1e-9;
    p.max_iterations = 200;
    p.generic_only = generic;
    p.damping = 0.0;
    const BpMap undamped = bp_map(model, p);
    EXPECT_FALSE(undamped.status.converged);
    EXPECT_TRUE(undamped.status.oscillating) << describe(undamped.status, p, *model.graph);
    EXPECT_NE(describe(undamped.status, p, *model.graph).find("oscillate"), std::string::npos);
    p.damping = 0.5;
    const BpMap damped = bp_map(model, p);
    EXPECT_TRUE(damped.status.converged) << describe(damped.status, p, *model.graph);
    EXPECT_FALSE(damped.status.oscillating);
  }
}

TEST(BeliefPropagation, ContradictoryEvidenceIsReported) {
  engine::CompiledModel model = testing::compile_text(testing::kContradictingOrEvidence);
  for (const Schedule schedule :
       {Schedule::kFlooding, Schedule::kSequential, Schedule::kResidual}) {
    const BpParams p = converging(schedule, 0.5);
    const BpMarginals result = bp_marginals(model, p);
    EXPECT_GE(result.status.contradiction_variable, 0);
    EXPECT_NE(describe(result.status, p, *model.graph).find("contradicts"), std::string::npos);
    EXPECT_EQ(result.log_z, -std::numeric_limits<double>::infinity());
    BpParams max_product = p;
    max_product.temperature = 0.0;
    EXPECT_GE(bp_map(model, max_product).status.contradiction_variable, 0);
  }
}

// Binary deconvolution in miniature (Lázaro-Gredilla et al. 2021, §5.6): one 2 × 2 feature W
// placed by S at 2 × 2 positions of a 3 × 3 image, Z = S AND W, each pixel X the OR of the Z
// that cover it, X clamped. The features can be reached only through the hard factors, and
// in max-product's unrolled computation tree a lit pixel's constraint forces a cascade
// through ever more copies of S and W: before the message floor the finite message entries
// grew geometrically (3.8e80 after 1000 iterations) until they overflowed into −inf and a
// false "evidence contradicts the hard constraints"; with soft ±230 evidence they stayed
// bounded. The model is small enough for the junction tree to give the true MAP.
const char* kClampedDeconvolution = R"(
  variables { name: "W" shape: [4] cardinality: 2 }
  variables { name: "S" shape: [4] cardinality: 2 }
  variables { name: "Z" shape: [16] cardinality: 2 }
  variables { name: "X" shape: [9] cardinality: 2 }
  parameters { name: "pw" value: -1.0986 }
  parameters { name: "ps" value: -2.0 }
  factors { name: "pW" unary { log_odds: "pw" } each: "W" }
  factors { name: "pS" unary { log_odds: "ps" } each: "S" }
  factors { name: "and" logical_and {} scope: [
    "S[0] W[0] Z[0]", "S[0] W[1] Z[1]", "S[0] W[2] Z[2]", "S[0] W[3] Z[3]",
    "S[1] W[0] Z[4]", "S[1] W[1] Z[5]", "S[1] W[2] Z[6]", "S[1] W[3] Z[7]",
    "S[2] W[0] Z[8]", "S[2] W[1] Z[9]", "S[2] W[2] Z[10]", "S[2] W[3] Z[11]",
    "S[3] W[0] Z[12]", "S[3] W[1] Z[13]", "S[3] W[2] Z[14]", "S[3] W[3] Z[15]"] }
  factors { name: "or1" logical_or {} scope: ["Z[0] X[0]", "Z[5] X[2]", "Z[10] X[6]",
                                              "Z[15] X[8]"] }
  factors { name: "or2" logical_or {} scope: ["Z[1] Z[4] X[1]", "Z[2] Z[8] X[3]",
                                              "Z[7] Z[13] X[5]", "Z[11] Z[14] X[7]"] }
  factors { name: "or4" logical_or {} scope: ["Z[3] Z[6] Z[9] Z[12] X[4]"] }
  evidence { variable: "X" values: [0, 0, 0, 1, 0, 0, 0, 1, 0] }
)";

TEST(BeliefPropagation, MaxProductWithClampedEvidenceOnAnOrOfAndsStaysBounded) {
  const engine::CompiledModel model = testing::compile_text(kClampedDeconvolution);
  const ExactResult exact = exact_map(model);
  for (const Schedule schedule : {Schedule::kFlooding, Schedule::kSequential}) {
    BpParams p;
    p.schedule = schedule;
    p.temperature = 0.0;
    p.damping = 0.5;
    p.tolerance = 0.0;  // run every iteration: the growth was geometric, the overflow late
    p.max_iterations = 100;
    BeliefPropagation bp(build_message_graph(model), 1);
    std::int64_t hard_zeros = -1;
    for (int chunk = 1; chunk <= 50; ++chunk) {
      const BpStatus status = bp.run(p);  // continues from the current messages
      ASSERT_EQ(status.contradiction_variable, -1) << describe(status, p, *model.graph);
      double largest = 0.0;
      std::int64_t zeros = 0;
      for (const double m : bp.messages()) {
        if (m == -std::numeric_limits<double>::infinity()) {
          ++zeros;
        } else {
          largest = std::max(largest, -m);
        }
      }
      // The model's finite log-potentials span 4·1.0986 + 4·2 < 13: no finite message of an
      // exact computation leaves that range, and loopy max-product is kept near it.
      ASSERT_LT(largest, 20.0) << "after " << 100 * chunk << " iterations";
      // The hard zeros are those of the constraints and the evidence, found in the first
      // iterations; any later one would be an overflow.
      if (hard_zeros < 0) hard_zeros = zeros;
      ASSERT_EQ(zeros, hard_zeros) << "after " << 100 * chunk << " iterations";
    }
    std::vector<std::int32_t> state(model.graph->num_variables());
    bp.decode(0, state);
    EXPECT_EQ(state, exact.map_state);
    p.tolerance = 1e-9;
    p.max_iterations = 1000;
    const BpMap map = bp_map(model, p);
    EXPECT_EQ(map.state, exact.map_state) << describe(map.status, p, *model.graph);
    EXPECT_DOUBLE_EQ(map.log_potential, exact.map_log_potential);
  }
}

// Where BP leaves a variable no possible state (all beliefs −inf), decoding used to take
// state 0 whatever the evidence: here a = 0 although a is clamped to 1.
TEST(BeliefPropagation, DecodingKeepsTheEvidenceWhenBpFindsNoPossibleState) {
  const engine::CompiledModel model = testing::compile_text(testing::kContradictingOrEvidence);
  BpParams p;
  p.temperature = 0.0;
  BeliefPropagation bp(build_message_graph(model), 1);
  ASSERT_GE(bp.run(p).contradiction_variable, 0);
  std::vector<std::int32_t> state(3, -1);
  EXPECT_GT(bp.decode(0, state), 0);  // decoded without BP's beliefs
  EXPECT_EQ(state[0], 1);
  EXPECT_EQ(state[2], 0);
  EXPECT_EQ(first_evidence_violation(model, state), -1);
  EXPECT_EQ(first_evidence_violation(model, std::vector<std::int32_t>{0, 0, 0}), 0);
}

TEST(BeliefPropagation, ImpossibleUnaryIsAnError) {
  const engine::CompiledModel model = testing::compile_text(R"(
    variables { name: "a" cardinality: 2 }
    parameters { name: "u" shape: [2] value: [-inf, 0] }
    factors { name: "u" unary { log_potentials: "u" } scope: "a" }
    evidence { variable: "a" value: 0 }
  )");
  try {
    bp_marginals(model, BpParams{});
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("variable a has no possible state"), std::string::npos)
        << e.what();
  }
}

TEST(BeliefPropagation, BadSettingsAreErrors) {
  const engine::CompiledModel model = compile_random(testing::binary_pairwise_options(1));
  BpParams p;
  p.damping = 1.0;
  EXPECT_THROW(bp_marginals(model, p), Error);
  p = BpParams{};
  p.temperature = -1.0;
  EXPECT_THROW(bp_marginals(model, p), Error);
  p = BpParams{};
  p.tolerance = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(bp_marginals(model, p), Error);
  p = BpParams{};
  p.max_iterations = 0;
  EXPECT_THROW(bp_marginals(model, p), Error);
  p = BpParams{};
  p.temperature = 1e-310;  // 1/T overflows: refused rather than NaN messages
  EXPECT_THROW(bp_marginals(model, p), Error);
  p = BpParams{};
  p.schedule = Schedule::kResidual;
  BeliefPropagation batch(build_message_graph(model), 4);
  EXPECT_THROW(batch.run(p), Error);
  // Absurd batches are refused with a message, not a failed allocation.
  try {
    BeliefPropagation huge(build_message_graph(model), 1 << 30);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("use fewer chains"), std::string::npos) << e.what();
  }
}

// Every message and belief is bit-identical for 1, 2 and 4 threads (flooding runs factors and
// variables in parallel), in both representations, on models large enough to be split into
// many tasks: a 96×96 lattice and 3,000 OR factors whose variable-to-factor messages need the
// −inf bookkeeping (clamped children make parents' states impossible).
TEST(BeliefPropagation, IndependentOfTheNumberOfThreads) {
  std::vector<engine::CompiledModel> models;
  models.push_back(testing::compile_text(
      "variables { name: \"s\" shape: [96, 96] cardinality: 2 }\n"
      "parameters { name: \"J\" shape: [18432] init { normal { stddev: 0.5 } seed: 3 } }\n"
      "parameters { name: \"h\" shape: [9216] init { normal { stddev: 0.5 } seed: 4 } }\n"
      "factors { name: \"u\" unary { field: \"h\" } each: \"s\" }\n"
      "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" periodic: true } "
      "}\n"));
  // Children clamped to 0 (every third) force their parents to 0: −inf entries whose
  // variable-to-factor messages need the bookkeeping of the belief snapshot, next to the
  // boundaries of the parallel tasks wherever the partitioner puts them.
  const int n = 3000;
  std::string logical =
      "variables { name: \"p\" shape: [" + std::to_string(n + 1) + "] cardinality: 2 }\n" +
      "variables { name: \"c\" shape: [" + std::to_string(n) + "] cardinality: 2 }\n" +
      "parameters { name: \"hp\" shape: [" + std::to_string(n + 1) +
      "] init { normal { stddev: 1 } seed: 5 } }\n" + "parameters { name: \"hc\" shape: [" +
      std::to_string(n) + "] init { normal { stddev: 1 } seed: 6 } }\n" +
      "factors { name: \"up\" unary { log_odds: \"hp\" } each: \"p\" }\n" +
      "factors { name: \"uc\" unary { log_odds: \"hc\" } each: \"c\" }\n" +
      "factors { name: \"or\" logical_or { }\n";
  for (int i = 0; i < n; ++i) {
    logical += " scope: \"p[" + std::to_string(i) + "] p[" + std::to_string(i + 1) + "] c[" +
               std::to_string(i) + "]\"\n";
  }
  logical += "}\n";
  for (int i = 0; i < n; ++i) {
    if (i % 3 == 0) {
      logical += "evidence { variable: \"c[" + std::to_string(i) + "]\" value: 0 }\n";
    }
  }
  models.push_back(testing::compile_text(logical));
  for (std::size_t m = 0; m < models.size(); ++m) {
    for (const bool generic : {false, true}) {
      for (const double t : {0.0, 0.5, 1.0}) {
        BpParams p;
        p.tolerance = 0.0;
        p.max_iterations = 40;
        p.temperature = t;
        p.generic_only = generic;
        std::vector<double> reference;
        // Races show only sometimes: several parallel runs each.
        for (const int threads : {1, 2, 2, 2, 4, 4}) {
          tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
          BeliefPropagation bp(build_message_graph(models[m], generic), m == 0 ? 3 : 1);
          bp.run(p);
          const std::vector<double> messages(bp.messages().begin(), bp.messages().end());
          if (reference.empty()) {
            reference = messages;
          } else {
            EXPECT_TRUE(messages == reference)
                << "model " << m << " generic " << generic << " T " << t << " threads " << threads;
          }
        }
      }
    }
  }
}

// Lanes are independent problems: lane l of a batch equals a single run with lane l's unaries,
// bit for bit, for max- and sum-product, with few lanes and with more than the sum-product
// kernel's chunk of 64.
TEST(BeliefPropagation, LanesAreIndependentProblems) {
  const engine::CompiledModel model = compile_random(testing::binary_pairwise_options(4, 8));
  for (const bool generic : {false, true})
    for (const std::int32_t lanes : {3, 70})
      for (const double temperature : {0.0, 1.0}) {
        SCOPED_TRACE(::testing::Message()
                     << "generic " << generic << " lanes " << lanes << " T " << temperature);
        const auto graph = build_message_graph(model, generic);
        BeliefPropagation batch(graph, lanes);
        const std::span<double> u = batch.lane_unary();
        for (std::size_t i = 0; i < u.size(); ++i) u[i] += 0.1 * static_cast<double>(i % 7);
        BpParams p;
        p.tolerance = 0.0;
        p.max_iterations = 20;
        p.temperature = temperature;
        batch.run(p);
        for (std::int32_t lane = 0; lane < lanes; lane += lanes == 3 ? 1 : 23) {
          BeliefPropagation single(graph, 1);
          const std::span<double> su = single.lane_unary();
          for (std::size_t i = 0; i < su.size(); ++i) su[i] = u[i * lanes + lane];
          single.run(p);
          std::vector<double> a(2), b(2);
          for (std::int32_t v = 0; v < model.graph->num_variables(); ++v) {
            batch.log_belief(v, lane, a, false);
            single.log_belief(v, 0, b, false);
            EXPECT_EQ(a, b);
          }
        }
      }
}

}  // namespace
}  // namespace dgm::inference::bp
