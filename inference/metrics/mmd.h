#pragma once
// The maximum mean discrepancy between two sets of discrete states (Gretton, Borgwardt, Rasch,
// Schölkopf & Smola 2012, "A kernel two-sample test", JMLR 13), with the Hamming kernel
//
//   k(x, y) = exp(−Hamming(x, y) / D),   D = the number of variables,
//
// the kernel of the RBM sampling benchmarks of Gibbs-with-gradients (Grathwohl et al. 2021)
// and discrete Langevin (Zhang et al. 2022). MMD² = E k(x,x') + E k(y,y') − 2 E k(x,y) is
// zero exactly when the two distributions agree (the kernel is characteristic on a finite set).
//
// Cost: O(rows_a · rows_b · D) for the cross term; binary states are bit-packed so that one
// Hamming distance is D/64 popcounts. Rows are spread over threads; every sum is reduced in a
// fixed order, so results never depend on the number of threads.
#include <cstdint>
#include <span>
#include <vector>

namespace dgm::inference {

// MMD² estimates. `biased` is the V-statistic (every pair, diagonals included): ≥ 0, and the
// squared MMD between the two empirical distributions. `unbiased` is the U-statistic
// (Gretton et al., Lemma 6: diagonals left out of the self terms): unbiased for the
// population MMD², so it scatters around 0 — and may be negative — when both sets come from one
// distribution.
struct Mmd {
  double biased = 0;
  double unbiased = 0;
};

// States are row-major int32, rows × num_vars, each value a state ≥ 0. Throws dgm::Error when
// num_vars < 1, a set has fewer than 2 rows (the U-statistic needs pairs), a span's size is
// not rows × num_vars or a value is negative.
Mmd hamming_mmd(std::span<const std::int32_t> a, std::int64_t rows_a,
                std::span<const std::int32_t> b, std::int64_t rows_b, std::int32_t num_vars);

// A reference set (exact samples, a long run) prepared once and compared with many sample sets:
// its self term Σ k(x, x') is computed in the constructor, and binary states are kept
// bit-packed. against(samples) then costs the cross term and the samples' own self term only.
// Same errors as hamming_mmd (the reference's in the constructor).
class HammingMmdReference {
 public:
  HammingMmdReference(std::span<const std::int32_t> reference, std::int64_t rows,
                      std::int32_t num_vars);
  Mmd against(std::span<const std::int32_t> samples, std::int64_t rows) const;
  std::int64_t rows() const { return rows_; }
  std::int32_t num_vars() const { return num_vars_; }

 private:
  std::int64_t rows_ = 0;
  std::int32_t num_vars_ = 0;
  std::vector<std::int32_t> states_;  // row-major, for the generic path
  bool binary_ = false;               // every value 0 or 1: `packed_` holds the rows
  std::vector<std::uint64_t> packed_;
  std::vector<double> kernel_;  // kernel_[h] = exp(−h / D), h = 0..D
  double self_sum_ = 0;         // Σ_{i≠j} k(x_i, x_j) over the reference
};

}  // namespace dgm::inference
