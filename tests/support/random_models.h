#pragma once
// Random SMALL models for tests: every sampler and inference backend is checked against exact
// answers (brute-force enumeration) on models drawn from here, in the spirit of OpenGM's
// black-box tester. The models are `proto::Model`s, so they also exercise the compiler.
//
// Guarantees:
//  * Deterministic: the same options give the same model on every platform. The generator
//    uses std::mt19937_64 (whose output the standard fixes) and its own integer→real
//    conversions; reals use only +, −, ×, / (no libm), so the bits do not depend on the C
//    library either. (Parameters written as `init { ... }` are expanded by the engine's own
//    counter-based generator when the model is compiled.)
//  * Satisfiable: a random "witness" state is drawn first; every hard factor (enumeration
//    lists, logical OR/AND, −inf table entries) is built so that the witness satisfies it, and
//    evidence takes the witness's values. So Z > 0 and p(evidence) > 0, and the witness is a
//    valid initial state for samplers on hard-constrained models.
//  * Small: at most 16 variables of at most 8 states; with the defaults (6 variables of 2–3
//    states) enumeration visits at most 729 joint states.
//  * Every enabled kind is present when it can be placed (Ising needs two binary variables,
//    Potts two of equal cardinality, logical factors two binary ones and a child whose witness
//    state fits, bipartite min_cardinality = 2); a kind that cannot be placed is skipped.
//    describe() says what is there.
//
// Variable order: the witness (and anything indexed by variable) follows the compiled order,
// i.e. groups in declaration order, row-major within a group.
//
// Caution for test authors: hard factors (enumeration, logical OR/AND, −inf table entries)
// usually make single-site Gibbs reducible; use soft kinds (FactorKindSet::soft()) for tests
// of samplers that need an irreducible chain.
#include <cstdint>
#include <string>
#include <vector>

#include "dgm/model.pb.h"

namespace dgm::testing {

// Which factor kinds the generator may use. Each enabled kind gets between 1 and
// RandomModelOptions::max_groups_per_kind factor groups (unary: one per variable group;
// bipartite: exactly one).
struct FactorKindSet {
  bool unary = true;     // Unary: log_potentials [K]/[F,K]; binary groups also log_odds/field
  bool pairwise = true;  // Pairwise K_i×K_j tables
  bool ising = true;     // Ising couplings J·s_i·s_j between binary variables (spin convention)
  bool potts = true;     // Potts couplings J·[x_i = x_j] between variables of equal cardinality
  bool table = true;     // dense tables over RandomModelOptions::table_arity variables
  bool enumeration = true;  // sparse enumeration over 2–3 variables (hard: unlisted rows are −inf)
  bool logical_or = true;   // child = OR(parents), binary, hard
  bool logical_and = true;  // child = AND(parents), binary, hard
  bool bipartite = true;    // an RBM-like block between two dedicated binary groups "v" and "h"

