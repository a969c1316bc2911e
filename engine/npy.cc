#include "engine/npy.h"

#include <bit>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "engine/error.h"

namespace dgm::engine {

static_assert(std::endian::native == std::endian::little, "dgm's .npy code assumes little endian");

namespace {

[[noreturn]] void fail(const std::string& path, const std::string& what) {
  throw Error(path + ": " + what);
}

std::string header_value(const std::string& header, const std::string& key) {
  const auto pos = header.find("'" + key + "'");
  if (pos == std::string::npos) return {};
  auto colon = header.find(':', pos);
  if (colon == std::string::npos) return {};
  ++colon;
  while (colon < header.size() && header[colon] == ' ') ++colon;
  if (colon >= header.size()) return {};
  if (header[colon] == '\'') {
    const auto end = header.find('\'', colon + 1);
    return end == std::string::npos ? std::string() : header.substr(colon + 1, end - colon - 1);
  }
  if (header[colon] == '(') {
    const auto end = header.find(')', colon);
    return end == std::string::npos ? std::string() : header.substr(colon, end - colon + 1);
  }
  auto end = header.find_first_of(",}", colon);
  return header.substr(colon, end - colon);
}

}  // namespace

namespace {

struct NpyHeader {
  std::string dtype, shape_text;
  std::vector<std::int64_t> shape;
  std::int64_t count = 1;
  std::size_t item = 1;
  std::streamoff data_start = 0;
  std::uint32_t header_len = 0;
  int major = 1;
};

// Reads and checks the header; `in` is left at the start of the data.
NpyHeader read_header(std::istream& in, const std::string& path, bool allow_integers) {
  NpyHeader h;
  char magic[8];
  if (!in.read(magic, 8) || std::memcmp(magic, "\x93NUMPY", 6) != 0)
    fail(path, "not a NumPy .npy file (bad magic string)");
  const int major = h.major = static_cast<unsigned char>(magic[6]);
  std::uint32_t header_len = 0;
  if (major == 1) {
    unsigned char len[2];
    if (!in.read(reinterpret_cast<char*>(len), 2)) fail(path, "truncated .npy header");
    header_len = len[0] | (len[1] << 8);
  } else if (major == 2 || major == 3) {
    unsigned char len[4];
    if (!in.read(reinterpret_cast<char*>(len), 4)) fail(path, "truncated .npy header");
    header_len =
        len[0] | (len[1] << 8) | (len[2] << 16) | (static_cast<std::uint32_t>(len[3]) << 24);
  } else {
    fail(path, "unsupported .npy format version " + std::to_string(major));
  }
  if (header_len > (1u << 20)) fail(path, "implausible .npy header length");
  std::string header(header_len, '\0');
  if (!in.read(header.data(), header_len)) fail(path, "truncated .npy header");
  h.header_len = header_len;

  NpyHeader& array = h;
  array.dtype = header_value(header, "descr");
  const bool is_float = array.dtype == "<f4" || array.dtype == "<f8";
  const bool is_int = array.dtype == "|u1" || array.dtype == "<i4" || array.dtype == "<i8";
  if (!is_float && !(allow_integers && is_int))
    fail(path, "dtype '" + array.dtype + "' not supported; expected " +
                   (allow_integers ? "uint8, int32, int64, float32 or float64"
                                   : "float32 ('<f4') or float64 ('<f8')"));
  const std::string order = header_value(header, "fortran_order");
  if (order == "True") fail(path, "Fortran-ordered arrays are not supported; save with C order");
  if (order != "False") fail(path, "malformed .npy header: no valid 'fortran_order'");
  const std::string shape = header_value(header, "shape");
  // The shape is a tuple of non-negative integers: "()", "(5,)", "(3, 4)".
  static const std::regex tuple(R"(\(\s*(\d+\s*(,\s*\d+\s*)*,?\s*)?\))");
  if (!std::regex_match(shape, tuple))
    fail(path, "malformed .npy header: shape '" + shape + "' is not a tuple of integers");
  static const std::regex number(R"(\d+)");
  std::int64_t count = 1;
  for (auto it = std::sregex_iterator(shape.begin(), shape.end(), number);
       it != std::sregex_iterator(); ++it) {
    const std::string digits = it->str();
    if (digits.size() > 12) fail(path, "absurd dimension " + digits + " in .npy shape");
    const std::int64_t d = std::stoll(digits);
    array.shape.push_back(d);
    if (d != 0 && count > (std::int64_t{1} << 40) / d)
      fail(path, "array of shape " + shape + " is too large");
    count *= d;
  }
  h.shape_text = shape;
  h.count = count;
  h.item = array.dtype == "|u1" ? 1 : (array.dtype == "<f4" || array.dtype == "<i4" ? 4 : 8);
  h.data_start = in.tellg();
  return h;
}

}  // namespace

NpyArray read_npy(const std::string& path, bool allow_integers) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail(path, "cannot open .npy file (" + std::string(std::strerror(errno)) + ")");
  return read_npy(in, path, allow_integers);
}

