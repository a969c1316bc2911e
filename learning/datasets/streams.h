#pragma once
// The Philox streams of dataset preparation (purpose kDataset in engine/random.h): one per
// image for sampled binarisation, one per shuffled part. Image ids stay below 2^40, so the two
// kinds never share a stream even when the binarisation and shuffle seeds are equal.
#include <cstdint>

#include "engine/random.h"

namespace dgm::learning::datasets {

inline constexpr std::uint64_t kMaxImageId = std::uint64_t{1} << 40;

// The stream of image `id`'s Bernoulli draws (counter = pixel / 4, one 32-bit word a pixel).
inline std::uint64_t binarize_stream(std::uint64_t id) {
  return engine::stream_id(engine::StreamPurpose::kDataset, id);
}

// The stream of the shuffle of `part` (counter = the index being keyed).
inline std::uint64_t shuffle_stream(std::uint64_t part) {
  return engine::stream_id(engine::StreamPurpose::kDataset, kMaxImageId + part);
}

}  // namespace dgm::learning::datasets
