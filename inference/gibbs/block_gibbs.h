#pragma once
// Block Gibbs on a bipartite interaction graph (an RBM and anything shaped like one): all of
// one side given the other, then the other given the first (Graph::analysis.side), for every
// chain at once. Each half-step is exact because the variables of one side share no factor.
//
// Two implementations behind one name:
//   * RBM-shaped models (one bipartite block plus unary biases; inference/gibbs/
//     rbm_block_gibbs.h): two float GEMMs per sweep over the whole batch;
//   * any other bipartite model, or BlockGibbsParams::generic_only: chromatic Gibbs with the
//     bipartition as the colouring (inference/gibbs/chromatic_gibbs.h), with its binary
//     pairwise fast path, generic conditional and random-number keying.
// Order: when the model has a bipartite block, the side holding the block's right group (the
// hidden units of an RBM) goes first, as in the RBM path (h ~ p(h | v), then v ~ p(v | h)), so
// that both implementations take the same kind of step from a chain started at data;
// otherwise side 0 first.
#include <cstdint>
#include <memory>

#include "engine/compiled_model.h"
#include "inference/gibbs/gibbs_params.h"
#include "inference/sampling/sampler.h"

namespace dgm::inference {

// Throws dgm::Error when the model's interaction graph is not bipartite. The model must
// outlive the sampler.
std::unique_ptr<Sampler> make_block_gibbs(const engine::CompiledModel& model,
                                          const BlockGibbsParams& params, std::uint64_t seed);

}  // namespace dgm::inference
