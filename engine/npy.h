#pragma once
// NumPy .npy files (format versions 1–3): reading float arrays for parameters and writing
// arrays of samples and results.
#include <cstdint>
#include <string>
#include <vector>

namespace dgm::engine {

struct NpyArray {
  std::vector<std::int64_t> shape;
  std::vector<double> values;  // row-major
  std::string dtype;           // as in the file, e.g. "<f4"
};

// Reads a C-ordered little-endian float32 ('<f4') or float64 ('<f8') array. Throws dgm::Error
// naming the file and the problem (missing, not .npy, other dtype, Fortran order, truncated).
NpyArray read_npy(const std::string& path);

// Writes a C-ordered array. `dtype` is "<f8", "<f4", "<i4" or "|u1"; values are converted.
void write_npy(const std::string& path, const std::vector<std::int64_t>& shape,
               const std::vector<double>& values, const std::string& dtype = "<f8");

}  // namespace dgm::engine
