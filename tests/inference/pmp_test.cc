// Perturb-and-max-product: exact on independent variables (the Gumbel-max trick) with a
// statistical bound that a wrong noise scale fails; on factor-graph trees every sample equal to
// the brute-force argmax of the perturbed model under the noise drawn, yet the samples biased
// (PMP with unary noise is an approximate sampler even on trees); its log Z bound equal to log Z
// there and above it on trees; hard constraints and evidence respected on loopy models; the same
// samples from the ratio fast path and the generic path; samples independent of the thread
// count and of the other chains. On small loopy models its marginals are printed next to the
// exact ones (PMP is approximate there; nothing is claimed).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <tbb/global_control.h>

#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "engine/compiler.h"
#include "engine/error.h"
#include "engine/log_potential.h"
#include "engine/model_io.h"
#include "inference/builtin_samplers.h"
#include "inference/exact/enumeration.h"
#include "inference/pmp/pmp_sampler.h"
#include "inference/sampling/run.h"
#include "tests/support/random_models.h"
#include "tests/support/sampling_checks.h"
#include "tests/support/test_models.h"

namespace dgm::inference {
namespace {

engine::CompiledModel compile_random(const testing::RandomModelOptions& options) {
  return engine::compile(testing::generate_random_model(options).model,
                         engine::SourceMap("random.pbtxt"), "");
}

// Independent variables: binary (log-odds), 4-state and 3-state, one clamped.
const char* kIndependent = R"(
  variables { name: "b" shape: [3] cardinality: 2 }
  variables { name: "c" shape: [2] cardinality: 4 }
  variables { name: "d" cardinality: 3 }
  parameters { name: "lo" shape: [3] value: [0.8, -1.5, 0.1] }
  parameters { name: "lc" shape: [2, 4] value: [0.3, -0.4, 1.2, 0.0,  -2.0, 0.5, 0.5, 0.1] }
  parameters { name: "ld" shape: [3] value: [0.2, -0.3, 0.9] }
  factors { name: "ub" unary { log_odds: "lo" } each: "b" }
  factors { name: "uc" unary { log_potentials: "lc" } each: "c" }
  factors { name: "ud" unary { log_potentials: "ld" } each: "d" }
  evidence { variable: "c[1]" value: 2 }
)";

PmpParams params(bool generic = false, double noise_scale = 1.0) {
  PmpParams p;
  p.bp.max_iterations = 20;
  p.bp.generic_only = generic;
  p.noise_scale = noise_scale;
  return p;
}

TEST(Pmp, ExactOnIndependentVariables) {
  const engine::CompiledModel model = testing::compile_text(kIndependent);
  for (const bool generic : {false, true}) {
    PmpSampler sampler(model, params(generic), 11);
    Chains chains(64, model.graph->num_variables());
    testing::SamplingCheckOptions o;
    o.burn_in = 0;
    o.sweeps = 400;
    const testing::SamplingCheckResult r = testing::check_marginals(sampler, chains, model, o);
    EXPECT_TRUE(r.passed) << r.summary();
    // Every sample is exact, so the bound is log Z itself (zero-mean Gumbel perturbations).
    const std::vector<SamplerFigure> figures = sampler.figures();
    ASSERT_EQ(figures[0].name, "log_z_upper_bound");
    const double exact = enumerate(model).log_z;
    EXPECT_NEAR(figures[0].value, exact, 4 * figures[0].standard_error)
        << "bound " << figures[0].value << " ± " << figures[0].standard_error << ", log Z "
        << exact;
  }
}

// argmax over the free variables of f(x) + Σ_v noise[state_offset[v] + x_v], by brute force,
// and the gap to the runner-up (to skip near-ties, which no finite-precision solver can split).
struct PerturbedArgmax {
  std::vector<std::int32_t> state;
  double gap = 0.0;
};

PerturbedArgmax perturbed_argmax(const engine::CompiledModel& model,
                                 const std::vector<double>& noise) {
  const engine::Graph& g = *model.graph;
  std::vector<std::int32_t> x(g.num_variables(), 0), free_vars;
  for (std::int32_t v = 0; v < g.num_variables(); ++v) {
    if (model.evidence[v] != engine::kFree) {
      x[v] = model.evidence[v];
    } else {
      free_vars.push_back(v);
    }
  }
  PerturbedArgmax best;
  double best_value = -std::numeric_limits<double>::infinity(), second = best_value;
  while (true) {
    double value = engine::total_log_potential(model, x);
    if (value > -std::numeric_limits<double>::infinity()) {
      for (std::int32_t v = 0; v < g.num_variables(); ++v) value += noise[g.state_offset[v] + x[v]];
      if (value > best_value) {
        second = best_value;
        best_value = value;
        best.state = x;
      } else if (value > second) {
        second = value;
      }
    }
    std::size_t i = 0;
    for (; i < free_vars.size(); ++i) {
      if (++x[free_vars[i]] < g.cardinality[free_vars[i]]) break;
      x[free_vars[i]] = 0;
    }
    if (i == free_vars.size()) break;
  }
  best.gap = best_value - second;
  return best;
}

// A Potts chain of 6 three-state variables with fields: a tree on which PMP is still biased.
const char* kPottsChain = R"(
  variables { name: "x" shape: [6] cardinality: 3 }
  parameters { name: "P" value: 1.2 }
  parameters { name: "u" shape: [6, 3] value: [0.4, -0.2, 0.1,  0.0, 0.3, -0.5,  -0.3, 0.2, 0.6,
                                                0.1, 0.1, -0.4,  0.5, -0.6, 0.0,  -0.2, 0.4, 0.3] }
  factors { name: "chain" potts { coupling: "P" } scope: "x[0] x[1]" scope: "x[1] x[2]"
            scope: "x[2] x[3]" scope: "x[3] x[4]" scope: "x[4] x[5]" }
  factors { name: "field" unary { log_potentials: "u" } each: "x" }
)";

