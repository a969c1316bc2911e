#pragma once
// The uniforms of one chain's site updates in one sweep. Site number p of a sweep (its
// position in the sampler's fixed visiting order) reads word p mod 4 of the Philox draw
// sweep_counter(sweep, p / 4) of the chain's stream: one Philox call serves four consecutive
// sites, which matters because a call costs about as much as the rest of a binary update.
// Each uniform has 32 bits, (w + 1/2)·2^−32 ∈ (0, 1): the probability of any decision is off by
// at most 2^−32.
//
// The value of a site's uniform depends only on (seed, chain, sweep, p), never on threads or
// on the order in which sites are visited; visiting positions in increasing order reuses each
// draw for up to four sites.
#include <Random123/uniform.hpp>
#include <cstdint>

#include "engine/philox_batch.h"
#include "engine/random.h"

namespace dgm::inference {

class SiteUniforms {
 public:
  SiteUniforms(std::uint64_t seed, std::int64_t chain, std::int64_t sweep)
      : rng_(seed,
             engine::stream_id(engine::StreamPurpose::kSweep, static_cast<std::uint64_t>(chain))),
        sweep_(static_cast<std::uint64_t>(sweep)) {}

  // The uniform of the site at position p.
  double operator()(std::int64_t p) {
    const std::int64_t draw = p >> 2;
    if (draw != cached_) {
      words_ = rng_.bits(engine::sweep_counter(sweep_, static_cast<std::uint64_t>(draw)));
      cached_ = draw;
    }
    return r123::u01<double>(words_[p & 3]);
  }

  // The uniforms of the n consecutive positions first, first + 1, ... into out[0 .. n): the
  // same values as operator(), without its per-site check of the cached draw (worth ~6% of a
  // batched binary update).
  void consecutive(std::int64_t first, std::int64_t n, double* out) {
    std::int64_t k = 0;
    for (; k < n && (first + k) % 4 != 0; ++k) out[k] = (*this)(first + k);  // partial draw
    // The whole draws in between at once, on the CPU's vector unit (engine/philox_batch.h:
    // the same words as rng_.bits).
    const std::int64_t whole = (n - k) / 4;
    engine::philox_uniform_doubles(
        rng_, engine::sweep_counter(sweep_, static_cast<std::uint64_t>((first + k) >> 2)), whole,
        out + k);
    k += 4 * whole;
    for (; k < n; ++k) out[k] = (*this)(first + k);
  }

 private:
  engine::CounterRng rng_;
  std::uint64_t sweep_;
  std::int64_t cached_ = -1;
  engine::CounterRng::Philox::ctr_type words_{};
};

}  // namespace dgm::inference
