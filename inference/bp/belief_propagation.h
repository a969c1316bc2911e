#pragma once
// Loopy belief propagation over a MessageGraph, for a batch of independent problems (lanes)
// that share the graph and differ in their unary vectors (PMP's perturbed copies; one lane
// for plain BP). Messages are log-domain, normalised per edge, damped, kept above a floor
// that no exact message reaches (update_message_floor in the .cc), and start at 0
// (as in PGMax, Zhou et al. 2022); T = 0 is max-product, T = 1 sum-product.
//
// Parallel with oneTBB over the factors of a block (flooding) and over variables (beliefs);
// a factor update reads only the belief snapshot and its own messages, and every entry is
// computed by the same arithmetic in the same order whatever the partition, so the results
// do not depend on the number of threads.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "inference/bp/bp_params.h"
#include "inference/bp/factor_updates.h"
#include "inference/bp/message_graph.h"

namespace dgm::inference::bp {

struct BpStatus {
  std::int32_t iterations = 0;  // iterations run
  double max_change = 0.0;      // largest message change in the last iteration
  bool converged = false;       // max_change fell below a positive tolerance
  // Not converged and the largest change did not halve over the last iterations: the
  // messages oscillate (typical of undamped max-product on frustrated cycles) or stall.
  bool oscillating = false;
  bool interrupted = false;  // the observer stopped the run
  // A variable left with no possible state in some lane (all beliefs −inf): the evidence
  // contradicts the hard constraints, as far as BP can tell; −1 when none.
  std::int32_t contradiction_variable = -1;
};

class BeliefPropagation {
 public:
  BeliefPropagation(std::shared_ptr<const MessageGraph> graph, std::int32_t lanes = 1);

  const MessageGraph& graph() const { return *graph_; }
  std::int32_t lanes() const { return lanes_; }

  // The unary vectors of every lane, [entry][lane]: the model's after construction and
  // reset_unary(); PMP adds its noise here before run().
  std::span<double> lane_unary() { return unary_; }
  void reset_unary();
  // All messages back to the start: 0 (uniform), or its equivalent in ratio mode.
  void reset_messages();
  // Makes this (one-lane) run a copy of lane `lane` of `other` (same graph): messages,
  // unaries and beliefs, so that BP can continue on that problem alone.
  void copy_lane(const BeliefPropagation& other, std::int32_t lane);
  // Restricts variable v to state k in lane `lane` (its other states' unaries become −inf).
  void clamp(std::int32_t v, std::int32_t k, std::int32_t lane);

  // Runs BP from the current messages; the beliefs are up to date afterwards.
  BpStatus run(const BpParams& params, const BpObserver& observer = {});

  // Normalised log-beliefs of variable v in `lane` (K entries; T = 1: log-marginals, T = 0:
  // max-marginals with max 0). All −inf when the variable has no possible state.
  void log_belief(std::int32_t v, std::int32_t lane, std::span<double> out,
                  bool sum_normalise) const;
  // argmax_k b_v(k) per variable (ties to the lowest state), written to states[v]. A state
  // whose unary is −inf (evidence, clamp) is never chosen: where BP leaves a variable no
  // possible state (every belief −inf or NaN), it takes the argmax of its unary instead, its
  // evidence when clamped. Returns how many variables were decoded that way (0 when BP had a
  // possible state for every variable); such a decoding is not a max-product MAP.
  std::int32_t decode(std::int32_t lane, std::span<std::int32_t> states) const;

  // Read access for the Bethe estimate and tests.
  MessageState state() const;
  std::span<const double> messages() const { return messages_; }
  std::span<const double> beliefs() const { return beliefs_; }

 private:
  void compute_beliefs(std::int32_t begin, std::int32_t end);
  void compute_all_beliefs();
  double flooding_iteration(const UpdateSettings& settings);
  double sequential_iteration(const UpdateSettings& settings);
  BpStatus run_residual(const BpParams& params, const BpObserver& observer);
  void finish(BpStatus& status, const std::vector<double>& history, const BpParams& params) const;
  void check_contradiction(BpStatus& status) const;
  MessageState mutable_state();
  // Full mode: sets message_floor_ for `temperature` from the current unaries.
  void update_message_floor(double temperature);

  std::shared_ptr<const MessageGraph> graph_;
  std::int32_t lanes_;
  std::vector<double> messages_;
  std::vector<double> beliefs_;
  std::vector<double> unary_;
  // Full mode only: the beliefs' finite part and their number of −inf terms (see
  // MessageState), so that variable-to-factor messages never read other factors' messages.
  std::vector<double> finite_sum_;
  std::vector<double> num_neg_inf_;
  // Per lane: the bound below which no finite message entry of an exact (tree) computation
  // can fall (update_message_floor); loopy max-product is kept above it.
  std::vector<double> message_floor_;
  std::vector<std::int32_t> block_update_;  // Graph block → index in graph_->updates, or −1
};

}  // namespace dgm::inference::bp
