#pragma once
// Settings of the Gibbs samplers, with their defaults. The proto messages in
// proto/dgm/sampler.proto (GibbsConfig, ChromaticGibbsConfig, BlockGibbsConfig) mirror them;
// a zero proto field means the default below.
namespace dgm::inference {

// gibbs and random-scan-gibbs: single-site Gibbs, sequential within a chain, chains in
// parallel.
struct GibbsParams {
  enum class Scan {
    kSystematic,  // every free variable once per sweep, in id order
    kRandom,      // per sweep, as many updates as free variables, each of a free variable
                  // drawn uniformly (with replacement)
  };
  Scan scan = Scan::kSystematic;
  // Use the generic per-factor conditional even where the binary pairwise fast path applies.
  bool generic_only = false;
};

// chromatic-gibbs: one colour class of the interaction graph at a time, its variables (of
// every chain) updated in parallel.
struct ChromaticGibbsParams {
  bool generic_only = false;  // as GibbsParams::generic_only
};

// block-gibbs: chromatic Gibbs with the two sides of a bipartite interaction graph as the
// colour classes (side 0, then side 1).
struct BlockGibbsParams {
  bool generic_only = false;   // as GibbsParams::generic_only
  bool visible_first = false;  // BlockGibbsConfig::visible_first
};

}  // namespace dgm::inference
