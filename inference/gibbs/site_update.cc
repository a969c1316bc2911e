#include "inference/gibbs/site_update.h"

namespace dgm::inference {

SiteUpdater::SiteUpdater(const engine::CompiledModel& model, bool generic_only)
    : cardinality_(model.graph->cardinality.data()), conditional_(model) {
  if (!generic_only && BinaryPairwise::eligible(*model.graph)) {
    pairwise_.emplace(model);
    fast_ = pairwise_->finite();
  }
}

void SiteUpdater::refresh() { fast_ = pairwise_.has_value() && pairwise_->refresh(); }

std::vector<std::int32_t> free_variables(const engine::CompiledModel& model) {
  std::vector<std::int32_t> free;
  const std::int32_t n = model.graph->num_variables();
  for (std::int32_t v = 0; v < n; ++v)
    if (model.evidence.empty() || model.evidence[v] == engine::kFree) free.push_back(v);
  return free;
}

}  // namespace dgm::inference
