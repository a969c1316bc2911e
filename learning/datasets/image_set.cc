#include "learning/datasets/image_set.h"

#include <algorithm>

#include "engine/error.h"

namespace dgm::learning::datasets {

ImageSet select(const ImageSet& images, std::span<const std::int64_t> order, std::int64_t first,
                std::int64_t count) {
  const auto available = static_cast<std::int64_t>(order.size());
  if (first < 0 || count < 0 || first + count > available)
    throw Error(images.source + ": images " + std::to_string(first) + ".." +
                std::to_string(first + count - 1) + " requested, the order has " +
                std::to_string(available));
  ImageSet out;
  out.source = images.source;
  out.rows = images.rows;
  out.cols = images.cols;
  out.pixels.reserve(static_cast<std::size_t>(count * images.pixels_per_image()));
  for (std::int64_t k = first; k < first + count; ++k) {
    const std::int64_t i = order[k];
    if (i < 0 || i >= images.size())
      throw Error(images.source + ": image index " + std::to_string(i) + " out of range (" +
                  std::to_string(images.size()) + " images)");
    const auto image = images.image(i);
    out.pixels.insert(out.pixels.end(), image.begin(), image.end());
    out.labels.push_back(images.labels[i]);
    out.ids.push_back(images.ids[i]);
  }
  return out;
}

std::vector<std::int64_t> class_counts(const ImageSet& images) {
  std::vector<std::int64_t> counts(10, 0);
  for (const std::uint8_t label : images.labels) {
    if (label >= counts.size()) counts.resize(label + 1, 0);
    ++counts[label];
  }
  return counts;
}

}  // namespace dgm::learning::datasets