  static FactorKindSet all() { return {}; }
  static FactorKindSet none() {
    return {false, false, false, false, false, false, false, false, false};
  }
  // Everything without hard constraints: unary, pairwise, ising, potts, table, bipartite.
  static FactorKindSet soft() {
    FactorKindSet k;
    k.enumeration = k.logical_or = k.logical_and = false;
    return k;
  }
  // Unary and the pairwise kinds (pairwise, ising, potts).
  static FactorKindSet pairwise_only() {
    FactorKindSet k = none();
    k.unary = k.pairwise = k.ising = k.potts = true;
    return k;
  }
};

struct RandomModelOptions {
  // Seed of the generator; everything else being equal, the model is a function of it.
  std::uint64_t seed = 0;
  // Total number of variables, 1..16 (bipartite groups included).
  int num_variables = 6;
  // Cardinality of each variable group, drawn uniformly in [min, max]; 2 ≤ min ≤ max ≤ 8.
  // When binary-only kinds are enabled and min is 2, at least one group is made binary.
  int min_cardinality = 2;
  int max_cardinality = 3;
  // Which kinds to use.
  FactorKindSet kinds;
  // Factor groups per enabled kind (except unary): uniform in [1, max_groups_per_kind].
  int max_groups_per_kind = 2;
  // Factors per explicit-scope factor group: uniform in [1, max_factors_per_group]. Groups
  // built with a generator (all_pairs, between, lattice) have as many as it expands to.
  int max_factors_per_group = 3;
  // Arity of dense `table` factors (capped at the number of variables); 1..4.
  int table_arity = 3;
  // Log-potentials of pairwise, Ising, Potts, table, enumeration and bipartite factors are
  // coupling_scale·N(0, 1) (N approximated by the Irwin–Hall sum of 12 uniforms, |z| ≤ 6);
  // unary ones are unary_scale·N(0, 1). Ising values are in the spin convention. With the
  // defaults the most probable state of a binary_pairwise_options model (64 states) has
  // p ≈ 0.2 on average: peaked enough to be interesting, flat enough for short test runs.
  double coupling_scale = 0.5;
  double unary_scale = 0.5;
  // Each entry of a pairwise/table/unary log_potentials table becomes −inf with this
  // probability, except the witness's entries (only where the generator knows the scopes:
  // explicit `scope` lists and unary `each`, not all_pairs/between/lattice). 0 = none.
  double hard_zero_probability = 0.0;
  // With this probability the model gets evidence: 1..max_evidence variables clamped to the
  // witness's states.
  double evidence_probability = 0.0;
  int max_evidence = 2;
  // Tree-structured: the pairwise kinds (pairwise/ising/potts, whichever are enabled and fit
  // the edge) along a random spanning tree, one factor per edge, plus unaries; table,
  // enumeration, logical and bipartite kinds are not used. The factor graph is a forest
  // (a tree unless an edge fits no enabled kind), so BP is exact on it.
  bool tree = false;
  // Sizes of the bipartite groups "v" and "h"; 0 = random in 1..3.
  int bipartite_left = 0;
  int bipartite_right = 0;
  // Exercise the model language's alternatives: scalar and 2-D groups, multi-index
  // references ("x[1,2]"), generators (each, all_pairs, between, lattice on 2-D and 1-D
  // groups), tied (shared)
  // parameters, initialisers (init { normal | uniform | rademacher }) instead of inline values,
  // parents/child shorthand, evidence by `values`, a non-zero log_constant. false: plain 1-D
  // groups, explicit scopes (unary by `each`), inline per-factor parameters, `value` evidence.
  bool vary_syntax = true;
};

struct RandomModel {
  proto::Model model;
  // A state of positive probability that agrees with the evidence; one state per variable in
  // compiled order (groups as declared, row-major within a group).
  std::vector<std::int32_t> witness;
};

// Draws a model. Throws std::invalid_argument for options out of range.
RandomModel generate_random_model(const RandomModelOptions& options);

// ---- Presets: options for the common cases (tweak a field, then generate_random_model) ----

// Binary, unary + pairwise tables + Ising couplings; no hard constraints.
RandomModelOptions binary_pairwise_options(std::uint64_t seed, int num_variables = 6);
// Cardinalities in [min(3, K), K]: unary, pairwise, Potts and dense 3-variable tables.
RandomModelOptions categorical_options(std::uint64_t seed, int num_variables = 5, int K = 3);
// Every kind, soft only (no enumeration, logical factors or −inf entries), cardinality 2..K.
RandomModelOptions soft_options(std::uint64_t seed, int num_variables = 6, int K = 3);
// Binary with OR/AND factors (one group of 1–2 factors each), unary priors and (with
// probability 1/2) evidence.
RandomModelOptions logical_options(std::uint64_t seed, int num_variables = 6);
// Tree-structured pairwise model (BP exact), cardinality 2..K.
RandomModelOptions tree_options(std::uint64_t seed, int num_variables = 7, int K = 3);
// An RBM block "v"×"h" with unary biases on both sides.
RandomModelOptions rbm_options(std::uint64_t seed, int num_visible = 4, int num_hidden = 3);
// Everything, with the size (3–8 variables), cardinalities (2..2–4), the set of kinds
// (unary and at least two others, one group each), hard zeros (in 1/4 of the models) and
// evidence (probability 0.3) themselves drawn from the seed. About 1 model in 25 has a single
// state of positive probability; tests should cope (e.g. skip statistical checks).
RandomModelOptions mixed_options(std::uint64_t seed);
// mixed_options with evidence always present: the same model as random_mixed(seed) plus
// evidence (evidence is drawn last).
RandomModelOptions with_evidence_options(std::uint64_t seed);

// ---- Named constructors: the model alone ----
proto::Model random_binary_pairwise(std::uint64_t seed, int num_variables = 6);
proto::Model random_categorical(std::uint64_t seed, int num_variables = 5, int K = 3);
proto::Model random_soft(std::uint64_t seed, int num_variables = 6, int K = 3);
proto::Model random_logical(std::uint64_t seed, int num_variables = 6);
proto::Model random_tree(std::uint64_t seed, int num_variables = 7, int K = 3);
proto::Model random_rbm(std::uint64_t seed, int num_visible = 4, int num_hidden = 3);
proto::Model random_mixed(std::uint64_t seed);
proto::Model random_with_evidence(std::uint64_t seed);

// ---- For messages and guards ----

// One line for a test failure message: the provenance (Model.description), the variable
// groups with sizes and cardinalities, each factor group's kind and factor count, the evidence.
// Example: "dgm::testing random model seed=7 ...: vars x[3]:2 y[2,2]:3 (648 states); factors
// unary_x_0:unary×3, pairwise_0:pairwise×2, or_0:logical_or×1; evidence x[1]=0".
std::string describe(const proto::Model& model);

// The whole model as protobuf text (for dumping a failing case to a .pbtxt file).
std::string to_text(const proto::Model& model);

// Number of joint states Π K_i over all variables (saturates at INT64_MAX), to guard
// brute-force enumeration.
std::int64_t num_joint_states(const proto::Model& model);

}  // namespace dgm::testing
