#include "factors/table_layout.h"

#include <gtest/gtest.h>

#include <numeric>

namespace dgm::factors {
namespace {

TEST(TableLayout, LastVariableFastest) {
  const std::vector<std::int32_t> cards = {2, 3, 4};
  EXPECT_EQ(row_major_strides(cards), (std::vector<std::int64_t>{12, 4, 1}));
  const std::vector<std::int32_t> x = {1, 2, 3};
  EXPECT_EQ(flat_index(cards, x), 1 * 12 + 2 * 4 + 3);
  std::vector<std::int32_t> back(3);
  for (std::int64_t i = 0; i < 24; ++i) {
    unravel_index(cards, i, back);
    EXPECT_EQ(flat_index(cards, back), i);
  }
}

TEST(TableLayout, TableSizeOverflowAndLimit) {
  const std::vector<std::int32_t> cards = {65536, 65536, 65536, 65536};
  EXPECT_EQ(table_size(cards), -1);
  const std::vector<std::int32_t> small = {2, 2, 2};
  EXPECT_EQ(table_size(small), 8);
  EXPECT_EQ(table_size(small, 7), -1);
}

TEST(TableLayout, PermuteAxesMatchesIndexArithmetic) {
  const std::vector<std::int32_t> cards = {2, 3, 4};
  std::vector<double> t(24);
  std::iota(t.begin(), t.end(), 0.0);
  const std::vector<int> perm = {2, 0, 1};  // out axes: (x2, x0, x1)
  const auto p = permute_axes(t, cards, perm);
  const std::vector<std::int32_t> out_cards = {4, 2, 3};
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) {
        const std::vector<std::int32_t> in = {a, b, c}, out = {c, a, b};
        EXPECT_EQ(p[flat_index(out_cards, out)], t[flat_index(cards, in)]);
      }
}

TEST(TableLayout, FirstFastestRoundTrip) {
  // A libDAI-style table over (x0: 2 states, x1: 3 states): entry x0 + 2·x1.
  const std::vector<std::int32_t> cards = {2, 3};
  std::vector<double> first(6);
  for (int x0 = 0; x0 < 2; ++x0)
    for (int x1 = 0; x1 < 3; ++x1) first[x0 + 2 * x1] = 10 * x0 + x1;
  const auto last = first_fastest_to_last_fastest(first, cards);
  for (int x0 = 0; x0 < 2; ++x0)
    for (int x1 = 0; x1 < 3; ++x1) EXPECT_EQ(last[x0 * 3 + x1], 10 * x0 + x1);
  EXPECT_EQ(last_fastest_to_first_fastest(last, cards), first);
}

}  // namespace
}  // namespace dgm::factors
