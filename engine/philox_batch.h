#pragma once
// Many consecutive Philox4x32-10 draws of one stream at once, on the CPU's widest vector unit
// (engine/cpu_dispatch.h): 16 draws per AVX-512 iteration, 8 per AVX2 iteration, the scalar
// Random123 code otherwise and for the remainder. Every level gives bit-identical words to
// CounterRng::bits, so a sampler's trajectory never depends on the CPU or the dispatch level
// (tests/engine/dispatch_test.cc). Counters step as 64-bit numbers (first_counter + q): callers
// keep a run within one sweep's 2^32 indices. Samplers call this where they need a row of
// uniforms at once (the RBM's block Gibbs half-steps, the batched binary site updates), where
// one scalar draw per four sites costs as much as the rest of an update.
#include <cstdint>

#include "engine/random.h"

namespace dgm::engine {

// out[4q + w] = word w of rng.bits(first_counter + q) for q in [0, draws).
void philox_words(const CounterRng& rng, std::uint64_t first_counter, std::int64_t draws,
                  std::uint32_t* out);

// out[4q + w] = CounterRng::uniform_word(word w of rng.bits(first_counter + q)), uniforms in
// (0, 1] of 24-bit float resolution (words ≥ 0xFFFFFF80 round to 1).
void philox_uniform_floats(const CounterRng& rng, std::uint64_t first_counter, std::int64_t draws,
                           float* out);

// out[4q + w] = r123::u01<double>(word w of rng.bits(first_counter + q)): (word + 1/2)·2^−32,
// exact in a double.
void philox_uniform_doubles(const CounterRng& rng, std::uint64_t first_counter, std::int64_t draws,
                            double* out);

// out[2q + h] = r123::u01<double>(2^32·w_{2h} + w_{2h+1}), w the words of
// rng.bits(first_counter + q): two uniforms in (0, 1] of double resolution per draw, the form
// of the samplers that draw one 64-bit uniform per variable (the exact sampler, DULA/DMALA).
void philox_uniform_doubles_wide(const CounterRng& rng, std::uint64_t first_counter,
                                 std::int64_t draws, double* out);

}  // namespace dgm::engine
