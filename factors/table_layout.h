#pragma once
// The one place where table orders are defined and converted.
//
// dgm stores every table with the LAST variable of the scope fastest (row-major, as C arrays,
// NumPy and the UAI format do): for cards (K_0, ..., K_{k-1}) the entry of configuration
// (x_0, ..., x_{k-1}) is at Σ_j x_j·stride_j with stride_{k-1} = 1 and
// stride_j = stride_{j+1}·K_{j+1}. libDAI and OpenGM put the FIRST variable fastest; convert
// with first_fastest_to_last_fastest.
#include <cstdint>
#include <span>
#include <vector>

namespace dgm::factors {

// Number of entries of a table with these cardinalities, or -1 if it exceeds `limit`.
std::int64_t table_size(std::span<const std::int32_t> cards, std::int64_t limit = INT64_MAX);

// Row-major strides (last variable fastest).
std::vector<std::int64_t> row_major_strides(std::span<const std::int32_t> cards);

// Flat index of a configuration (last variable fastest).
inline std::int64_t flat_index(std::span<const std::int32_t> cards,
                               std::span<const std::int32_t> states) {
  std::int64_t index = 0;
  for (std::size_t j = 0; j < cards.size(); ++j) index = index * cards[j] + states[j];
  return index;
}

// Inverse of flat_index: writes the configuration of `index` into `states`.
inline void unravel_index(std::span<const std::int32_t> cards, std::int64_t index,
                          std::span<std::int32_t> states) {
  for (std::size_t j = cards.size(); j-- > 0;) {
    states[j] = static_cast<std::int32_t>(index % cards[j]);
    index /= cards[j];
  }
}

// Reorders the axes of a row-major table: the result's axis a is the input's axis perm[a].
// `cards` are the input's cardinalities.
std::vector<double> permute_axes(std::span<const double> table, std::span<const std::int32_t> cards,
                                 std::span<const int> perm);

// Converts a table stored first-variable-fastest (libDAI, OpenGM) to dgm's order, and back.
std::vector<double> first_fastest_to_last_fastest(std::span<const double> table,
                                                  std::span<const std::int32_t> cards);
std::vector<double> last_fastest_to_first_fastest(std::span<const double> table,
                                                  std::span<const std::int32_t> cards);

}  // namespace dgm::factors
