#include "learning/datasets/shuffle.h"

#include <algorithm>
#include <numeric>

#include "engine/random.h"
#include "learning/datasets/streams.h"

namespace dgm::learning::datasets {

std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint64_t part) {
  const engine::CounterRng rng(seed, shuffle_stream(part));
  std::vector<std::uint64_t> keys(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const auto r = rng.bits(static_cast<std::uint64_t>(i));
    keys[i] = (static_cast<std::uint64_t>(r[0]) << 32) | r[1];
  }
  std::vector<std::int64_t> order(static_cast<std::size_t>(n));
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::int64_t a, std::int64_t b) {
    return keys[a] != keys[b] ? keys[a] < keys[b] : a < b;
  });
  return order;
}

}  // namespace dgm::learning::datasets
