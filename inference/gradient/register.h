#pragma once
// Registration of this folder's samplers (gwg, dula, dmala), called once by
// inference/builtin_samplers.cc.
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_gradient_samplers(SamplerRegistry& registry);

}  // namespace dgm::inference
