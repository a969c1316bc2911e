#pragma once
// Registration of this folder's samplers (pmp), called once by
// inference/builtin_samplers.cc.
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_pmp_sampler(SamplerRegistry& registry);

}  // namespace dgm::inference
