#pragma once
// Registration of this folder's samplers (gibbs, random-scan-gibbs, chromatic-gibbs, block-gibbs),
// called once by inference/builtin_samplers.cc.
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_gibbs_samplers(SamplerRegistry& registry);

}  // namespace dgm::inference
