#include "inference/gibbs/block_gibbs.h"

#include <string>
#include <vector>

#include "engine/error.h"
#include "inference/gibbs/chromatic_gibbs.h"
#include "inference/gibbs/rbm_block_gibbs.h"

namespace dgm::inference {

std::unique_ptr<Sampler> make_block_gibbs(const engine::CompiledModel& model,
                                          const BlockGibbsParams& params, std::uint64_t seed) {
  const engine::GraphAnalysis& a = model.graph->analysis;
  const std::string what = model.source.empty() ? std::string("the model") : model.source;
  if (a.colour.empty() && model.graph->num_variables() > 0)
    throw Error("block-gibbs: " + what +
                " was compiled without its graph analyses, so its "
                "bipartition is unknown");
  if (!a.bipartite && model.graph->num_variables() > 0)
    throw Error("block-gibbs needs a bipartite interaction graph, but the interaction graph of " +
                what + " has an odd cycle; use chromatic-gibbs (" + std::to_string(a.num_colours) +
                " colours) instead");
  if (!params.generic_only)
    if (auto rbm = make_rbm_block_gibbs(model, seed, params.visible_first)) return rbm;
  std::uint8_t first = 0;
  for (const factors::FactorBlock& block : model.graph->blocks)
    if (block.kind == factors::FactorKind::kBipartite && block.right_count > 0) {
      first = a.side[block.right_begin];
      break;
    }
  std::vector<std::int32_t> colour(static_cast<std::size_t>(model.graph->num_variables()), 0);
  // Colour 0, updated first in a sweep: the side of the first bipartite block's right group
  // (an RBM's hidden layer), or the other side when the visible side goes first.
  for (std::size_t v = 0; v < a.side.size(); ++v)
    colour[v] = (a.side[v] == first) != params.visible_first ? 0 : 1;
  return std::make_unique<ChromaticGibbsSampler>(model, colour, 2, params.generic_only, seed,
                                                 "block-gibbs");
}

}  // namespace dgm::inference
