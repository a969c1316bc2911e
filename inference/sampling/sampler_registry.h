#pragma once
// Samplers by name. Each backend registers a factory in its own .cc file; the dgm program and
// applications create samplers from a name and a SamplerConfig.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dgm/sampler.pb.h"
#include "engine/compiled_model.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

using SamplerFactory = std::function<std::unique_ptr<Sampler>(
    const engine::CompiledModel& model, const proto::SamplerConfig& config, std::uint64_t seed)>;

struct SamplerInfo {
  std::string name;
  std::string description;
  // The SamplerConfig backend field this sampler reads ("gibbs", "chromatic_gibbs", ...).
  std::string config_field;
  SamplerFactory factory;
};

// All registered samplers, sorted by name.
const std::vector<SamplerInfo>& sampler_registry();

// Creates the sampler called `name`; it shares ownership of `model`. Throws dgm::Error listing
// the registered names when `name` is unknown, or when `config` selects a different backend
// than `name` reads.
std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::shared_ptr<const engine::CompiledModel> model,
                                      const proto::SamplerConfig& config, std::uint64_t seed);

// The registry name of the backend `config` selects ("" when it selects none): gibbs (or
// random-scan-gibbs for gibbs { scan: RANDOM }), chromatic-gibbs, block-gibbs, pmp, gwg, dula,
// dmala.
std::string sampler_name_of(const proto::SamplerConfig& config);

// Registration, called by each backend's registrar (see inference/sampling/register.cc).
void register_sampler(SamplerInfo info);

}  // namespace dgm::inference
