#pragma once
// The affine view of a binary pairwise model, the fast path of the Gibbs samplers
// (inference/gibbs) and of the gradient samplers' flip scores (inference/gradient). When every
// variable is binary and every factor is unary or pairwise (dense tables, log-odds,
// spin/Ising, Potts, bipartite weights), the conditional log-odds of x_v = 1 is affine in the
// neighbours' states:
//   Δ_v(x) = θ-sum(x_v = 1) − θ-sum(x_v = 0) = b_v + Σ_{j ∈ N(v)} W_vj·x_j,
// so one update is a dot product over v's neighbours, with no per-factor dispatch.
//
// b_v sums the log-odds of v's unary factors and the bias parts of its pairwise factors, W_vj
// the couplings of the factors on the pair (v, j); what one factor contributes is derived from
// its parametrisation in factors/binary_affine.h. The couplings are laid out along the IR's
// interaction graph (Graph::neighbour_offsets / neighbours), so no index of our own.
//
// Rows: log_odds reads (b_v, W_v·) from a table of distinct rows, one entry per distinct
// (bias, couplings in neighbour order), and each variable names its row. Models with tied
// parameters (a lattice with one coupling, a Potts grid) have a handful of rows, which stay in
// L1, so an update streams only the neighbour indices instead of a double per neighbour too
// (measured: a fifth of the time of a binary update on a 512×512 Ising lattice). Rows are
// compared bit for bit and summed in the same order, so Δ is the same number either way.
//
// Precision: double. The Gibbs decision u ≤ σ(Δ) is the generic path's (inference/sampling/draw.h),
// and Δ here differs from the generic path's sum by rounding only (~1e−16 relative), so with
// the same uniforms both paths give the same chains except when a uniform lands within
// rounding of the threshold (probability ~1e−15 per update). Float couplings would save
// memory bandwidth but would make such disagreements routine (~1e−7 per update).
#include <cstdint>
#include <span>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::inference {

class BinaryPairwise {
 public:
  // Whether the model's structure fits the fast path: every variable binary, every block
  // unary or pairwise with a dense-table, log-odds, spin or Potts parametrisation.
  static bool eligible(const engine::Graph& graph);

  // Requires eligible(*model.graph). Reads the numbers (see refresh). The model must outlive
  // this object.
  explicit BinaryPairwise(const engine::CompiledModel& model);

  // Re-reads the parameters. Returns finite(): false when some number is not finite (a hard
  // zero, which the affine form cannot represent); the fast path must not be used then.
  bool refresh();
  bool finite() const { return finite_; }

  // Δ_v(x) = log p(x_v = 1 | x_{−v}) − log p(x_v = 0 | x_{−v}).
  double log_odds(std::int32_t v, std::span<const std::int32_t> x) const {
    const std::int32_t r = row_[v];
    double sum = row_bias_[r];
    const double* w = row_coupling_.data() + row_first_[r];
    const std::int32_t* neighbour = neighbours_ + offsets_[v];
    const std::int64_t degree = offsets_[v + 1] - offsets_[v];
    for (std::int64_t k = 0; k < degree; ++k) sum += w[k] * x[neighbour[k]];
    return sum;
  }

  // Δ of the sites v, v + s, …, v + (count − 1)·s into out[0 .. count) when each one's
  // neighbours are v's shifted by its distance from v (a translation run,
  // inference/gibbs/translation_runs.h): the neighbours' states are read by arithmetic from v's
  // list, not from each site's. Stops before the first site whose row (numbers) differs from
  // v's and returns how many it wrote (at least 1). The same sums in the same order as
  // log_odds, so the same numbers bit for bit.
  std::int64_t log_odds_run(std::int32_t v, std::int32_t stride, std::int64_t count,
                            std::span<const std::int32_t> x, double* out) const {
    const std::int32_t r = row_[v];
    std::int64_t n = 1;
    while (n < count && row_[v + n * stride] == r) ++n;
    const double bias = row_bias_[r];
    for (std::int64_t t = 0; t < n; ++t) out[t] = bias;
    const double* w = row_coupling_.data() + row_first_[r];
    const std::int32_t* neighbour = neighbours_ + offsets_[v];
    const std::int64_t degree = offsets_[v + 1] - offsets_[v];
    for (std::int64_t k = 0; k < degree; ++k) {
      const std::int32_t* state = x.data() + neighbour[k];
      const double weight = w[k];
      for (std::int64_t t = 0; t < n; ++t) out[t] += weight * state[t * stride];
    }
    return n;
  }

  // The affine form, for tests: b_v per variable, and W_vj at the position of j in
  // Graph::neighbours_of(v).
  std::span<const double> bias() const { return bias_; }
  std::span<const double> coupling() const { return coupling_; }

 private:
  const engine::CompiledModel* model_;
  const std::int64_t* offsets_;     // Graph::neighbour_offsets
  const std::int32_t* neighbours_;  // Graph::neighbours
  std::vector<double> bias_;        // per variable
  std::vector<double> coupling_;    // aligned with Graph::neighbours
  bool finite_ = false;
  // The distinct rows: row r has bias row_bias_[r] and couplings row_coupling_[row_first_[r] ..
  // + degree); variable v uses row row_[v].
  std::vector<std::int32_t> row_;
  std::vector<double> row_bias_;
  std::vector<std::int64_t> row_first_;
  std::vector<double> row_coupling_;

  void build_rows();
};

}  // namespace dgm::inference
