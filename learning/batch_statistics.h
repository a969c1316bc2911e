#pragma once
// Mean sufficient statistics of a batch of states, (1/n) Σ_b φ(x_b), laid out like
// Params::values: the two sides of every maximum-likelihood gradient (data minus model).
//
// Soft variables (Rao–Blackwellisation): a batch may give, for some binary variables, the
// probability q = p(x_v = 1) instead of a state; the statistics are then expectations over
// those variables, taken independent given the rest — exact for an RBM's hidden units given the
// visible ones, σ(Wᵀv + c) (Hinton 2010, "A practical guide to training RBMs", §3).
//
// How it is computed, once per block of factors:
//   * a bipartite block (the RBM layer) is one matrix product, (1/n)·Aᵀ·C with A and C the
//     batch's values (states or probabilities) of its two sides: no per-factor work;
//   * other blocks loop factor by factor over the batch, through factors::add_statistics (each
//     kind's φ is defined once, in factors/); enumeration factors find their row through a
//     lookup table built once, not by searching the listed rows.
// Parallel over factors (oneTBB): factors with their own parameters write disjoint entries;
// factors that share (tie) a parameter are summed in fixed chunks, then the chunks in order, so
// results do not depend on the number of threads.
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::learning {

struct Batch {
  std::span<const std::int32_t> states;  // rows × N, row-major (chain-major)
  std::int64_t rows = 0;
  // Optional: rows × N probabilities p(x_v = 1), read for the variables with soft_vars[v] != 0
  // (binary variables only); their states are then ignored.
  std::span<const double> soft;
  std::span<const std::uint8_t> soft_vars;
};

class BatchStatistics {
 public:
  // Plans the blocks of `model`'s structure (its parameter values are not read).
  explicit BatchStatistics(const engine::CompiledModel& model);

  // out = (1/rows) Σ_b φ(x_b) (out has one entry per parameter value; entries no factor reads
  // are 0). Throws dgm::Error on an empty batch or sizes that do not match the model.
  void mean(const Batch& batch, std::span<double> out) const;
  // out += scale · (1/rows) Σ_b φ(x_b): both sides of a gradient summed into one buffer (scale
  // +1 for the data, −1 for the model) without a pass over it per side.
  void add_mean(const Batch& batch, double scale, std::span<double> out) const;

  // The same computed factor by factor for every block (tests: the fast paths against it).
  void mean_generic(const Batch& batch, std::span<double> out) const;

 private:
  void compute(const Batch& batch, double scale, bool zero_first, std::span<double> out,
               bool generic) const;
  // `state_weight` (fast path): per state of every variable in unary_vars_, the batch's weight
  // on it (Σ_b weight·[x_bv = k], or the probabilities of a soft variable).
  void add_block(std::size_t block, const Batch& batch, double weight, bool generic,
                 std::span<const double> state_weight, std::span<double> out) const;
  void add_bipartite(std::size_t block, const Batch& batch, double weight,
                     std::span<double> out) const;

  std::shared_ptr<const engine::Graph> graph_;
  std::size_t num_values_ = 0;
  // Per block: for enumeration blocks with small tables, configuration index → listed row
  // (−1: not listed); empty otherwise.
  std::vector<std::vector<std::int64_t>> enum_lookup_;
  // Per block: the size of the parameter its factors read (tied blocks sum into buffers of it).
  std::vector<std::int64_t> param_size_;
  // The variables of parametrised unary factors, ascending: their state weights are gathered in
  // one row-major pass over the batch (a pass per factor would stride through every row).
  std::vector<std::int32_t> unary_vars_;
};

}  // namespace dgm::learning
