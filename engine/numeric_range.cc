#include "engine/numeric_range.h"

#include <tbb/parallel_for.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <vector>

#include "engine/error.h"

namespace dgm::engine {
namespace {

double largest_finite_magnitude(const double* w, std::int64_t count) {
  double m = 0.0;
  for (std::int64_t k = 0; k < count; ++k)
    if (std::isfinite(w[k])) m = std::max(m, std::abs(w[k]));
  return m;
}

// Σ_k |w_k| over the finite w_k, for factors that read one value each, stored one after
// another (an RBM's weights: 392,000 of them after every learning update). Four partial sums
// the compiler can keep in vector lanes (a single running sum cannot be vectorised); the order
// only moves the last bits of a total that is compared with a bound.
double sum_finite_magnitudes_serial(const double* w, std::int64_t count) {
  double part[4] = {0.0, 0.0, 0.0, 0.0};
  std::int64_t k = 0;
  for (; k + 4 <= count; k += 4)
    for (int l = 0; l < 4; ++l) {
      const double a = std::abs(w[k + l]);
      part[l] += a <= std::numeric_limits<double>::max() ? a : 0.0;  // NaN, ±inf: 0
    }
  for (; k < count; ++k) {
    const double a = std::abs(w[k]);
    part[0] += a <= std::numeric_limits<double>::max() ? a : 0.0;
  }
  return (part[0] + part[1]) + (part[2] + part[3]);
}

// The same over fixed chunks in parallel, summed in chunk order (the same total on any number
// of threads).
double sum_finite_magnitudes(const double* w, std::int64_t count) {
  constexpr std::int64_t kChunk = 65536;
  if (count <= kChunk) return sum_finite_magnitudes_serial(w, count);
  std::vector<double> part(static_cast<std::size_t>((count + kChunk - 1) / kChunk));
  tbb::parallel_for(std::size_t{0}, part.size(), [&](std::size_t c) {
    const std::int64_t begin = static_cast<std::int64_t>(c) * kChunk;
    part[c] = sum_finite_magnitudes_serial(w + begin, std::min(kChunk, count - begin));
  });
  double total = 0.0;
  for (const double p : part) total += p;
  return total;
}

std::string number(double x) {
  std::ostringstream s;
  s.precision(3);
  s << x;
  return s.str();
}

}  // namespace

LogPotentialScale log_potential_scale(const Graph& graph, std::span<const double> values) {
  LogPotentialScale scale;
  scale.total = std::isfinite(graph.log_constant) ? std::abs(graph.log_constant) : 0.0;
  for (std::size_t b = 0; b < graph.blocks.size(); ++b) {
    const factors::FactorBlock& block = graph.blocks[b];
    const std::int64_t count = factors::values_per_factor(block);
    if (block.param < 0 || count == 0 || block.num_factors == 0) continue;
    double block_total = 0.0;
    if (block.param_stride == 0) {  // tied: every factor reads the same values
      block_total = static_cast<double>(block.num_factors) *
                    largest_finite_magnitude(values.data() + block.param_offset, count);
    } else if (count == 1 && block.param_stride == 1) {
      block_total = sum_finite_magnitudes(values.data() + block.param_offset, block.num_factors);
    } else {
      for (std::int64_t r = 0; r < block.num_factors; ++r)
        block_total += largest_finite_magnitude(
            values.data() + block.param_offset + r * block.param_stride, count);
    }
    scale.total += block_total;
    if (scale.largest_block < 0 || block_total > scale.largest_block_total) {
      scale.largest_block = static_cast<std::int32_t>(b);
      scale.largest_block_total = block_total;
    }
  }
  return scale;
}

void throw_log_potential_scale_error(const Graph& graph, const LogPotentialScale& scale,
                                     const std::string& where) {
  std::string message = where + ": the log-potentials are too large for double precision: the " +
                        "factors' largest |log-potential| values add up to " + number(scale.total);
  if (scale.largest_block >= 0)
    message += " (factor group '" + graph.blocks[scale.largest_block].name + "' alone " +
               number(scale.largest_block_total) + ")";
  message += ", beyond dgm's range of " + number(kMaxLogPotentialScale) +
             " (the largest finite double / 16), where log Z, messages and conditionals could "
             "overflow; rescale the parameters";
  throw Error(message, error_details(ErrorCode::kBadValue, number(scale.total)));
}

void check_log_potential_scale(const Graph& graph, std::span<const double> values,
                               const std::string& where) {
  const LogPotentialScale scale = log_potential_scale(graph, values);
  if (scale.total > kMaxLogPotentialScale) throw_log_potential_scale_error(graph, scale, where);
}

}  // namespace dgm::engine
