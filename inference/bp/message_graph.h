#pragma once
// The static side of belief propagation for one compiled model: where every message lives,
// which kernel updates which factors, and the numbers the kernels read (unary vectors, factor
// tables, couplings), copied out of Params once. Built once and shared read-only by every BP
// run and every PMP sample; rebuild it after changing the model's parameters.
//
// Edges are the positions of the IR's scope arrays: edge e = Graph::factor_offsets[f] + slot
// is the pair (factor f, its slot-th variable), so no edge table is stored. Unary factors
// have no messages: they are summed, with the evidence, into one unary vector per variable.
//
// Two message representations:
//   * kFull: a log-domain vector of K entries per edge, normalised to max 0; −inf (a hard
//     zero) is kept exactly. Every factor kind works in this mode.
//   * kBinaryRatio: one log-ratio m(1) − m(0) per edge. Chosen when every variable is binary
//     and every non-unary factor is a binary pairwise factor (pairwise, ising, 2×2 tables,
//     bipartite) with finite log-potentials: Ising models, spin glasses, RBMs. Each such factor
//     is rewritten exactly as θ00 + a·x_i + b·x_j + w·x_i·x_j, the unary parts moved into the
//     variables' unaries, so its messages need only the coupling w: half the memory traffic
//     and a few instructions per message (the message is derived in factor_updates.cc; the
//     rewrite of each parametrisation is factors/binary_affine.h).
#include <cstdint>
#include <memory>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::inference::bp {

enum class MessageMode { kFull, kBinaryRatio };

// How the factors of one block are updated.
enum class UpdateKind {
  kCoupling,           // binary ratio mode, w·x_i·x_j, scope from the IR
  kBipartiteCoupling,  // binary ratio mode, a bipartite block: row by row over the weight matrix
  kTable,              // full mode, dense table (pairwise K×K and higher order)
  kEnumeration,        // full mode, listed configurations only
  kOr,                 // full mode, child = OR(parents)
  kAnd,                // full mode, child = AND(parents)
};

struct UpdateBlock {
  UpdateKind kind = UpdateKind::kTable;
  std::int32_t block = -1;  // index in Graph::blocks
  std::int64_t first_factor = 0;
  std::int64_t num_factors = 0;
  // Numbers of factor r (0-based in the block): couplings / tables from data_offset +
  // r·data_stride; stride 0 when all factors share them. For kEnumeration these are the
  // configurations' log-potentials (empty when has_weights is false).
  std::int64_t data_offset = 0;
  std::int64_t data_stride = 0;
  std::int64_t data_size = 0;  // entries per factor
  bool has_weights = true;
  std::vector<std::int32_t> cards;  // scope cardinalities (tables and enumeration)
};

struct MessageGraph {
  std::shared_ptr<const engine::Graph> graph;
  MessageMode mode = MessageMode::kFull;

  // Per variable: entries of its unary and belief vectors (K in full mode, 1 in ratio mode).
  std::vector<std::int64_t> var_offset;  // size N + 1
  // Per edge (position in Graph::factor_vars): where its message starts; unary factors' edges
  // have no entries.
  std::vector<std::int64_t> msg_offset;  // size E + 1
  // Variable → edges of its non-unary factors (CSR), in the order of Graph::var_factors.
  std::vector<std::int64_t> var_edge_offsets;  // size N + 1
  std::vector<std::int64_t> var_edges;

  // Unary log-potentials with the evidence (other states −inf): full mode normalised to max
  // 0, ratio mode u(1) − u(0) (±inf when clamped). Their constants are in log_constant.
  std::vector<double> unary;
  // The model's constant plus the constants removed from unaries and rewritten factors, so
  // that the Bethe log Z is the model's.
  double log_constant = 0.0;
  // Edges and factors that carry messages.
  std::int64_t num_message_edges = 0;
  std::int64_t num_message_factors = 0;

  // Ratio mode: the messages BP starts from, one per entry. A rewritten factor's message to x_i
  // no longer carries the unary part a·x_i it moved into x_i's unary, so the start is −a
  // instead of 0: then every iteration's beliefs equal those of the full-vector path started
  // from 0 (the same trajectory, not only the same fixed points). Empty in full mode (zeros).
  std::vector<double> initial_messages;

  std::vector<UpdateBlock> updates;
  std::vector<double> couplings;  // kCoupling, kBipartiteCoupling
  std::vector<double> tables;     // kTable, kEnumeration
  // Full mode: Σ over the message-carrying factors of the range (max − min) of their finite
  // log-potentials. With the unaries' ranges it bounds every finite max-marginal difference
  // of the model, hence every finite message entry on a tree (BeliefPropagation's floor).
  double factor_range = 0.0;

  std::int32_t num_variables() const { return static_cast<std::int32_t>(var_offset.size()) - 1; }
  std::int64_t num_entries() const { return msg_offset.back(); }
  std::int64_t width(std::int32_t v) const { return var_offset[v + 1] - var_offset[v]; }
};

// Builds the message graph of `model` (its parameters and evidence at this moment). Ratio
// mode is used where it applies unless `generic_only`. Throws dgm::Error naming the variable
// when a variable has no possible state (its unaries and evidence make every state −inf).
std::shared_ptr<const MessageGraph> build_message_graph(const engine::CompiledModel& model,
                                                        bool generic_only = false);

}  // namespace dgm::inference::bp
