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

std::unique_ptr<Sampler> make_sampler(const std::string& name, const engine::CompiledModel& model,
                                      const proto::SamplerConfig& config, std::uint64_t seed) {
  const auto& registry = sampler_registry();
  for (const auto& info : registry) {
    if (info.name != name) continue;
    const auto* selected = proto::SamplerConfig::descriptor()->FindOneofByName("backend");
    const auto* field = config.GetReflection()->GetOneofFieldDescriptor(config, selected);
    if (field != nullptr && field->name() != info.config_field)
      throw Error("sampler '" + name + "' reads `" + info.config_field +
                  "` settings but the configuration sets `" + field->name() + "`");
    return info.factory(model, config, seed);
  }
  std::string names;
  for (const auto& info : registry) names += (names.empty() ? "" : ", ") + info.name;
  throw Error("unknown sampler '" + name + "'; samplers are: " + names);
}

}  // namespace dgm::inference
