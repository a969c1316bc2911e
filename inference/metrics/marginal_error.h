#pragma once
// How far estimated single-site marginals are from exact ones: the total variation distance
// per variable, TV_v = ½ Σ_k |p̂_v(k) − p_v(k)|, summarised by its mean and maximum over
// variables, and the largest error of any one probability.
#include <cstdint>
#include <span>

#include "engine/graph.h"

namespace dgm::inference {

struct MarginalError {
  double mean_tv = 0;  // mean over every variable (clamped ones included: their TV is 0)
  double max_tv = 0;
  double max_abs = 0;                // max over variables and states of |p̂_v(k) − p_v(k)|
  std::int32_t worst_variable = -1;  // the variable of max_tv (the first of equals)
};

// Both marginals at graph.state_offset[v] + k (the layout of MarginalEstimator and the exact
// backends). Throws dgm::Error when a size is not graph.state_offset.back() or a value is not
// finite.
MarginalError marginal_error(const engine::Graph& graph, std::span<const double> estimate,
                             std::span<const double> exact);

}  // namespace dgm::inference
