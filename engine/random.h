#pragma once
// Counter-based random numbers (Random123 Philox4x32-10). A value is a pure function of
// (seed, stream, counter): the same seed gives the same numbers whatever the number of
// threads or the order in which work is done. Streams separate independent uses (a chain, a
// parameter, a variable); counters index the draws within a stream.
#include <Random123/philox.h>

#include <Random123/uniform.hpp>
#include <cmath>
#include <cstdint>
#include <numbers>

namespace dgm::engine {

// What a stream is used for; combined with a chain index into a stream id, so that two uses
// never share random numbers.
enum class StreamPurpose : std::uint64_t {
  kInitialiser = 0,  // parameter initialisers (stream = hash of the name; purpose unused)
  kChainInit = 1,    // initial states of chains
  kSweep = 2,        // the moves of a sampler
  kShuffle = 3,      // the order of training examples (stream: the epoch)
  kDataset = 4,      // preparing datasets: shuffles and sampled binarisation (`dgm data`)
  kAnnealing = 5,    // annealed importance sampling runs (inference/ais)
};

// Stream id of (purpose, chain): the purpose in the top 16 bits.
inline std::uint64_t stream_id(StreamPurpose purpose, std::uint64_t chain) {
  return (static_cast<std::uint64_t>(purpose) << 48) | (chain & ((std::uint64_t{1} << 48) - 1));
}

// Counter of draw `index` within sweep `sweep`: samplers key every draw by (sweep, index), so
// that a chain's trajectory is a function of (seed, chain) alone.
inline std::uint64_t sweep_counter(std::uint64_t sweep, std::uint64_t index) {
  return (sweep << 32) | (index & 0xffffffffu);
}

class CounterRng {
 public:
  using Philox = r123::Philox4x32;

  CounterRng(std::uint64_t seed, std::uint64_t stream) {
    key_ = {{static_cast<std::uint32_t>(seed), static_cast<std::uint32_t>(seed >> 32)}};
    stream_lo_ = static_cast<std::uint32_t>(stream);
    stream_hi_ = static_cast<std::uint32_t>(stream >> 32);
  }

  // Four independent 32-bit words for draw `counter`.
  Philox::ctr_type bits(std::uint64_t counter) const {
    Philox::ctr_type ctr = {{static_cast<std::uint32_t>(counter),
                             static_cast<std::uint32_t>(counter >> 32), stream_lo_, stream_hi_}};
    return Philox()(ctr, key_);
  }

  // Uniform in (0, 1], 53 random bits.
  double uniform(std::uint64_t counter) const {
    auto r = bits(counter);
    return r123::u01<double>((static_cast<std::uint64_t>(r[0]) << 32) | r[1]);
  }

  // Uniform in (0, 1] from one 32-bit word of draw `counter` (word 0..3): four cheap uniforms
  // per Philox call where 24 bits of resolution suffice.
  static float uniform_word(std::uint32_t word) { return r123::u01<float>(word); }

  // The key and the two high counter words (the stream): what a batched generator
  // (engine/philox_batch.h) needs to compute the same draws.
  const Philox::key_type& key() const { return key_; }
  std::uint32_t stream_lo() const { return stream_lo_; }
  std::uint32_t stream_hi() const { return stream_hi_; }

  // Standard normal by Box–Muller on the counter's words.
  double normal(std::uint64_t counter) const {
    auto r = bits(counter);
    const double u1 = r123::u01<double>((static_cast<std::uint64_t>(r[0]) << 32) | r[1]);
    const double u2 = r123::u01<double>((static_cast<std::uint64_t>(r[2]) << 32) | r[3]);
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
  }

 private:
  Philox::key_type key_;
  std::uint32_t stream_lo_, stream_hi_;
};

}  // namespace dgm::engine
