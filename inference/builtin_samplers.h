#pragma once
// The samplers dgm offers, by name: one process-wide SamplerRegistry holding every built-in
// sampler — the Gibbs family (inference/gibbs), perturb-and-max-product (inference/pmp), the
// gradient-informed samplers (inference/gradient) and exact sampling on the junction tree
// (inference/exact) — from its first use, plus any an
// application adds. This is the layer above the backends: each backend registers its samplers
// into the table it is given, and the sampling layer below them knows none of them.
//
// make_sampler, sampler_registry and the calls that fill the table are in one file, so every
// program that can call make_sampler also links every built-in sampler, even from a static
// library (docs/decisions.md, "Sampler registration").
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dgm/sampler.pb.h"
#include "engine/compiled_model.h"
#include "inference/sampling/sampler.h"
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

// All registered samplers, sorted by name.
const std::vector<SamplerInfo>& sampler_registry();

// Creates the sampler called `name`; it shares ownership of `model`, so it never outlives it.
// Throws dgm::Error listing the registered names when `name` is unknown, or when `config`
// selects a different backend than `name` reads.
std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::shared_ptr<const engine::CompiledModel> model,
                                      const proto::SamplerConfig& config, std::uint64_t seed);

// Adds an application's own sampler to the process-wide registry (replacing the sampler of the
// same name, if any). Not synchronised: register before sampling from several threads.
void register_sampler(SamplerInfo info);

}  // namespace dgm::inference
