#pragma once
// Perturb-and-max-product (PMP; Papandreou & Yuille 2011, as in PGMax: Zhou et al. 2022):
// every sample is the max-product MAP of the model with independent Gumbel(0, 1) noise added
// to every unary state (for binary variables in the ratio representation, one Logistic(0, 1)
// on the log-odds: the difference of two Gumbels). Factor tables are not perturbed. Messages
// restart from 0 for every sample, so samples are independent; a batch of B chains is B
// independent max-product problems run together as the lanes of one BeliefPropagation.
//
// One sweep = one fresh sample per chain. The chains' previous states are never read.
//
// PMP is an APPROXIMATE sampler, even on trees. Only a Gumbel for every joint configuration
// would make the perturbed MAP an exact sample (Papandreou & Yuille 2011); with noise on the
// unaries only, the exact perturbed MAP is a biased sample of p as soon as variables
// interact, on trees as on loopy graphs (on a 6-variable Potts chain a marginal is 11
// standard errors off: Pmp.IsApproximateEvenOnAChain), and loopy max-product adds its own
// error. It is exact only for independent variables (the Gumbel-max trick). What is exact on
// (factor-graph) trees is the optimisation: max-product returns the argmax of the perturbed
// model, which the tests check sample by sample (pmp_unary_noise below).
//
// E[max_x f(x) + Σ_v γ_v(x_v)] ≥ log Z (Hazan & Jaakkola 2012): the mean perturbed energy of
// the decoded states estimates this upper bound (approximately, since loopy max-product need
// not find the max), reported as the figure log_z_upper_bound.
//
// Hard constraints: loopy max-product can end with tied max-marginals whose independent
// argmax breaks a constraint; such decodings are repaired by decimation (repair(), on by
// default) and those that stay invalid are counted in SweepStats::invalid, as are decodings
// that break the evidence or where BP left a variable no possible state. A model whose
// evidence contradicts the hard factors (as far as max-product's hard zeros show) is refused
// with an error, as by exact inference, BP and Gibbs.
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "engine/compiled_model.h"
#include "inference/bp/belief_propagation.h"
#include "inference/bp/bp_params.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

struct PmpParams {
  bp::BpParams bp = pmp_bp_defaults();
  // Scale of the Gumbel noise: 1 is standard perturb-and-MAP (still approximate, see above);
  // smaller values concentrate on the MAP state.
  double noise_scale = 1.0;
  // With hard factors: repair decodings that violate one by decimation (PmpSampler::repair).
  bool repair = true;
  // The variable groups whose unaries get noise; empty: every group.
  std::vector<std::string> noise_groups;

  static bp::BpParams pmp_bp_defaults() {
    return bp::bp_params(proto::BeliefPropagationConfig{}, bp::BpPurpose::kPmp);
  }
};

// The noise PMP adds to the unaries of chain `chain` at sweep `sweep` (with the sampler's
// `seed` and `noise_scale`), per state at Graph::state_offset[v] + k: for a binary variable one
// scaled Logistic(0, 1) on state 1 and 0 on state 0, for K > 2 states K scaled Gumbel(0, 1); 0
// for clamped variables. That chain's sample at that sweep is max-product's decoding of
// f(x) + Σ_v noise[state_offset[v] + x_v], the same numbers PmpSampler draws (for tests).
// Only the variables pmp_perturbed_variables(model, noise_groups) selects get noise.
std::vector<double> pmp_unary_noise(const engine::CompiledModel& model, std::uint64_t seed,
                                    double noise_scale, std::int32_t chain, std::int64_t sweep,
                                    std::span<const std::string> noise_groups = {});

// Per variable, 1 where PMP perturbs it: free (not clamped by evidence) and in one of
// `noise_groups` (every group when empty). Throws dgm::Error naming an unknown group.
std::vector<std::uint8_t> pmp_perturbed_variables(const engine::CompiledModel& model,
                                                  std::span<const std::string> noise_groups);

class PmpSampler : public Sampler {
 public:
  PmpSampler(const engine::CompiledModel& model, const PmpParams& params, std::uint64_t seed);

  std::string_view name() const override { return "pmp"; }
  SweepStats sweep(Chains& chains, std::int64_t sweep) override;
  bool needs_valid_start() const override { return false; }
  std::vector<SamplerFigure> figures() const override;
  // Rebuilds the message graph (its potentials, and the representation, which depends on
  // whether every table is finite) and the BP state over it.
  void refresh_parameters() override;
  // Samples are drawn afresh each sweep; only the figures' accumulators are saved.
  void save_state(SamplerStateWriter& out) const override;
  void restore_state(SamplerStateReader& in, const Chains& chains) override;

  // The message representation in use (tests).
  bp::MessageMode mode() const { return message_graph_->mode; }

 private:
  void perturb(std::int64_t sweep);
  // Whether `x` respects the evidence and (with hard factors) violates none of them.
  bool is_valid(std::span<const std::int32_t> x) const;
  bool repair(std::int32_t lane, std::span<std::int32_t> x);

  const engine::CompiledModel& model_;
  PmpParams params_;
  std::uint64_t seed_;
  std::shared_ptr<const bp::MessageGraph> message_graph_;
  std::unique_ptr<bp::BeliefPropagation> bp_;
  std::unique_ptr<bp::BeliefPropagation> repair_bp_;  // one lane, for repair()
  bool has_hard_factors_ = false;
  std::vector<std::uint8_t> perturbed_;  // pmp_perturbed_variables
  std::vector<double> noise_;            // per lane, Σ_v γ_v(x_v) of the decoded state (scratch)
  // Accumulated over samples.
  std::int64_t samples_ = 0;
  double energy_mean_ = 0.0, energy_m2_ = 0.0;  // Welford, over perturbed MAP energies
  std::int64_t repaired_ = 0;
  std::int64_t runs_converged_ = 0, runs_ = 0;
  // Work of one max-product iteration for one lane (inference/sampling/work.h): its messages,
  // and the states they carry as factor evaluations.
  std::int64_t iteration_messages_ = 0, iteration_evaluations_ = 0;
};

}  // namespace dgm::inference
