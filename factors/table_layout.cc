#include "factors/table_layout.h"

#include <cassert>

namespace dgm::factors {

std::int64_t table_size(std::span<const std::int32_t> cards, std::int64_t limit) {
  std::int64_t size = 1;
  for (std::int32_t k : cards) {
    if (k <= 0 || size > limit / k) return -1;
    size *= k;
  }
  return size <= limit ? size : -1;
}

std::vector<std::int64_t> row_major_strides(std::span<const std::int32_t> cards) {
  std::vector<std::int64_t> strides(cards.size());
  std::int64_t stride = 1;
  for (std::size_t j = cards.size(); j-- > 0;) {
    strides[j] = stride;
    stride *= cards[j];
  }
  return strides;
}

std::vector<double> permute_axes(std::span<const double> table, std::span<const std::int32_t> cards,
                                 std::span<const int> perm) {
  const std::size_t k = cards.size();
  assert(perm.size() == k);
  const std::vector<std::int64_t> in_strides = row_major_strides(cards);
  std::vector<std::int32_t> out_cards(k);
  for (std::size_t a = 0; a < k; ++a) out_cards[a] = cards[perm[a]];
  std::vector<double> out(table.size());
  std::vector<std::int32_t> states(k, 0);  // configuration in output axis order
  for (std::size_t o = 0; o < out.size(); ++o) {
    std::int64_t in = 0;
    for (std::size_t a = 0; a < k; ++a) in += states[a] * in_strides[perm[a]];
    out[o] = table[in];
    for (std::size_t a = k; a-- > 0;) {  // odometer, last axis fastest
      if (++states[a] < out_cards[a]) break;
      states[a] = 0;
    }
  }
  return out;
}

namespace {
// Reversing the axes maps "first fastest" to "last fastest" and back.
std::vector<double> reverse_axes(std::span<const double> table,
                                 std::span<const std::int32_t> cards_in_storage_order) {
  const int k = static_cast<int>(cards_in_storage_order.size());
  std::vector<int> perm(k);
  for (int a = 0; a < k; ++a) perm[a] = k - 1 - a;
  return permute_axes(table, cards_in_storage_order, perm);
}
}  // namespace

std::vector<double> first_fastest_to_last_fastest(std::span<const double> table,
                                                  std::span<const std::int32_t> cards) {
  // Read as row-major, a first-fastest table has its axes reversed.
  std::vector<std::int32_t> reversed(cards.rbegin(), cards.rend());
  return reverse_axes(table, reversed);
}

std::vector<double> last_fastest_to_first_fastest(std::span<const double> table,
                                                  std::span<const std::int32_t> cards) {
  return reverse_axes(table, cards);
}

}  // namespace dgm::factors
