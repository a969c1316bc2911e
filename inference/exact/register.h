#pragma once
// Registration of this folder's sampler (exact), called once by inference/builtin_samplers.cc.
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_exact_sampler(SamplerRegistry& registry);

}  // namespace dgm::inference