// Where max-product is exact (factor-graph trees: chains, random trees, OR/AND/enumeration
// trees with evidence; independent variables), every PMP sample is the argmax of the
// perturbed model under the noise the sampler drew (pmp_unary_noise), checked sample by sample
// against brute force, in both message representations. This checks the optimisation and the
// noise bookkeeping, not the sampling distribution, which is approximate (next test).
TEST(Pmp, EverySampleIsThePerturbedArgmaxWhereMaxProductIsExact) {
  std::vector<std::pair<std::string, engine::CompiledModel>> models;
  models.emplace_back("independent", testing::compile_text(kIndependent));
  models.emplace_back("potts chain", testing::compile_text(kPottsChain));
  models.emplace_back("tiny_chain",
                      engine::load_compiled(testing::source_path("examples/tiny_chain.pbtxt")));
  models.emplace_back("logic_or_and",
                      engine::load_compiled(testing::source_path("examples/logic_or_and.pbtxt")));
  for (std::uint64_t seed = 0; seed < 6; ++seed) {
    models.emplace_back("tree " + std::to_string(seed),
                        compile_random(testing::tree_options(seed, 7, 3)));
  }
  const std::uint64_t sampler_seed = 17;
  std::int64_t compared = 0, near_ties = 0;
  for (const auto& [what, model] : models) {
    ASSERT_TRUE(model.graph->analysis.factor_graph_forest) << what;
    for (const bool generic : {false, true}) {
      PmpParams p = params(generic);
      p.bp.max_iterations = 1000;
      p.bp.tolerance = 1e-13;
      PmpSampler sampler(model, p, sampler_seed);
      Chains chains(12, model.graph->num_variables());
      for (std::int64_t sweep = 0; sweep < 4; ++sweep) {
        sampler.sweep(chains, sweep);
        for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
          const PerturbedArgmax best = perturbed_argmax(
              model, pmp_unary_noise(model, sampler_seed, p.noise_scale, b, sweep));
          if (best.gap < 1e-9) {
            ++near_ties;
            continue;
          }
          const auto x = chains.chain(b);
          ASSERT_EQ(std::vector<std::int32_t>(x.begin(), x.end()), best.state)
              << what << (generic ? " generic" : "") << ", chain " << b << ", sweep " << sweep;
          ++compared;
        }
      }
    }
  }
  EXPECT_LE(near_ties, 2);
  EXPECT_GT(compared, 900);
}

