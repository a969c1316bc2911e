#pragma once
// A sum tree (complete binary tree of partial sums over non-negative weights) that samples an
// index with probability w_i / Σ w and changes one weight in O(log n): the proposal structure of
// Gibbs-with-gradients (Grathwohl et al. 2021, "Oops I Took A Gradient"), whose proposal is a
// softmax over every variable and which changes only the weights of the flipped variable and its
// neighbours per step.
//
// Layout: implicit heap, node 1 the root, node k's children 2k and 2k + 1, the leaves at
// [capacity, 2·capacity) with capacity the smallest power of two ≥ n (padding leaves are 0).
// Every internal node is *recomputed* as the sum of its two children rather than adjusted by a
// difference, so the tree is a function of its leaves alone: setting a leaf back to its old
// value restores every node bit for bit (the Metropolis–Hastings undo relies on this), and no
// rounding error accumulates however many updates are made. A Fenwick tree would need
// difference updates and drifts.
#include <cstdint>
#include <span>
#include <vector>

namespace dgm::inference {

class SumTree {
 public:
  SumTree() = default;
  explicit SumTree(std::int64_t size) { resize(size); }

  // n leaves, all 0.
  void resize(std::int64_t size);
  std::int64_t size() const { return size_; }

  // Sets every leaf from `weights` (size() entries, each ≥ 0 and finite) and recomputes every
  // node: O(n).
  void assign(std::span<const double> weights);

  // Sets leaf i to w (≥ 0, finite) and recomputes its ancestors: O(log n).
  void set(std::int64_t i, double w) {
    std::int64_t k = capacity_ + i;
    nodes_[static_cast<std::size_t>(k)] = w;
    for (k >>= 1; k >= 1; k >>= 1)
      nodes_[static_cast<std::size_t>(k)] =
          nodes_[static_cast<std::size_t>(2 * k)] + nodes_[static_cast<std::size_t>(2 * k + 1)];
  }

  // Leaf access without updating the ancestors, for bulk changes: write every leaf that
  // changes, then call recompute() (O(n)).
  std::span<double> leaves() {
    return {nodes_.data() + capacity_, static_cast<std::size_t>(size_)};
  }
  void recompute();

  double leaf(std::int64_t i) const { return nodes_[static_cast<std::size_t>(capacity_ + i)]; }
  double total() const { return nodes_.size() > 1 ? nodes_[1] : 0.0; }

  // The leaf i with Σ_{j<i} w_j ≤ u·total < Σ_{j≤i} w_j, for u ∈ [0, 1). Requires total() > 0.
  // Never returns a leaf of weight 0: at every node the descent enters only a child of positive
  // sum, so rounding of u·total near a boundary can shift the choice to a neighbouring leaf of
  // positive weight but never onto an impossible one.
  std::int64_t sample(double u) const;

 private:
  std::int64_t size_ = 0;
  std::int64_t capacity_ = 1;
  std::vector<double> nodes_;  // 2·capacity_; nodes_[0] unused
};

}  // namespace dgm::inference
