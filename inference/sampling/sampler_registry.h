#pragma once
// A table of samplers by name: what each is called, which SamplerConfig settings it reads and
// how to make one. The table knows no sampler itself. The built-in samplers are added by
// inference/builtin_samplers.cc, the layer above every backend, which also keeps the
// process-wide table that make_sampler and the dgm program read.
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

class SamplerRegistry {
 public:
  // Adds `info`, replacing the sampler of the same name if there is one.
  void add(SamplerInfo info);

  // Every sampler, sorted by name.
  const std::vector<SamplerInfo>& samplers() const { return samplers_; }

  // Creates the sampler called `name`. Throws dgm::Error listing the names when `name` is
  // unknown, or when `config` selects a different backend than `name` reads.
  std::unique_ptr<Sampler> make(const std::string& name, const engine::CompiledModel& model,
                                const proto::SamplerConfig& config, std::uint64_t seed) const;

 private:
  std::vector<SamplerInfo> samplers_;
};

// The registry name of the backend `config` selects ("" when it selects none): gibbs (or
// random-scan-gibbs for gibbs { scan: RANDOM }), chromatic-gibbs, block-gibbs, pmp, gwg, dula,
// dmala, exact.
std::string sampler_name_of(const proto::SamplerConfig& config);

}  // namespace dgm::inference