// noise_groups: only the named groups' unaries get noise (the rest, and clamped variables,
// none), and every sample is still the argmax of the model under exactly that noise.
TEST(Pmp, NoiseGroupsPerturbOnlyTheirVariables) {
  const engine::CompiledModel model = testing::compile_text(R"(
      variables { name: "a" shape: [3] cardinality: 2 }
      variables { name: "z" shape: [2] cardinality: 3 }
      parameters { name: "J" value: 0.7 }
      parameters { name: "T" shape: [2, 3] value: [0.4, -0.3, 0.2, 0.1, 0.5, -0.6] }
      factors { name: "ab" ising { coupling: "J" } scope: "a[0] a[1]" scope: "a[1] a[2]" }
      factors { name: "az" pairwise { log_potentials: "T" } scope: "a[2] z[0]" scope: "a[0] z[1]" }
      evidence { variable: "a[1]" value: 1 })");
  const std::vector<std::string> groups = {"z"};
  EXPECT_EQ(pmp_perturbed_variables(model, groups), (std::vector<std::uint8_t>{0, 0, 0, 1, 1}));
  EXPECT_EQ(pmp_perturbed_variables(model, {}), (std::vector<std::uint8_t>{1, 0, 1, 1, 1}));
  const engine::Graph& g = *model.graph;
  PmpParams p = params(false);
  p.bp.max_iterations = 1000;
  p.bp.tolerance = 1e-13;
  p.noise_groups = groups;
  PmpSampler sampler(model, p, 5);
  Chains chains(8, g.num_variables());
  std::int64_t compared = 0;
  for (std::int64_t sweep = 0; sweep < 6; ++sweep) {
    sampler.sweep(chains, sweep);
    for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
      const std::vector<double> noise = pmp_unary_noise(model, 5, 1.0, b, sweep, groups);
      for (std::int32_t v = 0; v < 3; ++v)
        for (std::int32_t k = 0; k < 2; ++k)
          ASSERT_EQ(noise[static_cast<std::size_t>(g.state_offset[v] + k)], 0.0);
      EXPECT_NE(noise[static_cast<std::size_t>(g.state_offset[3])], 0.0);
      const PerturbedArgmax best = perturbed_argmax(model, noise);
      if (best.gap < 1e-9) continue;
      const auto x = chains.chain(b);
      ASSERT_EQ(std::vector<std::int32_t>(x.begin(), x.end()), best.state) << b << " " << sweep;
      ++compared;
    }
  }
  EXPECT_GT(compared, 40);
  // Noise on some variables only bounds something other than log Z: no bound is reported.
  for (const SamplerFigure& f : sampler.figures()) EXPECT_NE(f.name, "log_z_upper_bound");
  p.noise_groups = {"zz"};
  try {
    PmpSampler bad(model, p, 5);
    ADD_FAILURE() << "an unknown group was accepted";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("'zz'"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("a, z"));
  }
}

// PMP with unary noise is approximate even on a tree where max-product finds every perturbed
// MAP exactly (previous test): on a Potts chain its marginals are many standard errors from
// the exact ones. The wording of the docs and of dgm sample ("approximate sampler") rests on this.
TEST(Pmp, IsApproximateEvenOnAChain) {
  const engine::CompiledModel model = testing::compile_text(kPottsChain);
  PmpSampler sampler(model, params(), 3);
  Chains chains(64, model.graph->num_variables());
  testing::SamplingCheckOptions o;
  o.burn_in = 0;
  o.sweeps = 400;
  const testing::SamplingCheckResult r = testing::check_marginals(sampler, chains, model, o);
  std::printf("PMP on a Potts chain (a tree): %s\n", r.summary().c_str());
  EXPECT_FALSE(r.passed) << r.summary();
  EXPECT_GT(r.worst_z, 8.0) << r.summary();
}

TEST(Pmp, WrongNoiseScaleFailsTheSameCheck) {
  const engine::CompiledModel model = testing::compile_text(kIndependent);
  PmpSampler sampler(model, params(false, 1.3), 11);
  Chains chains(64, model.graph->num_variables());
  testing::SamplingCheckOptions o;
  o.burn_in = 0;
  o.sweeps = 400;
  const testing::SamplingCheckResult r = testing::check_marginals(sampler, chains, model, o);
  EXPECT_FALSE(r.passed) << r.summary();
  EXPECT_GT(r.worst_z, 8.0) << r.summary();
}

