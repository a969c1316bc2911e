#include "learning/datasets/idx.h"

#include <zlib.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "engine/error.h"

namespace dgm::learning::datasets {

namespace {

Error idx_error(const std::string& path, const std::string& what) {
  return Error(path + ": " + what, error_details(ErrorCode::kBadValue, {}, {}, path));
}

struct GzCloser {
  void operator()(gzFile_s* f) const { gzclose(f); }
};
using GzFile = std::unique_ptr<gzFile_s, GzCloser>;

// Reads up to `size` bytes; returns how many were read (fewer only at the end of the data).
std::size_t read_some(gzFile file, std::uint8_t* out, std::size_t size, const std::string& path) {
  std::size_t done = 0;
  while (done < size) {
    const auto chunk = static_cast<unsigned>(std::min<std::size_t>(size - done, 1u << 30));
    const int got = gzread(file, out + done, chunk);
    if (got < 0) {
      int code = 0;
      const char* message = gzerror(file, &code);
      throw idx_error(path, std::string("cannot be decompressed (") + message +
                                "): the file is not a valid gzip stream or is truncated");
    }
    if (got == 0) break;
    done += static_cast<std::size_t>(got);
  }
  return done;
}

}  // namespace

IdxArray read_idx(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw Error(path + ": no such file", error_details(ErrorCode::kIo, {}, {}, path));
  GzFile file(gzopen(path.c_str(), "rb"));
  if (!file) throw Error(path + ": cannot be opened", error_details(ErrorCode::kIo, {}, {}, path));
  gzbuffer(file.get(), 1u << 20);  // before the first read: fewer, larger reads

  std::uint8_t magic[4];
  if (read_some(file.get(), magic, 4, path) != 4)
    throw idx_error(path, "too short for an IDX header (4 bytes of magic number)");
  if (magic[0] != 0 || magic[1] != 0 || magic[3] == 0 || magic[3] > 4) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%02x%02x%02x%02x", magic[0], magic[1], magic[2], magic[3]);
    throw idx_error(path, std::string("not an IDX file: magic number 0x") + buf +
                              " (expected 0x0000TTDD: two zero bytes, the type code, 1 to 4 "
                              "dimensions)");
  }
  if (magic[2] != 0x08) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "0x%02x", magic[2]);
    throw idx_error(path, std::string("IDX type code ") + buf +
                              "; only unsigned bytes (0x08) are read (images and labels)");
  }
  IdxArray array;
  std::int64_t total = 1;
  for (int d = 0; d < magic[3]; ++d) {
    std::uint8_t b[4];
    if (read_some(file.get(), b, 4, path) != 4)
      throw idx_error(path, "truncated in the header (dimension " + std::to_string(d) + ")");
    const std::int64_t size = (std::int64_t{b[0]} << 24) | (std::int64_t{b[1]} << 16) |
                              (std::int64_t{b[2]} << 8) | std::int64_t{b[3]};
    if (size == 0 || size > INT_MAX)
      throw idx_error(path, "dimension " + std::to_string(d) + " is " + std::to_string(size));
    total *= size;
    if (total > (std::int64_t{1} << 34))
      throw idx_error(path, "the header's dimensions hold more than 2^34 values");
    array.shape.push_back(size);
  }
  array.values.resize(static_cast<std::size_t>(total));
  const std::size_t got = read_some(file.get(), array.values.data(), array.values.size(), path);
  if (got != array.values.size())
    throw idx_error(path, "truncated: the header announces " + std::to_string(total) +
                              " values, the file holds " + std::to_string(got));
  std::uint8_t extra;
  if (read_some(file.get(), &extra, 1, path) != 0)
    throw idx_error(
        path, "longer than its header says (" + std::to_string(total) + " values, then more data)");
  return array;
}

ImageSet read_idx_images(const std::string& images_path, const std::string& labels_path,
                         std::int64_t first_id) {
  IdxArray images = read_idx(images_path);
  if (images.shape.size() != 3)
    throw idx_error(images_path, "images must have 3 dimensions [n, rows, cols]; this file has " +
                                     std::to_string(images.shape.size()));
  const IdxArray labels = read_idx(labels_path);
  if (labels.shape.size() != 1)
    throw idx_error(labels_path, "labels must have 1 dimension [n]; this file has " +
                                     std::to_string(labels.shape.size()));
  if (labels.shape[0] != images.shape[0])
    throw idx_error(labels_path, std::to_string(labels.shape[0]) + " labels for " +
                                     std::to_string(images.shape[0]) + " images in " + images_path);
  for (std::size_t i = 0; i < labels.values.size(); ++i)
    if (labels.values[i] > 9)
      throw idx_error(labels_path, "label " + std::to_string(i) + " is " +
                                       std::to_string(labels.values[i]) + " (classes are 0..9)");
  ImageSet set;
  set.source = images_path;
  set.rows = images.shape[1];
  set.cols = images.shape[2];
  set.pixels = std::move(images.values);
  set.labels = labels.values;
  set.ids.resize(set.labels.size());
  for (std::size_t i = 0; i < set.ids.size(); ++i)
    set.ids[i] = first_id + static_cast<std::int64_t>(i);
  return set;
}

}  // namespace dgm::learning::datasets
