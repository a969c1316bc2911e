#pragma once
// Deterministic shuffles for splitting a dataset: the same (n, seed, part) gives the same order
// on every machine, from Philox streams (engine/random.h), so a split is reproducible from its
// seed alone.
#include <cstdint>
#include <vector>

namespace dgm::learning::datasets {

// A permutation of 0..n−1: the indices sorted by a 64-bit Philox key each (ties, which are
// practically impossible, by index). `part` separates shuffles that share a seed, e.g. of a
// dataset's training and test files.
std::vector<std::int64_t> shuffled_order(std::int64_t n, std::uint64_t seed, std::uint64_t part);

}  // namespace dgm::learning::datasets
