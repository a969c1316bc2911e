#pragma once
// Statistical checks of samplers against exact answers, for every sampler's tests (Gibbs,
// PMP, GWG, ...): run a sampler on small models, estimate single-site and pairwise marginals
// from its chains, and compare them with brute-force enumeration.
//
// The error bar is batch means over chains: each chain's time average is one estimate, nearly
// independent of the other chains' (they start independently and never interact), so
//   se = max(sd(chain averages) / sqrt(B), se_floor)
// and an estimate passes when |p̂ − p_exact| ≤ z·se. Autocorrelation within a chain is
// accounted for automatically (it inflates the spread of the chain averages), which a
// binomial error bar would not do. The floor keeps a state that no chain happened to leave (sd
// = 0) from failing for a deviation of a few 1e-4. With z = 5 and B ≥ 32 chains, a correct
// sampler fails one comparison in ~10^5 (t distribution with B − 1 degrees of freedom); the
// seeds are fixed, so a test either always passes or always fails.
//
// The estimates here are computed independently of inference/sampling's MarginalEstimator, so
// that the oracle does not share code with what it checks.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/exact/enumeration.h"
#include "inference/sampling/chains.h"
#include "inference/sampling/sampler.h"

namespace dgm::testing {

struct SamplingCheckOptions {
  std::int64_t burn_in = 200;    // sweeps discarded first
  std::int64_t sweeps = 2000;    // sweeps kept after the burn-in (every one is a sample)
  std::int64_t first_sweep = 0;  // counter of the first sweep (the random streams)
  // Pairs (i, j) of variable ids whose joint marginals are checked too.
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
  double z = 5.0;          // allowed deviation in standard errors
  double se_floor = 1e-3;  // smallest standard error used (absolute)
};

struct SamplingCheckResult {
  bool passed = false;
  double worst_z = 0.0;  // largest |p̂ − p| / se over every checked probability
  std::string worst;     // that probability, e.g. "p(x[2]=1) = 0.3712, estimate 0.4105 ± 0.0071"
  std::int64_t checked = 0;  // probabilities compared
  // p̂ at graph.state_offset[v] + k, and per pair at a·K_j + b (as EnumerationResult).
  std::vector<double> marginals;
  std::vector<std::vector<double>> pair_marginals;
  inference::EnumerationResult exact;

  // One line for a failure message: pass/fail, worst z, the worst probability, counts.
  std::string summary() const;
};

// Runs `sampler` on `chains` (initialised by the caller) for burn_in + sweeps sweeps and
// compares the estimated marginals with the exact marginals of `reference` under its evidence
// (enumeration: small models only). `reference` is normally the sampler's own model; a test
// that the check catches a wrong sampler passes a sampler built on a different model.
SamplingCheckResult check_marginals(inference::Sampler& sampler, inference::Chains& chains,
                                    const engine::CompiledModel& reference,
                                    const SamplingCheckOptions& options = {});

// Whether single-site moves connect every state of positive probability (under the evidence):
// the condition for single-site (and chromatic, and block) Gibbs to be irreducible. Models
// with hard constraints often fail it. Enumerates the free variables' states (≤ 2^20).
bool single_site_connected(const engine::CompiledModel& model);

// Number of states of positive probability under the evidence (≤ 2^20 joint states).
std::int64_t num_positive_states(const engine::CompiledModel& model);

}  // namespace dgm::testing