TEST(Pmp, LogZBoundIsAboveLogZOnTrees) {
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    const engine::CompiledModel model = compile_random(testing::tree_options(seed, 7, 3));
    PmpSampler sampler(model, params(), seed);
    Chains chains(64, model.graph->num_variables());
    RunOptions ro;
    ro.sweeps = 40;
    run_sampler(sampler, chains, ro);
    const SamplerFigure bound = sampler.figures()[0];
    const double exact = enumerate(model).log_z;
    std::printf("tree seed %d: PMP log Z bound %.4f ± %.4f, exact log Z %.4f\n",
                static_cast<int>(seed), bound.value, bound.standard_error, exact);
    EXPECT_GT(bound.value, exact - 4 * bound.standard_error);
  }
}

TEST(Pmp, SamplesSatisfyHardConstraintsAndEvidenceOnLoopyModels) {
  std::vector<engine::CompiledModel> models;
  for (std::uint64_t seed = 0; seed < 12; ++seed) {
    testing::RandomModelOptions o = testing::logical_options(seed, 8);
    o.evidence_probability = 0.7;
    models.push_back(compile_random(o));
  }
  models.push_back(engine::load_compiled(testing::source_path("examples/logic_or_and.pbtxt")));
  std::int64_t unrepaired_invalid = 0, repaired = 0;
  for (std::size_t m = 0; m < models.size(); ++m) {
    const engine::CompiledModel& model = models[m];
    PmpParams plain = params();
    plain.repair = false;
    PmpSampler without_repair(model, plain, 5);
    PmpSampler sampler(model, params(), 5);
    Chains chains(32, model.graph->num_variables());
    Chains unrepaired(32, model.graph->num_variables());
    for (std::int64_t sweep = 0; sweep < 10; ++sweep) {
      unrepaired_invalid += without_repair.sweep(unrepaired, sweep).invalid;
      const SweepStats stats = sampler.sweep(chains, sweep);
      EXPECT_EQ(stats.invalid, 0) << "model " << m;
      for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
        const auto x = chains.chain(b);
        EXPECT_GT(engine::total_log_potential(model, x), -1e300) << "model " << m;
        for (std::int32_t v = 0; v < model.graph->num_variables(); ++v) {
          if (model.evidence[v] != engine::kFree) {
            ASSERT_EQ(x[v], model.evidence[v]);
          }
        }
      }
    }
    for (const SamplerFigure& f : sampler.figures()) {
      if (f.name == "repaired_samples") repaired += static_cast<std::int64_t>(f.value);
    }
  }
  // Plain argmax decoding breaks constraints on these loopy models (tied max-marginals); the
  // repairs are what makes every sample above valid.
  std::printf(
      "argmax decoding: %lld invalid of %lld samples; with repair: %lld repaired, 0 invalid\n",
      static_cast<long long>(unrepaired_invalid), static_cast<long long>(models.size() * 320),
      static_cast<long long>(repaired));
  EXPECT_GT(unrepaired_invalid, 0);
  EXPECT_EQ(repaired, unrepaired_invalid);
}

