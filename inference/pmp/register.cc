// Registration of perturb-and-max-product as sampler "pmp", configured by PmpConfig (its
// `bp { }` block: schedule, iterations, damping, tolerance, temperature; noise_scale,
// no_repair and noise_groups).
#include "inference/pmp/register.h"

#include <memory>

#include "dgm/sampler.pb.h"
#include "inference/pmp/pmp_sampler.h"
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

void register_pmp_sampler(SamplerRegistry& registry) {
  registry.add(
      {"pmp",
       "perturb-and-max-product: each sample is the max-product MAP under fresh Gumbel noise "
       "on the unaries (independent samples; chains = parallel BP problems). Approximate, "
       "even on trees",
       "pmp",
       [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
          std::uint64_t seed) -> std::unique_ptr<Sampler> {
         PmpParams p;
         p.bp = bp::bp_params(config.pmp().bp(), bp::BpPurpose::kPmp);
         if (config.pmp().has_noise_scale()) p.noise_scale = config.pmp().noise_scale();
         p.repair = !config.pmp().no_repair();
         p.noise_groups.assign(config.pmp().noise_groups().begin(),
                               config.pmp().noise_groups().end());
         return std::make_unique<PmpSampler>(model, p, seed);
       }});
}

}  // namespace dgm::inference
