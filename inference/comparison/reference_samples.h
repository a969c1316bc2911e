#pragma once
// The reference sample set a comparison measures every sampler against, with its provenance.
//
// Two disjoint parts are drawn: `rows` (the reference proper, compared with each sampler's
// chains by MMD) and floor sets of as many rows as the compared chains, independent of the
// first part. The mean MMD between the reference and each floor set is the floor: the value a
// perfect sampler's chains would show, since two sets drawn from the same distribution do not
// give MMD 0 at finite sizes (several sets, because one set's MMD is about as noisy as the
// value it is a floor for).
//
// Sources (proto::CompareReference::source):
//   exact    the `exact` sampler: forward filtering, backward sampling on the junction tree,
//            i.i.d. draws (Dawid 1992); what "auto" picks when the tree is affordable;
//   sampler  a long run: `chains` chains of a chosen sampler, `burn_in` sweeps, then
//            `samples_per_chain` samples per chain, one every `thin` sweeps (by default one
//            sample per chain, as many chains as rows, so rows are independent and the floor
//            is a floor); the split-R̂ and ESS of the energies of up to 64 of its chains over
//            the second half of the run are reported so a reader can judge whether the
//            reference itself mixed;
//   file     rows of a .npy of states (checked against the model's cardinalities and
//            evidence), for references made elsewhere.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "dgm/compare.pb.h"
#include "engine/compiled_model.h"

namespace dgm::inference {

struct ReferenceSamples {
  std::vector<std::int32_t> rows;  // num_rows × N, row-major
  std::int64_t num_rows = 0;
  // num_floor_rows × N: consecutive floor sets of floor_set_rows rows; empty without a floor.
  std::vector<std::int32_t> floor_rows;
  std::int64_t num_floor_rows = 0;
  std::int64_t floor_set_rows = 0;
  std::string source;      // "exact", "sampler" or "file"
  std::string provenance;  // one line: how the rows were made
  bool exact = false;      // i.i.d. exact draws
  // Long runs: the energy's split-R̂ and ESS over the kept samples (NaN otherwise).
  double rhat = std::numeric_limits<double>::quiet_NaN();
  double ess = std::numeric_limits<double>::quiet_NaN();
  double seconds = 0.0;
};

// How many floor sets of how many rows to draw besides the reference.
struct FloorSets {
  std::int64_t set_rows = 0;  // the compared chains
  // 0: 10 sets for exact references (cheap), 5 for long runs and files.
  std::int64_t sets = 0;
  std::int64_t rows() const { return set_rows * sets; }
};

// Draws (or reads) the reference for `model`: `reference.samples` rows (default 500) plus the
// floor sets (a file gives as many whole sets as its rows allow, at least one when it has twice
// a set's rows). Throws dgm::Error when the source is unknown, "exact" is asked for a model too
// wide for the junction tree, or a file does not fit the model.
ReferenceSamples make_reference(const engine::CompiledModel& model,
                                const proto::CompareReference& reference, const FloorSets& floor,
                                std::uint64_t seed, int threads);

// The sampler a long-run reference uses by default: block-gibbs on models with a bipartite
// interaction graph, chromatic-gibbs otherwise.
std::string default_reference_sampler(const engine::CompiledModel& model);

}  // namespace dgm::inference
