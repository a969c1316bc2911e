#pragma once
// A set of grey-level images with class labels, as the MNIST-like datasets store them: one
// byte of intensity per pixel (0 = background, 255 = full ink), row-major, image after image.
// `dgm data` reads one, selects the examples of a split and binarises them into a Dataset.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace dgm::learning::datasets {

struct ImageSet {
  std::string source;  // where the images came from, for messages
  std::int64_t rows = 0, cols = 0;
  std::vector<std::uint8_t> pixels;  // size() × rows × cols intensities
  std::vector<std::uint8_t> labels;  // one class per image
  // The image's number in its whole dataset (Fashion-MNIST's test images follow its 60,000
  // training images). It keys the image's random draws, so that sampled binarisation of an
  // image does not depend on the split it lands in.
  std::vector<std::int64_t> ids;

  std::int64_t size() const { return static_cast<std::int64_t>(labels.size()); }
  std::int64_t pixels_per_image() const { return rows * cols; }
  std::span<const std::uint8_t> image(std::int64_t i) const {
    return {pixels.data() + i * pixels_per_image(), static_cast<std::size_t>(pixels_per_image())};
  }
};

// The images order[first], ..., order[first + count − 1] of `images`, in that order. Throws
// dgm::Error naming the source when the range or an index is out of bounds.
ImageSet select(const ImageSet& images, std::span<const std::int64_t> order, std::int64_t first,
                std::int64_t count);

// Images per class (labels 0..9; larger labels grow the vector).
std::vector<std::int64_t> class_counts(const ImageSet& images);

}  // namespace dgm::learning::datasets
