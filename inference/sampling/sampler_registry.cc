#include "inference/sampling/sampler_registry.h"

#include <algorithm>
#include <mutex>

#include "engine/error.h"
#include "inference/sampling/builtin_samplers.h"

namespace dgm::inference {

namespace {
std::vector<SamplerInfo>& mutable_registry() {
  static std::vector<SamplerInfo> registry;
  return registry;
}
}  // namespace

void register_sampler(SamplerInfo info) {
  auto& registry = mutable_registry();
  registry.erase(std::remove_if(registry.begin(), registry.end(),
                                [&](const SamplerInfo& s) { return s.name == info.name; }),
                 registry.end());
  registry.push_back(std::move(info));
  std::sort(registry.begin(), registry.end(),
            [](const SamplerInfo& a, const SamplerInfo& b) { return a.name < b.name; });
}

const std::vector<SamplerInfo>& sampler_registry() {
  static std::once_flag once;
  std::call_once(once, [] {
    register_gibbs_samplers();
    register_pmp_sampler();
    register_gradient_samplers();
  });
  return mutable_registry();
}

std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::shared_ptr<const engine::CompiledModel> model,
                                      const proto::SamplerConfig& config, std::uint64_t seed) {
  if (model == nullptr) throw Error("make_sampler: no model");
  const auto& registry = sampler_registry();
  for (const auto& info : registry) {
    if (info.name != name) continue;
    const auto* selected = proto::SamplerConfig::descriptor()->FindOneofByName("backend");
    const auto* field = config.GetReflection()->GetOneofFieldDescriptor(config, selected);
    if (field != nullptr && field->name() != info.config_field)
      throw Error("sampler '" + name + "' reads `" + info.config_field +
                  "` settings but the configuration sets `" + field->name() + "`");
    std::unique_ptr<Sampler> sampler = info.factory(*model, config, seed);
    sampler->keep_model(std::move(model));
    return sampler;
  }
  std::string names;
  std::vector<std::string> allowed;
  for (const auto& info : registry) {
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
    case proto::SamplerConfig::BACKEND_NOT_SET:
      break;
  }
  return "";
}

}  // namespace dgm::inference
