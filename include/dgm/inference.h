#pragma once
// Inference that answers a query once: exact (junction tree) log Z, marginals and MAP, and
// loopy belief propagation's marginals, Bethe log Z and MAP. Results are plain structs that
// own their numbers.
//
// Marginals are one vector for all variables: p(x_v = k | evidence) is at
// model.state_offset(v) + k (clamped variables are one-hot).
//
// Threads: each call reads the model only, so any number of threads may run them on one
// Model at once.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dgm/model.h"
#include "dgm/sampler.pb.h"

namespace dgm {

struct ExactOptions {
  // Largest clique table exact inference may build (each entry a double). A model that
  // needs more is refused with dgm::Error (ErrorCode::kLimit) stating its induced width.
  std::int64_t max_table_entries = std::int64_t{1} << 24;
  bool log_z = true;
  bool marginals = true;  // comes with log Z at little extra cost
  bool map = true;        // a separate max-product pass
};

struct ExactResult {
  // log Z including the model's log_constant and the evidence; −inf when the evidence has
  // probability zero; NaN when not asked for.
  double log_z = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> marginals;        // empty when not asked for
  std::vector<std::int32_t> map_state;  // a most probable full state; empty when not asked for
  double map_log_potential = std::numeric_limits<double>::quiet_NaN();
  int induced_width = 0;           // of the elimination order used
  std::int64_t largest_table = 0;  // entries of its largest clique table
};

// Variable elimination on a junction tree (exact; cost exponential in the induced width).
ExactResult exact(const Model& model, const ExactOptions& options = {});
double exact_log_z(const Model& model);

// How a BP run ended.
struct BpStatus {
  std::int32_t iterations = 0;
  double max_change = 0.0;  // largest message change in the last iteration
  bool converged = false;
  bool oscillating = false;
  std::string description;  // one line, as the dgm program prints it
};

struct BpMarginalsResult {
  std::vector<double> marginals;
  double log_z = 0.0;  // the Bethe approximation (temperature 1 only; NaN otherwise)
  BpStatus status;
};

struct BpMapResult {
  std::vector<std::int32_t> state;  // evidence respected
  double log_potential = 0.0;       // f(state); −inf when it violates a hard factor
  std::string violation;            // "" or which factor the decoded state violates
  BpStatus status;
};

// Loopy belief propagation (exact on trees). `config`: schedule, iterations, damping,
// tolerance, temperature as in a --config file's `bp { }` block; unset fields take the
// documented defaults. dgm::Error (kBadValue) on settings out of range.
BpMarginalsResult bp_marginals(const Model& model,
                               const proto::BeliefPropagationConfig& config = {});
BpMapResult bp_map(const Model& model, const proto::BeliefPropagationConfig& config = {});

}  // namespace dgm
