#pragma once
// Row kernels of the samplers, compiled for each instruction-set level and chosen at run time
// (engine/cpu_dispatch.h). Every level gives bit-identical results: element-wise IEEE
// arithmetic from engine/vector_math.h, compiled without fused multiply-adds
// (tests/engine/dispatch_test.cc compares the levels).
#include <cstdint>

namespace dgm::engine {

// One Bernoulli draw per element of a row, x_j ~ Bernoulli(σ(a_j + bias_j)) by
// x_j = [u_j·(1 + e^{−(a_j + bias_j)}) ≤ 1] (u_j uniform in (0, 1)), except where free_j = 0:
// there x_j = value_j (evidence). Writes the draw as a float (x) and as the state of the chain
// (state), and returns how many states changed.
std::int64_t bernoulli_logistic_row(const float* a, const float* bias, const float* u,
                                    const float* free, const float* value, float* x,
                                    std::int32_t* state, std::int64_t n);

}  // namespace dgm::engine
