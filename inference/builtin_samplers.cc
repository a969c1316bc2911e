#include "inference/builtin_samplers.h"

#include "engine/error.h"
#include "inference/exact/register.h"
#include "inference/gibbs/register.h"
#include "inference/gradient/register.h"
#include "inference/pmp/register.h"

namespace dgm::inference {

namespace {

// Filled on first use (thread-safe static initialisation), by explicit calls: see the header.
SamplerRegistry& process_registry() {
  static SamplerRegistry registry = [] {
    SamplerRegistry built_in;
    register_gibbs_samplers(built_in);
    register_pmp_sampler(built_in);
    register_gradient_samplers(built_in);
    register_exact_sampler(built_in);
    return built_in;
  }();
  return registry;
}

}  // namespace

const std::vector<SamplerInfo>& sampler_registry() { return process_registry().samplers(); }

std::unique_ptr<Sampler> make_sampler(const std::string& name,
                                      std::shared_ptr<const engine::CompiledModel> model,
                                      const proto::SamplerConfig& config, std::uint64_t seed) {
  if (model == nullptr) throw Error("make_sampler: no model");
  std::unique_ptr<Sampler> sampler = process_registry().make(name, *model, config, seed);
  sampler->keep_model(std::move(model));
  return sampler;
}

void register_sampler(SamplerInfo info) { process_registry().add(std::move(info)); }

}  // namespace dgm::inference
