#pragma once
// The generic single-site conditional, for every factor kind: what Gibbs sampling draws from
// (inference/gibbs) and the gradient samplers' flip scores are differences of
// (inference/gradient):
//   log p(x_v = k | x_{−v}) = Σ_{f ∋ v} θ_f(x_f with x_v = k) + const,   k = 0..K_v − 1,
// computed from the IR's variable → factor adjacency (Graph::factors_of / slots_of). Each
// factor's term is its kind's (factors/potential.h, logical.h, enumeration.h).
//
// Dispatch is per factor through a table built once: per block (Graph::block_index) a small
// descriptor (how to read the numbers, table strides, an index of enumeration rows), so the
// update loop does no search and no allocation. Parameters are read from the model's Params at
// every call, so a learner's updates are seen at once.
//
// The caller must keep the model alive and unmoved while the Conditional is in use.
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::inference {

class Conditional {
 public:
  explicit Conditional(const engine::CompiledModel& model);

  // Writes out[k] = Σ_{f ∋ v} θ_f(x_f with x_v = k) for k < K_v (−∞ for impossible states).
  // `x` is a full state (x[v] itself is not read); `out` has at least K_v entries.
  void log_probabilities(std::int32_t v, std::span<const std::int32_t> x,
                         std::span<double> out) const;

  // The largest cardinality: the size of scratch buffers for log_probabilities.
  std::int32_t max_cardinality() const { return max_cardinality_; }

 private:
  // How a block's factors contribute, chosen once per block.
  enum class Eval : std::uint8_t {
    kUnaryTable,   // arity 1, dense table
    kPairTable,    // arity 2, dense table
    kTable,        // arity ≥ 3, dense table (strides)
    kLogOdds,      // binary, w·Π x_j (unary log-odds, bipartite weights)
    kSpin,         // binary, J·Π s_j (unary field, Ising)
    kPotts,        // J·[x_a = x_b]
    kEnumeration,  // listed rows; dense row index, sorted keys, or a scan
    kOr,
    kAnd,
  };
  struct BlockEval {
    Eval eval = Eval::kTable;
    std::int64_t first_factor = 0;
    bool weighted = false;  // reads parameters (false: logical, unweighted enumeration)
    std::int64_t param_offset = 0;
    std::int64_t param_stride = 0;
    std::int32_t second_card = 0;     // kPairTable: K of scope position 1
    std::int64_t strides_offset = 0;  // kTable, kEnumeration: into strides_ (one per position)
    // kEnumeration:
    std::int32_t arity = 0;
    std::int64_t config_offset = 0;
    std::int64_t num_configs = 0;
    std::int64_t dense_offset = -1;   // into enum_dense_ (table-sized row index, −1 = unlisted)
    std::int64_t sorted_offset = -1;  // into enum_sorted_ (num_configs (key, row) pairs)
  };

  // The flat index of the factor's configuration with x_v = 0, and its step per state of v
  // (row-major strides): configuration k of v is at base + k·step.
  std::pair<std::int64_t, std::int64_t> flat_index_line(const BlockEval& e,
                                                        std::span<const std::int32_t> scope,
                                                        std::int32_t slot,
                                                        std::span<const std::int32_t> x) const;
  void add_enumeration(const BlockEval& e, const double* w, std::span<const std::int32_t> scope,
                       std::int32_t slot, std::span<const std::int32_t> x,
                       std::span<double> out) const;

  const engine::CompiledModel* model_;
  const engine::Graph* graph_;
  std::vector<BlockEval> blocks_;  // per block of the Graph (Graph::block_index)
  std::vector<std::int64_t> strides_;
  std::vector<std::int32_t> enum_dense_;
  std::vector<std::pair<std::int64_t, std::int32_t>> enum_sorted_;
  std::int32_t max_cardinality_ = 0;
};

}  // namespace dgm::inference
