#pragma once
// NumPy .npy files (format versions 1–3): reading float arrays for parameters and writing
// arrays of samples and results.
#include <cstdint>
#include <cstdio>
#include <iosfwd>
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
// With `allow_integers`, uint8 ('|u1'), int32 ('<i4') and int64 ('<i8') arrays (states) are
// read as well.
NpyArray read_npy(const std::string& path, bool allow_integers = false);
// The same from a seekable stream; `path` names it in messages.
NpyArray read_npy(std::istream& in, const std::string& path, bool allow_integers = false);

// Writes a C-ordered array. `dtype` is "<f8", "<f4", "<i4" or "|u1"; values are converted.
void write_npy(const std::string& path, const std::vector<std::int64_t>& shape,
               const std::vector<double>& values, const std::string& dtype = "<f8");

// Writes a 2-D array row by row, keeping the file a valid .npy after every flush(): the header
// reserves room for the row count and is rewritten with the rows written so far, so a run that
// is interrupted leaves a readable file of what it drew.
class NpyRowWriter {
 public:
  // `dtype` is "|u1" or "<i4" (states) or "<f8".
  NpyRowWriter(const std::string& path, std::int64_t columns, const std::string& dtype);
  // Appends to a file an earlier NpyRowWriter wrote, after its first `keep_rows` rows: rows
  // beyond them (written after the last checkpoint of an interrupted run) are cut off, since
  // the continued run draws them again. Throws dgm::Error, touching nothing, when the file is
  // not such a file, has another dtype or width, or holds fewer than `keep_rows` whole rows.
  NpyRowWriter(const std::string& path, std::int64_t columns, const std::string& dtype,
               std::int64_t keep_rows);
  ~NpyRowWriter();
  NpyRowWriter(const NpyRowWriter&) = delete;
  NpyRowWriter& operator=(const NpyRowWriter&) = delete;

  void write_row(const std::int32_t* values);
  // Rewrites the header with the current row count and flushes to the file.
  void flush();
  std::int64_t rows() const { return rows_; }

 private:
  void write_header();
  std::string path_;
  std::int64_t columns_;
  std::string dtype_;
  std::int64_t rows_ = 0;
  std::FILE* file_ = nullptr;
  std::vector<unsigned char> buffer_;
};

}  // namespace dgm::engine
