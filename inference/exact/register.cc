// Registration of forward-filtering backward-sampling on the junction tree as sampler "exact",
// configured by ExactSamplerConfig (max_table_entries).
//
// The name is the same as `dgm marginals --method exact`, which stays the junction tree's
// marginals (docs/decisions.md, "The exact sampler's name").
#include "inference/exact/register.h"

#include <memory>

#include "dgm/sampler.pb.h"
#include "inference/exact/exact_sampler.h"
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_exact_sampler(SamplerRegistry& registry) {
  registry.add(
      {"exact",
       "exact independent samples by forward filtering, backward sampling on the junction tree "
       "(each sweep a fresh draw per chain); only for models within the exact-inference table "
       "limit",
       "exact",
       [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
          std::uint64_t seed) -> std::unique_ptr<Sampler> {
         ExactSamplerParams p;
         if (config.exact().max_table_entries() != 0)
           p.max_table_entries = config.exact().max_table_entries();
         return std::make_unique<ExactSampler>(model, p, seed);
       }});
}

}  // namespace dgm::inference
