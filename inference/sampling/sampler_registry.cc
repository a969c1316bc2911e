#include "inference/sampling/sampler_registry.h"

#include <algorithm>

#include "engine/error.h"

namespace dgm::inference {

void SamplerRegistry::add(SamplerInfo info) {
  samplers_.erase(std::remove_if(samplers_.begin(), samplers_.end(),
                                 [&](const SamplerInfo& s) { return s.name == info.name; }),
                  samplers_.end());
  samplers_.push_back(std::move(info));
  std::sort(samplers_.begin(), samplers_.end(),
            [](const SamplerInfo& a, const SamplerInfo& b) { return a.name < b.name; });
}

std::unique_ptr<Sampler> SamplerRegistry::make(const std::string& name,
                                               const engine::CompiledModel& model,
                                               const proto::SamplerConfig& config,
                                               std::uint64_t seed) const {
  for (const auto& info : samplers_) {
    if (info.name != name) continue;
    const auto* selected = proto::SamplerConfig::descriptor()->FindOneofByName("backend");
    const auto* field = config.GetReflection()->GetOneofFieldDescriptor(config, selected);
    if (field != nullptr && field->name() != info.config_field)
      throw Error("sampler '" + name + "' reads `" + info.config_field +
                  "` settings but the configuration sets `" + field->name() + "`");
    return info.factory(model, config, seed);
  }
  std::string names;
  std::vector<std::string> allowed;
  for (const auto& info : samplers_) {
    names += (names.empty() ? "" : ", ") + info.name;
    allowed.push_back(info.name);
  }
  throw Error("unknown sampler '" + name + "'; samplers are: " + names,
              error_details(ErrorCode::kUnknownName, name, std::move(allowed)));
}

std::string sampler_name_of(const proto::SamplerConfig& config) {
  switch (config.backend_case()) {
    case proto::SamplerConfig::kGibbs:
      return config.gibbs().scan() == proto::GibbsConfig::RANDOM ? "random-scan-gibbs" : "gibbs";
    case proto::SamplerConfig::kChromaticGibbs:
      return "chromatic-gibbs";
    case proto::SamplerConfig::kBlockGibbs:
      return "block-gibbs";
    case proto::SamplerConfig::kPmp:
      return "pmp";
    case proto::SamplerConfig::kGwg:
      return "gwg";
    case proto::SamplerConfig::kDula:
      return "dula";
    case proto::SamplerConfig::kDmala:
      return "dmala";
    case proto::SamplerConfig::kExact:
      return "exact";
    case proto::SamplerConfig::BACKEND_NOT_SET:
      break;
  }
  return "";
}

}  // namespace dgm::inference
