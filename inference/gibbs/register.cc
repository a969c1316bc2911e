// Registration of the Gibbs family. How the names and the settings combine:
//   gibbs              reads GibbsConfig; its `scan` picks systematic (default) or random
//                      scan, and the sampler then reports the name of what it runs
//                      ("gibbs" or "random-scan-gibbs").
//   random-scan-gibbs  reads GibbsConfig too, but always scans at random: SYSTEMATIC is the
//                      proto default, indistinguishable from "not set", so the name wins.
//   chromatic-gibbs    reads ChromaticGibbsConfig.
//   block-gibbs        reads BlockGibbsConfig; the RBM fast path when the model is RBM-shaped.
#include "inference/gibbs/register.h"

#include <memory>

#include "dgm/sampler.pb.h"
#include "inference/gibbs/block_gibbs.h"
#include "inference/gibbs/chromatic_gibbs.h"
#include "inference/gibbs/gibbs_params.h"
#include "inference/gibbs/gibbs_sampler.h"
#include "inference/sampling/sampler_registry.h"

namespace dgm::inference {

namespace {

GibbsParams gibbs_params(const proto::SamplerConfig& config, bool random_scan) {
  GibbsParams p;
  const proto::GibbsConfig& c = config.gibbs();  // the defaults when another backend is set
  if (random_scan || c.scan() == proto::GibbsConfig::RANDOM) p.scan = GibbsParams::Scan::kRandom;
  p.generic_only = c.generic_only();
  return p;
}

}  // namespace

void register_gibbs_samplers(SamplerRegistry& registry) {
  registry.add({"gibbs",
                "single-site Gibbs, systematic scan (variables in id order; gibbs { scan: RANDOM } "
                "for random scan); chains in parallel",
                "gibbs",
                [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
                   std::uint64_t seed) -> std::unique_ptr<Sampler> {
                  return std::make_unique<GibbsSampler>(model, gibbs_params(config, false), seed);
                }});
  registry.add(
      {"random-scan-gibbs",
       "single-site Gibbs, random scan (N uniformly drawn free variables per sweep); chains "
       "in parallel",
       "gibbs",
       [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
          std::uint64_t seed) -> std::unique_ptr<Sampler> {
         return std::make_unique<GibbsSampler>(model, gibbs_params(config, true), seed);
       }});
  registry.add(
      {"chromatic-gibbs",
       "parallel Gibbs by colour classes of the interaction graph (exact Gibbs, all cores)",
       "chromatic_gibbs",
       [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
          std::uint64_t seed) -> std::unique_ptr<Sampler> {
         ChromaticGibbsParams p;
         p.generic_only = config.chromatic_gibbs().generic_only();
         return std::make_unique<ChromaticGibbsSampler>(model, p, seed);
       }});
  registry.add({"block-gibbs",
                "block Gibbs on a bipartite model (RBM): one whole side given the other",
                "block_gibbs",
                [](const engine::CompiledModel& model, const proto::SamplerConfig& config,
                   std::uint64_t seed) -> std::unique_ptr<Sampler> {
                  BlockGibbsParams p;
                  p.generic_only = config.block_gibbs().generic_only();
                  p.visible_first = config.block_gibbs().visible_first();
                  return make_block_gibbs(model, p, seed);
                }});
}

}  // namespace dgm::inference
