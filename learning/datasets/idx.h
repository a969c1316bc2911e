#pragma once
// IDX files, the format of MNIST and Fashion-MNIST (LeCun et al.): a 4-byte magic number
// (two zero bytes, a type code, the number of dimensions), the dimensions as big-endian 32-bit
// integers, then the values row-major. Files may be gzip-compressed (as distributed) or plain;
// zlib reads both.
#include <cstdint>
#include <string>
#include <vector>

#include "learning/datasets/image_set.h"

namespace dgm::learning::datasets {

struct IdxArray {
  std::vector<std::int64_t> shape;
  std::vector<std::uint8_t> values;  // row-major
};

// Reads an IDX file of unsigned bytes (type code 0x08). Throws dgm::Error naming the file:
// missing or unreadable, a corrupt gzip stream, a bad magic number, another type code, zero or
// more than 4 dimensions, a zero or huge dimension, data shorter or longer than the header says.
IdxArray read_idx(const std::string& path);

// Images from an IDX file of shape [n, rows, cols] and their labels from one of shape [n]
// (values 0..9). `first_id` is the id of the first image (ImageSet::ids). Throws dgm::Error
// naming the file for other shapes, a count that differs between the two files, or a label
// above 9.
ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path,
                         std::int64_t first_id);

}  // namespace dgm::learning::datasets