NpyArray read_npy(std::istream& in, const std::string& path, bool allow_integers) {
  const NpyHeader h = read_header(in, path, allow_integers);
  NpyArray array;
  array.dtype = h.dtype;
  array.shape = h.shape;
  const std::int64_t count = h.count;
  const std::size_t item = h.item;
  const std::string& shape = h.shape_text;
  // Compare with the file's size before allocating: a header may lie.
  const std::streamoff data_start = h.data_start;
  in.seekg(0, std::ios::end);
  const std::streamoff available = in.tellg() - data_start;
  in.seekg(data_start);
  const auto needed = static_cast<std::streamoff>(count) * static_cast<std::streamoff>(item);
  if (available < needed)
    fail(path, "truncated data: shape " + shape + " needs " + std::to_string(needed) +
                   " bytes but the file has " + std::to_string(available));
  if (available > needed)
    fail(path,
         std::to_string(available - needed) + " unexpected bytes after the data of shape " + shape);
  std::vector<char> raw(static_cast<std::size_t>(needed));
  if (!in.read(raw.data(), static_cast<std::streamsize>(raw.size()))) fail(path, "read error");
  array.values.resize(count);
  for (std::int64_t i = 0; i < count; ++i) {
    const char* p = raw.data() + i * item;
    if (array.dtype == "<f8") {
      std::memcpy(&array.values[i], p, 8);
    } else if (array.dtype == "<f4") {
      float f;
      std::memcpy(&f, p, 4);
      array.values[i] = f;
    } else if (array.dtype == "|u1") {
      array.values[i] = static_cast<unsigned char>(*p);
    } else if (array.dtype == "<i4") {
      std::int32_t v;
      std::memcpy(&v, p, 4);
      array.values[i] = v;
    } else {
      std::int64_t v;
      std::memcpy(&v, p, 8);
      array.values[i] = static_cast<double>(v);
    }
  }
  return array;
}

void write_npy(const std::string& path, const std::vector<std::int64_t>& shape,
               const std::vector<double>& values, const std::string& dtype) {
  std::string shape_text = "(";
  for (std::size_t d = 0; d < shape.size(); ++d)
    shape_text +=
        std::to_string(shape[d]) + (shape.size() == 1 ? "," : (d + 1 < shape.size() ? ", " : ""));
  shape_text += ")";
  std::string header =
      "{'descr': '" + dtype + "', 'fortran_order': False, 'shape': " + shape_text + ", }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  if (!out) fail(path, "cannot write (" + std::string(std::strerror(errno)) + ")");
  out.write("\x93NUMPY\x01\x00", 8);
  const std::uint16_t len = static_cast<std::uint16_t>(header.size());
  out.put(static_cast<char>(len & 0xff)).put(static_cast<char>(len >> 8));
  out.write(header.data(), static_cast<std::streamsize>(header.size()));
  for (double v : values) {
    if (dtype == "<f8") {
      out.write(reinterpret_cast<const char*>(&v), 8);
    } else if (dtype == "<f4") {
      const float f = static_cast<float>(v);
      out.write(reinterpret_cast<const char*>(&f), 4);
    } else if (dtype == "<i4") {
      const std::int32_t i = static_cast<std::int32_t>(v);
      out.write(reinterpret_cast<const char*>(&i), 4);
    } else if (dtype == "|u1") {
      out.put(static_cast<char>(static_cast<std::uint8_t>(v)));
    } else {
      fail(path, "unsupported dtype '" + dtype + "' for writing");
    }
  }
  if (!out) fail(path, "write failed");
}

NpyRowWriter::NpyRowWriter(const std::string& path, std::int64_t columns, const std::string& dtype)
    : path_(path), columns_(columns), dtype_(dtype) {
  if (dtype != "|u1" && dtype != "<i4" && dtype != "<f8")
    fail(path, "unsupported dtype '" + dtype + "' for row writing");
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) fail(path, "cannot write (" + std::string(std::strerror(errno)) + ")");
  write_header();
}

