#pragma once
// Brute-force exact inference: visits every configuration of the free variables. The oracle
// that the junction tree and every approximate method are tested against, so it is written
// to be obviously right rather than fast: f(x) comes from the factors' own generic
// evaluation (factors::log_potential, or their dense tables where small), with partial sums
// that are recomputed, never updated by subtraction, as the odometer turns.
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"
#include "factors/infinity.h"

namespace dgm::inference {

struct EnumerationOptions {
  // Refuse (dgm::Error) models with more configurations of the free variables than this.
  std::int64_t max_configurations = std::int64_t{1} << 24;
  // Single-variable marginals (needs a second pass over the configurations).
  bool marginals = true;
  // The MAP state and its value.
  bool map = true;
  // Pairs (i, j) of variable ids whose joint marginals to compute (i ≠ j; either may be
  // clamped).
  std::vector<std::pair<std::int32_t, std::int32_t>> pairs;
};

struct EnumerationResult {
  // log Z (log_constant and evidence included); −inf if no configuration is possible.
  double log_z = kNegInf;
  // p(x_v = k | evidence) at graph.state_offset[v] + k (clamped variables one-hot); empty if
  // not asked for.
  std::vector<double> marginals;
  // For each requested pair (i, j): p(x_i = a, x_j = b | evidence) at a·K_j + b.
  std::vector<std::vector<double>> pair_marginals;
  // The first most probable state in enumeration order (the last free variable changes
  // fastest) and f of it, log_constant included. Empty / NaN if not asked for.
  std::vector<std::int32_t> map_state;
  double map_log_potential = std::numeric_limits<double>::quiet_NaN();
  // Configurations visited (Π of the free variables' cardinalities).
  std::int64_t num_configurations = 0;
};

// Enumerates `model` under its evidence. Throws dgm::Error above the configuration limit, and
// for marginals, pairs or MAP when every configuration has probability zero.
EnumerationResult enumerate(const engine::CompiledModel& model,
                            const EnumerationOptions& options = {});

}  // namespace dgm::inference