// Binary deconvolution in miniature (Lázaro-Gredilla et al. 2021, §5.6), X clamped: one
// k × k feature W placed by S at the (h − k + 1)² positions of an h × h image, Z = S AND W,
// each pixel X the OR of the Z that cover it, X clamped to the image that `w` and `s` make.
std::string clamped_deconvolution(int k, int h, const std::vector<int>& w,
                                  const std::vector<int>& s) {
  const int positions = h - k + 1;
  std::vector<std::vector<int>> covering(h * h);  // pixel → its Z
  std::vector<int> image(h * h, 0);
  std::string ands;
  int z = 0;
  for (int i = 0; i < positions; ++i) {
    for (int j = 0; j < positions; ++j) {
      for (int a = 0; a < k; ++a) {
        for (int b = 0; b < k; ++b, ++z) {
          const int at = i * positions + j, pixel = (i + a) * h + j + b;
          ands += std::string(ands.empty() ? "" : ", ") + "\"S[" + std::to_string(at) + "] W[" +
                  std::to_string(a * k + b) + "] Z[" + std::to_string(z) + "]\"";
          covering[pixel].push_back(z);
          image[pixel] |= s[at] & w[a * k + b];
        }
      }
    }
  }
  std::string text = "variables { name: \"W\" shape: [" + std::to_string(k * k) +
                     "] cardinality: 2 }\nvariables { name: \"S\" shape: [" +
                     std::to_string(positions * positions) +
                     "] cardinality: 2 }\nvariables { name: \"Z\" shape: [" + std::to_string(z) +
                     "] cardinality: 2 }\nvariables { name: \"X\" shape: [" +
                     std::to_string(h * h) + "] cardinality: 2 }\n" +
                     R"(parameters { name: "pw" value: -1.0986 }
                        parameters { name: "ps" value: -2.0 }
                        factors { name: "pW" unary { log_odds: "pw" } each: "W" }
                        factors { name: "pS" unary { log_odds: "ps" } each: "S" }
                        factors { name: "and" logical_and {} scope: [)" +
                     ands + "] }\n";
  // One OR group per number of parents (a group's factors share their arity).
  for (int parents = 1; parents <= k * k; ++parents) {
    std::string scopes;
    for (int pixel = 0; pixel < h * h; ++pixel) {
      if (static_cast<int>(covering[pixel].size()) != parents) continue;
      scopes += scopes.empty() ? "\"" : ", \"";
      for (const int c : covering[pixel]) scopes += "Z[" + std::to_string(c) + "] ";
      scopes += "X[" + std::to_string(pixel) + "]\"";
    }
    if (!scopes.empty()) {
      text += "factors { name: \"or" + std::to_string(parents) + "\" logical_or {} scope: [" +
              scopes + "] }\n";
    }
  }
  text += "evidence { variable: \"X\" values: [";
  for (int pixel = 0; pixel < h * h; ++pixel) {
    text += (pixel > 0 ? ", " : "") + std::to_string(image[pixel]);
  }
  return text + "] }\n";
}

// Long max-product runs on this 6 × 6 instance used to let the messages overflow into false
// −inf; decoding then put clamped pixels in state 0 against the evidence (2 of 32 samples at
// 3000 iterations), and nothing counted those samples invalid.
TEST(Pmp, ClampedSamplesKeepTheEvidenceOrAreCountedInvalid) {
  const engine::CompiledModel model = testing::compile_text(clamped_deconvolution(
      3, 6, {1, 1, 1, 1, 0, 0, 0, 0, 0}, {0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0}));
  const std::int32_t n = model.graph->num_variables();
  for (const bool repair : {false, true}) {
    PmpParams p = params();
    p.bp.max_iterations = 3000;
    p.bp.tolerance = 0.0;  // every iteration: the overflow came late
    p.repair = repair;
    PmpSampler sampler(model, p, 3);
    Chains chains(16, n);
    for (std::int64_t sweep = 0; sweep < 2; ++sweep) {
      const SweepStats stats = sampler.sweep(chains, sweep);
      std::int64_t invalid = 0;
      for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
        const auto x = chains.chain(b);
        for (std::int32_t v = 0; v < n; ++v) {
          if (model.evidence[v] != engine::kFree) {
            ASSERT_EQ(x[v], model.evidence[v]) << "chain " << b << " variable " << v;
          }
        }
        invalid +=
            engine::total_log_potential(model, x) == -std::numeric_limits<double>::infinity();
      }
      // Every decoding that breaks a hard factor is counted, and only those.
      EXPECT_EQ(stats.invalid, invalid) << "sweep " << sweep << " repair " << repair;
    }
  }
}

TEST(Pmp, RefusesEvidenceThatContradictsTheHardFactors) {
  const engine::CompiledModel model = testing::compile_text(testing::kContradictingOrEvidence);
  PmpSampler sampler(model, params(), 1);
  Chains chains(4, model.graph->num_variables());
  try {
    sampler.sweep(chains, 0);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("the evidence contradicts the hard constraints"),
              std::string::npos)
        << e.what();
  }
}

