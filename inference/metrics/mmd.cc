#include "inference/metrics/mmd.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <bit>
#include <cmath>
#include <string>

#include "engine/error.h"

namespace dgm::inference {

namespace {

// One set of states, bit-packed when every value is 0 or 1.
struct StateSet {
  std::span<const std::int32_t> states;
  std::int64_t rows = 0;
  std::int32_t num_vars = 0;
  bool binary = false;
  std::int64_t words = 0;
  std::span<const std::uint64_t> packed;  // rows × words, when binary
};

void check_set(std::span<const std::int32_t> states, std::int64_t rows, std::int32_t num_vars,
               const char* which) {
  if (num_vars < 1)
    throw Error("MMD: the states need at least one variable (got " + std::to_string(num_vars) +
                ")");
  if (rows < 2)
    throw Error(std::string("MMD: the ") + which + " set needs at least 2 rows (got " +
                std::to_string(rows) + "); the unbiased estimate averages over pairs");
  if (static_cast<std::int64_t>(states.size()) != rows * num_vars)
    throw Error(std::string("MMD: the ") + which + " set has " + std::to_string(states.size()) +
                " values for " + std::to_string(rows) + " rows of " + std::to_string(num_vars) +
                " variables");
  for (std::size_t i = 0; i < states.size(); ++i)
    if (states[i] < 0)
      throw Error(std::string("MMD: the ") + which + " set has a negative state (" +
                  std::to_string(states[i]) + " at row " + std::to_string(i / num_vars) +
                  ", variable " + std::to_string(i % num_vars) + ")");
}

bool all_binary(std::span<const std::int32_t> states) {
  for (const std::int32_t x : states)
    if (x > 1) return false;
  return true;
}

std::vector<std::uint64_t> pack(std::span<const std::int32_t> states, std::int64_t rows,
                                std::int32_t num_vars) {
  const std::int64_t words = (num_vars + 63) / 64;
  std::vector<std::uint64_t> packed(static_cast<std::size_t>(rows * words), 0);
  for (std::int64_t r = 0; r < rows; ++r)
    for (std::int32_t v = 0; v < num_vars; ++v)
      if (states[static_cast<std::size_t>(r * num_vars + v)] != 0)
        packed[static_cast<std::size_t>(r * words + v / 64)] |= std::uint64_t{1} << (v % 64);
  return packed;
}

// `storage` keeps the packed rows when the states are binary and `pack_if_binary`.
StateSet make_set(std::span<const std::int32_t> states, std::int64_t rows, std::int32_t num_vars,
                  bool pack_if_binary, std::vector<std::uint64_t>& storage) {
  StateSet s{states, rows, num_vars, false, (num_vars + 63) / 64, {}};
  if (pack_if_binary && all_binary(states)) {
    storage = pack(states, rows, num_vars);
    s.binary = true;
    s.packed = storage;
  }
  return s;
}

std::vector<double> kernel_table(std::int32_t num_vars) {
  std::vector<double> k(static_cast<std::size_t>(num_vars) + 1);
  for (std::int32_t h = 0; h <= num_vars; ++h)
    k[h] = std::exp(-static_cast<double>(h) / static_cast<double>(num_vars));
  return k;
}

std::int32_t hamming_packed(const std::uint64_t* x, const std::uint64_t* y, std::int64_t words) {
  std::int32_t h = 0;
  for (std::int64_t w = 0; w < words; ++w) h += std::popcount(x[w] ^ y[w]);
  return h;
}

std::int32_t hamming_generic(const std::int32_t* x, const std::int32_t* y, std::int32_t n) {
  std::int32_t h = 0;
  for (std::int32_t v = 0; v < n; ++v) h += x[v] != y[v];
  return h;
}

// Σ_i Σ_{j ∈ J(i)} k(a_i, b_j), J(i) = every row of b, or the rows after i when `self` (a is
// b; the sum over i < j). Row sums are computed in parallel into their own slots and added in
// row order, so the result does not depend on the number of threads.
double kernel_sum(const StateSet& a, const StateSet& b, const std::vector<double>& kernel,
                  bool self) {
  std::vector<double> row_sums(static_cast<std::size_t>(a.rows), 0.0);
  const bool packed = a.binary && b.binary;  // else the generic path, for both sides
  tbb::parallel_for(tbb::blocked_range<std::int64_t>(0, a.rows), [&](const auto& range) {
    for (std::int64_t i = range.begin(); i != range.end(); ++i) {
      double sum = 0.0;
      for (std::int64_t j = self ? i + 1 : 0; j < b.rows; ++j) {
        const std::int32_t h = packed
                                   ? hamming_packed(a.packed.data() + i * a.words,
                                                    b.packed.data() + j * b.words, a.words)
                                   : hamming_generic(a.states.data() + i * a.num_vars,
                                                     b.states.data() + j * b.num_vars, a.num_vars);
        sum += kernel[h];
      }
      row_sums[i] = sum;
    }
  });
  double total = 0.0;
  for (const double s : row_sums) total += s;
  return total;
}

// MMD² from the off-diagonal self sums (Σ_{i≠j}, so twice the sums over i < j) and the cross
// sum. The V-statistic adds the diagonals, k(x, x) = 1.
Mmd combine(double self_a, std::int64_t m, double self_b, std::int64_t n, double cross) {
  const double dm = static_cast<double>(m), dn = static_cast<double>(n);
  const double mean_cross = cross / (dm * dn);
  Mmd out;
  out.unbiased = self_a / (dm * (dm - 1)) + self_b / (dn * (dn - 1)) - 2 * mean_cross;
  // Rounding may leave −1e−17 where the V-statistic is 0 (a set against itself).
  out.biased =
      std::max(0.0, (self_a + dm) / (dm * dm) + (self_b + dn) / (dn * dn) - 2 * mean_cross);
  return out;
}

}  // namespace

Mmd hamming_mmd(std::span<const std::int32_t> a, std::int64_t rows_a,
                std::span<const std::int32_t> b, std::int64_t rows_b, std::int32_t num_vars) {
  check_set(a, rows_a, num_vars, "first");
  check_set(b, rows_b, num_vars, "second");
  const std::vector<double> kernel = kernel_table(num_vars);
  std::vector<std::uint64_t> packed_a, packed_b;
  const StateSet sa = make_set(a, rows_a, num_vars, true, packed_a);
  const StateSet sb = make_set(b, rows_b, num_vars, true, packed_b);
  const double self_a = 2 * kernel_sum(sa, sa, kernel, true);
  const double self_b = 2 * kernel_sum(sb, sb, kernel, true);
  return combine(self_a, rows_a, self_b, rows_b, kernel_sum(sa, sb, kernel, false));
}

HammingMmdReference::HammingMmdReference(std::span<const std::int32_t> reference, std::int64_t rows,
                                         std::int32_t num_vars)
    : rows_(rows), num_vars_(num_vars) {
  check_set(reference, rows, num_vars, "reference");
  states_.assign(reference.begin(), reference.end());
  kernel_ = kernel_table(num_vars);
  const StateSet set = make_set(states_, rows, num_vars, true, packed_);
  binary_ = set.binary;
  self_sum_ = 2 * kernel_sum(set, set, kernel_, true);
}

Mmd HammingMmdReference::against(std::span<const std::int32_t> samples, std::int64_t rows) const {
  check_set(samples, rows, num_vars_, "sample");
  // Samples are packed only when the reference is: the packed path needs both sides.
  std::vector<std::uint64_t> storage;
  const StateSet set = make_set(samples, rows, num_vars_, binary_, storage);
  const StateSet ref{states_, rows_, num_vars_, binary_, (num_vars_ + 63) / 64, packed_};
  const double self = 2 * kernel_sum(set, set, kernel_, true);
  return combine(self_sum_, rows_, self, rows, kernel_sum(ref, set, kernel_, false));
}

}  // namespace dgm::inference
