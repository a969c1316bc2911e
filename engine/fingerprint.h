#pragma once
// 64-bit fingerprints of a compiled model, so that a saved session (or, later, a training
// checkpoint) is only ever restored onto the model it ran on. FNV-1a over the IR's arrays: a
// check against mistakes (another file, an edited model), not a cryptographic hash.
#include <cstdint>
#include <span>

#include "engine/compiled_model.h"

namespace dgm::engine {

// The structure (variables, cardinalities, factor kinds, scopes, parameter layout) and the
// evidence.
std::uint64_t structure_fingerprint(const CompiledModel& model);
// The parameter values, bit for bit.
std::uint64_t parameter_fingerprint(const Params& params);
// Any array of states (a training set, for its checkpoints).
std::uint64_t states_fingerprint(std::span<const std::int32_t> values);

}  // namespace dgm::engine