TEST(Pmp, RatioFastPathAndGenericPathDrawTheSameSamples) {
  std::vector<engine::CompiledModel> models;
  for (std::uint64_t seed = 0; seed < 4; ++seed) {
    models.push_back(compile_random(testing::binary_pairwise_options(seed, 10)));
    models.push_back(compile_random(testing::rbm_options(seed, 5, 4)));
  }
  models.push_back(engine::load_compiled(testing::source_path("examples/spin_glass_2d.pbtxt")));
  for (std::size_t m = 0; m < models.size(); ++m) {
    PmpSampler fast(models[m], params(false), 3), generic(models[m], params(true), 3);
    ASSERT_EQ(fast.mode(), bp::MessageMode::kBinaryRatio);
    ASSERT_EQ(generic.mode(), bp::MessageMode::kFull);
    Chains a(8, models[m].graph->num_variables()), b(8, models[m].graph->num_variables());
    for (std::int64_t sweep = 0; sweep < 3; ++sweep) {
      fast.sweep(a, sweep);
      generic.sweep(b, sweep);
      std::int64_t differ = 0;
      for (std::size_t i = 0; i < a.states().size(); ++i) differ += a.states()[i] != b.states()[i];
      EXPECT_EQ(differ, 0) << "model " << m << " sweep " << sweep;
    }
  }
}

TEST(Pmp, IndependentOfThreadsAndOfOtherChains) {
  const engine::CompiledModel model =
      engine::load_compiled(testing::source_path("examples/potts_2d.pbtxt"));
  std::vector<std::int32_t> reference;
  for (const int threads : {1, 2}) {
    tbb::global_control limit(tbb::global_control::max_allowed_parallelism, threads);
    PmpSampler sampler(model, params(), 9);
    Chains chains(6, model.graph->num_variables());
    sampler.sweep(chains, 0);
    sampler.sweep(chains, 1);
    const std::vector<std::int32_t> states(chains.states().begin(), chains.states().end());
    if (reference.empty()) {
      reference = states;
    } else {
      EXPECT_EQ(states, reference);
    }
  }
  // Chain b's samples do not depend on how many chains run with it.
  PmpSampler sampler(model, params(), 9);
  Chains few(2, model.graph->num_variables());
  sampler.sweep(few, 0);
  sampler.sweep(few, 1);
  for (std::size_t i = 0; i < few.states().size(); ++i) ASSERT_EQ(few.states()[i], reference[i]);
}

TEST(Pmp, RegisteredWithItsConfiguration) {
  const engine::CompiledModel model = testing::compile_text(kIndependent);
  proto::SamplerConfig config;
  config.mutable_pmp()->mutable_bp()->set_max_iterations(5);
  config.mutable_pmp()->mutable_bp()->set_damping(0.0);
  auto sampler =
      make_sampler("pmp", std::make_shared<const dgm::engine::CompiledModel>(model), config, 1);
  EXPECT_EQ(sampler->name(), "pmp");
  EXPECT_FALSE(sampler->needs_valid_start());
  config.mutable_pmp()->set_noise_scale(-1.0);
  EXPECT_THROW(
      make_sampler("pmp", std::make_shared<const dgm::engine::CompiledModel>(model), config, 1),
      Error);
  config.mutable_pmp()->set_noise_scale(1.0);
  config.mutable_pmp()->mutable_bp()->set_schedule(proto::BeliefPropagationConfig::RESIDUAL);
  EXPECT_THROW(
      make_sampler("pmp", std::make_shared<const dgm::engine::CompiledModel>(model), config, 1),
      Error);
}

// Not a correctness check: PMP on loopy models is approximate. The test log shows how far.
TEST(Pmp, ReportsMarginalsNextToExactOnSmallLoopyModels) {
  for (std::uint64_t seed = 0; seed < 3; ++seed) {
    const engine::CompiledModel model = compile_random(testing::soft_options(seed, 6, 3));
    PmpSampler sampler(model, params(), seed);
    Chains chains(64, model.graph->num_variables());
    testing::SamplingCheckOptions o;
    o.burn_in = 0;
    o.sweeps = 100;
    const testing::SamplingCheckResult r = testing::check_marginals(sampler, chains, model, o);
    double worst = 0.0;
    for (std::size_t i = 0; i < r.marginals.size(); ++i) {
      worst = std::max(worst, std::fabs(r.marginals[i] - r.exact.marginals[i]));
    }
    std::printf("soft model seed %d: PMP (approximate) vs exact, largest marginal error %.4f; %s\n",
                static_cast<int>(seed), worst, r.worst.c_str());
    for (std::size_t i = 0; i < r.marginals.size(); ++i) {
      ASSERT_GE(r.marginals[i], 0.0);
      ASSERT_LE(r.marginals[i], 1.0);
    }
  }
}

}  // namespace
}  // namespace dgm::inference