NpyRowWriter::NpyRowWriter(const std::string& path, std::int64_t columns, const std::string& dtype,
                           std::int64_t keep_rows)
    : path_(path), columns_(columns), dtype_(dtype) {
  std::int64_t on_disk = 0;
  {
    std::ifstream in(path, std::ios::binary);
    if (!in)
      fail(path,
           "cannot open the samples file to append (" + std::string(std::strerror(errno)) + ")");
    const NpyHeader h = read_header(in, path, /*allow_integers=*/true);
    if (h.dtype != dtype || h.shape.size() != 2 || h.shape[1] != columns)
      fail(path, "cannot append rows of " + std::to_string(columns) + " " + dtype +
                     " values to an array of dtype '" + h.dtype + "' and shape " + h.shape_text);
    // Only a header of the layout write_header() produces can be rewritten in place.
    char rows[32];
    std::snprintf(rows, sizeof rows, "%20lld", 0LL);
    std::string expected = "{'descr': '" + dtype_ + "', 'fortran_order': False, 'shape': (" +
                           std::string(rows) + ", " + std::to_string(columns_) + "), }";
    const std::size_t unpadded = 10 + expected.size() + 1;
    if (h.major != 1 || h.header_len != expected.size() + (64 - unpadded % 64) % 64 + 1)
      fail(path, "was not written by dgm sample; cannot append to it (write to a new file)");
    in.seekg(0, std::ios::end);
    const std::streamoff bytes = in.tellg() - h.data_start;
    // Rows whole on disk; the header may lag behind them after a kill.
    on_disk = bytes / static_cast<std::streamoff>(h.item * static_cast<std::size_t>(columns));
    if (columns == 0) on_disk = h.shape[0];
    if (on_disk < keep_rows)
      fail(path, "has " + std::to_string(on_disk) + " whole rows, fewer than the " +
                     std::to_string(keep_rows) + " its saved session recorded; it was truncated");
    std::filesystem::resize_file(path, static_cast<std::uintmax_t>(h.data_start) +
                                           static_cast<std::uintmax_t>(keep_rows) * h.item *
                                               static_cast<std::uintmax_t>(columns));
  }
  file_ = std::fopen(path.c_str(), "r+b");
  if (file_ == nullptr) fail(path, "cannot write (" + std::string(std::strerror(errno)) + ")");
  rows_ = keep_rows;
  flush();
}

NpyRowWriter::~NpyRowWriter() {
  if (file_ == nullptr) return;
  try {
    flush();
  } catch (...) {
  }
  std::fclose(file_);
}

void NpyRowWriter::write_header() {
  // Fixed-width row count (20 digits) so that rewriting the header never moves the data.
  char rows[32];
  std::snprintf(rows, sizeof rows, "%20lld", static_cast<long long>(rows_));
  std::string header = "{'descr': '" + dtype_ + "', 'fortran_order': False, 'shape': (" +
                       std::string(rows) + ", " + std::to_string(columns_) + "), }";
  const std::size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  std::fseek(file_, 0, SEEK_SET);
  std::fwrite("\x93NUMPY\x01\x00", 1, 8, file_);
  const unsigned char len[2] = {static_cast<unsigned char>(header.size() & 0xff),
                                static_cast<unsigned char>(header.size() >> 8)};
  std::fwrite(len, 1, 2, file_);
  std::fwrite(header.data(), 1, header.size(), file_);
}

void NpyRowWriter::write_row(const std::int32_t* values) {
  const std::size_t item = dtype_ == "|u1" ? 1 : (dtype_ == "<i4" ? 4 : 8);
  buffer_.resize(static_cast<std::size_t>(columns_) * item);
  for (std::int64_t c = 0; c < columns_; ++c) {
    if (item == 1) {
      buffer_[c] = static_cast<unsigned char>(values[c]);
    } else if (item == 4) {
      std::memcpy(buffer_.data() + c * 4, &values[c], 4);
    } else {
      const double d = values[c];
      std::memcpy(buffer_.data() + c * 8, &d, 8);
    }
  }
  std::fseek(file_, 0, SEEK_END);
  if (std::fwrite(buffer_.data(), 1, buffer_.size(), file_) != buffer_.size())
    fail(path_, "write failed (" + std::string(std::strerror(errno)) + ")");
  ++rows_;
}

void NpyRowWriter::flush() {
  write_header();
  if (std::fflush(file_) != 0)
    fail(path_, "write failed (" + std::string(std::strerror(errno)) + ")");
}

}  // namespace dgm::engine
