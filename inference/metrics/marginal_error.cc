#include "inference/metrics/marginal_error.h"

#include <cmath>
#include <string>

#include "engine/error.h"

namespace dgm::inference {

MarginalError marginal_error(const engine::Graph& graph, std::span<const double> estimate,
                             std::span<const double> exact) {
  const std::int64_t states = graph.state_offset.empty() ? 0 : graph.state_offset.back();
  for (const auto& [what, values] : {std::pair{"estimated", estimate}, std::pair{"exact", exact}}) {
    if (static_cast<std::int64_t>(values.size()) != states)
      throw Error(std::string("marginal error: the ") + what + " marginals have " +
                  std::to_string(values.size()) + " values; the model has " +
                  std::to_string(states) + " states over its variables");
    for (std::size_t i = 0; i < values.size(); ++i)
      if (!std::isfinite(values[i]))
        throw Error(std::string("marginal error: the ") + what + " marginal at index " +
                    std::to_string(i) + " is not finite (" + std::to_string(values[i]) + ")");
  }
  MarginalError out;
  const std::int32_t n = graph.num_variables();
  double sum_tv = 0.0;
  for (std::int32_t v = 0; v < n; ++v) {
    double tv = 0.0;
    for (std::int64_t i = graph.state_offset[v]; i < graph.state_offset[v + 1]; ++i) {
      const double d = std::abs(estimate[i] - exact[i]);
      tv += d;
      out.max_abs = std::max(out.max_abs, d);
    }
    tv *= 0.5;
    sum_tv += tv;
    if (out.worst_variable < 0 || tv > out.max_tv) {
      out.max_tv = tv;
      out.worst_variable = v;
    }
  }
  out.mean_tv = n > 0 ? sum_tv / n : 0.0;
  return out;
}

}  // namespace dgm::inference
