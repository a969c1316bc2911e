#include "inference/gradient/sum_tree.h"

#include <algorithm>

namespace dgm::inference {

void SumTree::resize(std::int64_t size) {
  size_ = size;
  capacity_ = 1;
  while (capacity_ < size) capacity_ *= 2;
  nodes_.assign(static_cast<std::size_t>(2 * capacity_), 0.0);
}

void SumTree::assign(std::span<const double> weights) {
  std::fill(nodes_.begin(), nodes_.end(), 0.0);
  std::copy(weights.begin(), weights.begin() + size_, nodes_.begin() + capacity_);
  recompute();
}

void SumTree::recompute() {
  for (std::int64_t k = capacity_ - 1; k >= 1; --k)
    nodes_[static_cast<std::size_t>(k)] =
        nodes_[static_cast<std::size_t>(2 * k)] + nodes_[static_cast<std::size_t>(2 * k + 1)];
}

std::int64_t SumTree::sample(double u) const {
  double target = u * total();
  std::int64_t k = 1;
  while (k < capacity_) {
    const double left = nodes_[static_cast<std::size_t>(2 * k)];
    const double right = nodes_[static_cast<std::size_t>(2 * k + 1)];
    if (left > 0.0 && (target < left || !(right > 0.0))) {
      k = 2 * k;
    } else {
      target -= left;
      k = 2 * k + 1;
    }
  }
  return k - capacity_;
}

}  // namespace dgm::inference
