#pragma once
// Shared by the Gibbs tests (unit and slow): the four variants by name, compiled random
// models with their provenance, initial chains, and the pools of models the statistical checks
// run on.
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "dgm/sampler.pb.h"
#include "engine/compiler.h"
#include "inference/builtin_samplers.h"
#include "inference/sampling/chains.h"
#include "tests/support/random_models.h"
#include "tests/support/sampling_checks.h"

namespace dgm::inference::gibbs_test {

enum class Variant { kSystematic, kRandomScan, kChromatic, kBlock };
inline constexpr Variant kAllVariants[] = {Variant::kSystematic, Variant::kRandomScan,
                                           Variant::kChromatic, Variant::kBlock};

inline const char* registry_name(Variant v) {
  switch (v) {
    case Variant::kSystematic:
      return "gibbs";
    case Variant::kRandomScan:
      return "random-scan-gibbs";
    case Variant::kChromatic:
      return "chromatic-gibbs";
    case Variant::kBlock:
      return "block-gibbs";
  }
  return "";
}

// The variant through the registry, as `dgm sample --sampler NAME` creates it.
inline std::unique_ptr<Sampler> make(Variant v, const engine::CompiledModel& model,
                                     std::uint64_t seed, bool generic_only = false) {
  proto::SamplerConfig config;
  switch (v) {
    case Variant::kSystematic:
    case Variant::kRandomScan:
      config.mutable_gibbs()->set_generic_only(generic_only);
      break;
    case Variant::kChromatic:
      config.mutable_chromatic_gibbs()->set_generic_only(generic_only);
      break;
    case Variant::kBlock:
      config.mutable_block_gibbs()->set_generic_only(generic_only);
      break;
  }
  return make_sampler(registry_name(v), std::make_shared<const dgm::engine::CompiledModel>(model),
                      config, seed);
}

struct TestModel {
  engine::CompiledModel model;
  std::vector<std::int32_t> witness;
  std::string description;
  bool hard = false;  // has states of probability zero: start chains at the witness
};

inline TestModel compile_random(const testing::RandomModelOptions& options, bool hard = false) {
  const testing::RandomModel random = testing::generate_random_model(options);
  TestModel t{engine::compile(random.model, engine::SourceMap("random.pbtxt"), ""), random.witness,
              testing::describe(random.model), hard};
  return t;
}

// B chains: uniformly at random (evidence applied), or all at the witness for hard models.
inline Chains initial_chains(const TestModel& t, std::int32_t num_chains, std::uint64_t seed) {
  Chains chains(num_chains, t.model.graph->num_variables());
  if (t.hard) {
    init_from_rows(chains, t.model, t.witness, 1, "witness");
    require_positive_probability(chains, t.model);
  } else {
    init_uniform(chains, t.model, seed);
  }
  return chains;
}

// Up to two pairs to check jointly: an interacting pair and the first and last variables.
inline std::vector<std::pair<std::int32_t, std::int32_t>> some_pairs(const engine::Graph& g) {
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  for (std::int32_t v = 0; v < g.num_variables() && pairs.empty(); ++v)
    if (!g.neighbours_of(v).empty()) pairs.emplace_back(v, g.neighbours_of(v)[0]);
  const std::int32_t last = g.num_variables() - 1;
  if (last > 0 && (pairs.empty() || pairs[0] != std::pair<std::int32_t, std::int32_t>(0, last)))
    pairs.emplace_back(0, last);
  return pairs;
}

// Hard-constrained models on which single-site moves still connect the support (at least two
// states): logical OR/AND, sparse enumeration, −inf table entries. Scans seeds from `seed`.
inline std::vector<TestModel> ergodic_hard_models(int count, std::uint64_t seed) {
  std::vector<TestModel> out;
  for (std::uint64_t s = seed; static_cast<int>(out.size()) < count; ++s) {
    testing::RandomModelOptions o;
    switch (s % 3) {
      case 0:
        o = testing::logical_options(s, 6);
        break;
      case 1:
        o = testing::soft_options(s, 5, 3);
        o.kinds.enumeration = true;
        o.kinds.bipartite = false;
        break;
      default:
        o = testing::categorical_options(s, 5, 3);
        o.hard_zero_probability = 0.2;
        o.evidence_probability = 0.5;
        break;
    }
    TestModel t = compile_random(o, true);
    if (testing::num_positive_states(t.model) >= 2 && testing::single_site_connected(t.model))
      out.push_back(std::move(t));
  }
  return out;
}

// ≥ 20 models for the single-site and chromatic variants: binary pairwise, categorical with
// 3-variable tables and Potts, every soft kind, with and without evidence, and hard-constrained
// models that single-site moves keep ergodic.
inline std::vector<TestModel> general_pool() {
  std::vector<TestModel> pool;
  for (std::uint64_t s = 0; s < 5; ++s)
    pool.push_back(compile_random(testing::binary_pairwise_options(s, 6)));
  for (std::uint64_t s = 0; s < 5; ++s)
    pool.push_back(compile_random(testing::categorical_options(s, 5, 3)));
  for (std::uint64_t s = 0; s < 4; ++s)
    pool.push_back(compile_random(testing::soft_options(s, 6, 3)));
  for (std::uint64_t s = 10; s < 13; ++s) {
    testing::RandomModelOptions o = testing::soft_options(s, 6, 3);
    o.evidence_probability = 1.0;
    pool.push_back(compile_random(o));
  }
  for (std::uint64_t s = 20; s < 22; ++s) {
    testing::RandomModelOptions o = testing::categorical_options(s, 6, 3);
    o.evidence_probability = 1.0;
    pool.push_back(compile_random(o));
  }
  for (TestModel& t : ergodic_hard_models(4, 0)) pool.push_back(std::move(t));
  return pool;
}

// ≥ 20 models with a bipartite interaction graph, for block Gibbs: RBMs (the GEMM path),
// trees of categorical variables, and every random soft model that happens to be bipartite.
inline std::vector<TestModel> bipartite_pool() {
  std::vector<TestModel> pool;
  for (std::uint64_t s = 0; s < 6; ++s) {
    testing::RandomModelOptions o = testing::rbm_options(s, 4, 3);
    o.evidence_probability = s % 2 == 1 ? 1.0 : 0.0;
    pool.push_back(compile_random(o));
  }
  for (std::uint64_t s = 0; s < 8; ++s) {
    testing::RandomModelOptions o = testing::tree_options(s, 6, 3);
    o.evidence_probability = s % 3 == 2 ? 1.0 : 0.0;
    pool.push_back(compile_random(o));
  }
  for (std::uint64_t s = 100; pool.size() < 22; ++s) {
    TestModel t = compile_random(s % 2 ? testing::soft_options(s, 5, 3)
                                       : testing::binary_pairwise_options(s, 6));
    if (t.model.graph->analysis.bipartite) pool.push_back(std::move(t));
  }
  return pool;
}

}  // namespace dgm::inference::gibbs_test
