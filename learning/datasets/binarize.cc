#include "learning/datasets/binarize.h"

#include <cmath>
#include <cstdio>

#include "engine/error.h"
#include "engine/random.h"
#include "learning/datasets/streams.h"

namespace dgm::learning::datasets {

namespace {

std::string number_text(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", x);
  return buf;
}

}  // namespace

std::string binarize_method_name(BinarizeMethod method) {
  return method == BinarizeMethod::kThreshold ? "threshold" : "sample";
}

BinarizeMethod parse_binarize_method(const std::string& name) {
  if (name == "threshold") return BinarizeMethod::kThreshold;
  if (name == "sample") return BinarizeMethod::kSample;
  throw Error("unknown binarisation '" + name + "'; the choices are threshold, sample",
              error_details(ErrorCode::kUnknownName, name, {"threshold", "sample"}));
}

std::string describe(const BinarizeOptions& options) {
  if (options.method == BinarizeMethod::kThreshold) {
    const std::string t = number_text(options.threshold);
    return "threshold " + t + " of intensity/255 (pixel = 1 when intensity/255 > " + t + ")";
  }
  return "sampling Bernoulli(intensity/255) with seed " + std::to_string(options.seed) +
         " (Philox, one stream per image id)";
}

void validate(const BinarizeOptions& options) {
  if (options.method == BinarizeMethod::kThreshold &&
      !(options.threshold >= 0.0 && options.threshold <= 1.0))
    throw Error("binarisation threshold " + number_text(options.threshold) +
                    " is not in [0, 1] (intensities are scaled to [0, 1] as intensity/255)",
                error_details(ErrorCode::kBadValue, number_text(options.threshold)));
}

Dataset binarize(const ImageSet& images, const BinarizeOptions& options) {
  validate(options);
  Dataset data;
  data.source = images.source;
  data.num_examples = images.size();
  data.width = images.pixels_per_image();
  data.shape = {images.size(), images.rows, images.cols};
  data.values.resize(images.pixels.size());
  // A byte is 1 above the threshold: the smallest such intensity, found once.
  int first_on = 256;
  for (int k = 255; k >= 0 && k / 255.0 > options.threshold; --k) first_on = k;
  for (std::int64_t i = 0; i < images.size(); ++i) {
    const auto image = images.image(i);
    std::int32_t* out = data.values.data() + i * data.width;
    if (options.method == BinarizeMethod::kThreshold) {
      for (std::size_t p = 0; p < image.size(); ++p) out[p] = image[p] >= first_on ? 1 : 0;
      continue;
    }
    const auto id = static_cast<std::uint64_t>(images.ids[i]);
    if (id >= kMaxImageId)
      throw Error(images.source + ": image id " + std::to_string(id) +
                  " is too large for the binarisation streams (ids < 2^40)");
    const engine::CounterRng rng(options.seed, binarize_stream(id));
    // One 32-bit word per pixel, four per Philox call; u ∈ (0, 1], so intensity 0 never
    // turns on and 255 always does.
    for (std::size_t p = 0; p < image.size(); p += 4) {
      const auto words = rng.bits(p / 4);
      for (std::size_t w = 0; w < 4 && p + w < image.size(); ++w)
        out[p + w] = engine::CounterRng::uniform_word(words[w]) <= image[p + w] / 255.0f ? 1 : 0;
    }
  }
  return data;
}

Dataset labels_dataset(const ImageSet& images) {
  Dataset data;
  data.source = images.source;
  data.num_examples = images.size();
  data.width = 1;
  data.shape = {images.size()};
  data.values.assign(images.labels.begin(), images.labels.end());
  return data;
}

}  // namespace dgm::learning::datasets
