#pragma once
// Binarising grey-level images into {0, 1} examples for models of binary pixels (an RBM on
// MNIST). Intensities are scaled to [0, 1] as intensity/255; then either
//   threshold: pixel = 1 when intensity/255 > t (the literature's "pixel > 0.5"), or
//   sample:    pixel ~ Bernoulli(intensity/255), drawn from Philox with a seed; the draws of an
//              image are keyed by its id (ImageSet::ids), so a digit is binarised the same way
//              whatever split, order or count it is written with.
#include <cstdint>
#include <string>

#include "learning/dataset.h"
#include "learning/datasets/image_set.h"

namespace dgm::learning::datasets {

enum class BinarizeMethod { kThreshold, kSample };

struct BinarizeOptions {
  BinarizeMethod method = BinarizeMethod::kThreshold;
  double threshold = 0.5;  // kThreshold: in [0, 1]
  std::uint64_t seed = 0;  // kSample
};

// "threshold" or "sample"; parse_binarize_method throws dgm::Error naming the valid choices.
std::string binarize_method_name(BinarizeMethod method);
BinarizeMethod parse_binarize_method(const std::string& name);

// What was done, for people: "threshold 0.5 of intensity/255 (pixel = 1 when intensity/255 >
// 0.5)" or "sampling Bernoulli(intensity/255) with seed 7".
std::string describe(const BinarizeOptions& options);

// Throws dgm::Error for a threshold outside [0, 1] (checked before any data is read).
void validate(const BinarizeOptions& options);

// The images as a Dataset of shape [n, rows, cols] with values 0 and 1. Throws dgm::Error as
// validate() does, or for an image id ≥ 2^40.
Dataset binarize(const ImageSet& images, const BinarizeOptions& options);

// The labels as a Dataset of shape [n].
Dataset labels_dataset(const ImageSet& images);

}  // namespace dgm::learning::datasets
