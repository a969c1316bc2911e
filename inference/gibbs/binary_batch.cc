#include "inference/gibbs/binary_batch.h"

#include <algorithm>
#include <cmath>

#include "engine/vector_kernels.h"
#include "inference/sampling/draw.h"

namespace dgm::inference {

namespace {

// Sites per batch: the buffers stay in L1, and the per-batch overhead is spread thin.
constexpr std::int64_t kBatch = 64;

// Where the estimate decides: |Δ| within its range, and u·(1 + e^{−Δ}) at least this far from
// the threshold 1, so that its error (< 3e−7 relative) and that of the exact computation (a
// few ulps) cannot change the side. Elsewhere (probability ~1e−5 per update, or an extreme Δ)
// draw_binary decides, so the decisions are exactly draw_binary's.
constexpr double kMaxLogOdds = 700.0;
constexpr double kMargin = 0x1p-16;

}  // namespace

std::int64_t update_binary_batch(const BinaryPairwise& pairwise,
                                 std::span<const std::int32_t> sites,
                                 std::span<const std::int32_t> runs,
                                 std::span<const std::int64_t> positions, std::span<std::int32_t> x,
                                 SiteUniforms& uniforms) {
  const auto n = static_cast<std::int64_t>(sites.size());
  std::int64_t changed = 0;
  double log_odds[kBatch], u[kBatch], q[kBatch];
  for (std::int64_t first = 0; first < n; first += kBatch) {
    const std::int64_t m = std::min(kBatch, n - first);
    const std::int32_t* batch = sites.data() + first;
    if (runs.empty()) {
      for (std::int64_t k = 0; k < m; ++k) log_odds[k] = pairwise.log_odds(batch[k], x);
    } else {
      const std::int32_t* run = runs.data() + first;
      for (std::int64_t k = 0; k < m;) {
        const std::int64_t count = std::min<std::int64_t>(run[k], m - k);
        if (count == 1) {
          log_odds[k] = pairwise.log_odds(batch[k], x);
          ++k;
        } else {
          k += pairwise.log_odds_run(batch[k], batch[k + 1] - batch[k], count, x, log_odds + k);
        }
      }
    }
    // Positions increase along a class, so equal spans mean consecutive positions (no
    // clamped variable in between): whole Philox draws, no per-site lookup.
    const std::int64_t* position = positions.data() + first;
    if (position[m - 1] - position[0] == m - 1)
      uniforms.consecutive(position[0], m, u);
    else
      for (std::int64_t k = 0; k < m; ++k) u[k] = uniforms(position[k]);
    engine::logistic_thresholds_row(log_odds, u, q, m);
    for (std::int64_t k = 0; k < m; ++k) {
      const bool certain = std::abs(log_odds[k]) <= kMaxLogOdds && std::abs(q[k] - 1.0) >= kMargin;
      const std::int32_t next = certain ? (q[k] < 1.0 ? 1 : 0) : draw_binary(log_odds[k], u[k]);
      std::int32_t& state = x[batch[k]];
      changed += next != state;
      state = next;
    }
  }
  return changed;
}

}  // namespace dgm::inference
