#include "learning/dataset.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>

#include "engine/error.h"
#include "engine/npy.h"

namespace dgm::learning {
namespace {

constexpr std::int64_t kMaxValues = std::int64_t{1} << 31;

std::string number(double v) {
  std::ostringstream s;
  s << v;
  return s.str();
}

std::string where(const std::string& source, std::int64_t row, std::int64_t column) {
  return source + ": row " + std::to_string(row) + ", column " + std::to_string(column);
}

Dataset read_npy_dataset(const std::string& path) {
  const engine::NpyArray array = engine::read_npy(path, /*allow_integers=*/true);
  Dataset d;
  d.source = path;
  d.shape = array.shape;
  if (array.shape.empty())
    throw Error(path + ": a scalar, not a dataset; expected shape [examples, variables]");
  if (array.shape.size() == 1)
    throw Error(path + ": shape (" + std::to_string(array.shape[0]) +
                ",) is one example or one column; expected [examples, variables] (reshape to "
                "(1, n) or (n, 1))");
  d.num_examples = array.shape[0];
  d.width = 1;
  for (std::size_t i = 1; i < array.shape.size(); ++i) d.width *= array.shape[i];
  if (d.num_examples == 0 || d.width == 0) throw Error(path + ": the dataset is empty");
  if (static_cast<std::int64_t>(array.values.size()) > kMaxValues)
    throw Error(path + ": more than 2^31 values; split the dataset");
  d.values.resize(array.values.size());
  for (std::size_t i = 0; i < array.values.size(); ++i) {
    const double v = array.values[i];
    const auto row = static_cast<std::int64_t>(i) / d.width;
    const auto column = static_cast<std::int64_t>(i) % d.width;
    if (std::isnan(v) || v != std::floor(v) || v < 0 ||
        v > std::numeric_limits<std::int32_t>::max())
      throw Error(where(path, row, column) + ": value " + number(v) +
                  " is not a state (a whole number ≥ 0)");
    d.values[i] = static_cast<std::int32_t>(v);
  }
  return d;
}

Dataset read_csv_dataset(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open (" + std::string(std::strerror(errno)) + ")");
  Dataset d;
  d.source = path;
  std::string line;
  std::int64_t line_number = 0;
  bool first = true;
  std::vector<std::string> pending_blank;  // blank lines are only allowed at the end
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.find_first_not_of(" \t") == std::string::npos) {
      pending_blank.push_back(line);
      continue;
    }
    if (!pending_blank.empty())
      throw Error(path + ":" + std::to_string(line_number - 1) + ": blank line inside the data");
    std::vector<std::string> fields;
    std::stringstream s(line);
    for (std::string field; std::getline(s, field, ',');) fields.push_back(field);
    if (!line.empty() && line.back() == ',') fields.emplace_back();
    std::vector<std::int32_t> row;
    bool numeric = true;
    std::string bad;
    for (const std::string& raw : fields) {
      const auto b = raw.find_first_not_of(" \t");
      const auto e = raw.find_last_not_of(" \t");
      const std::string f = b == std::string::npos ? "" : raw.substr(b, e - b + 1);
      char* end = nullptr;
      errno = 0;
      const long long v = f.empty() ? 0 : std::strtoll(f.c_str(), &end, 10);
      if (f.empty() || *end != '\0' || errno != 0 || v < 0 ||
          v > std::numeric_limits<std::int32_t>::max()) {
        numeric = false;
        bad = f;
        break;
      }
      row.push_back(static_cast<std::int32_t>(v));
    }
    if (!numeric) {
      if (first) {  // a header line
        first = false;
        continue;
      }
      throw Error(where(path, d.num_examples, static_cast<std::int64_t>(row.size())) + " (line " +
                  std::to_string(line_number) + "): '" + bad +
                  "' is not a state (a whole number ≥ 0)");
    }
    first = false;
    if (d.width == 0) d.width = static_cast<std::int64_t>(row.size());
    if (static_cast<std::int64_t>(row.size()) != d.width)
      throw Error(path + ":" + std::to_string(line_number) + ": row " +
                  std::to_string(d.num_examples) + " has " + std::to_string(row.size()) +
                  " values; earlier rows have " + std::to_string(d.width));
    if (static_cast<std::int64_t>(d.values.size()) + d.width > kMaxValues)
      throw Error(path + ": more than 2^31 values; split the dataset");
    d.values.insert(d.values.end(), row.begin(), row.end());
    ++d.num_examples;
  }
  if (d.num_examples == 0) throw Error(path + ": the dataset is empty (no rows of numbers)");
  d.shape = {d.num_examples, d.width};
  return d;
}

}  // namespace

Dataset read_dataset(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a dataset");
  if (!std::filesystem::exists(path, ec)) throw Error(path + ": no such file");
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") return read_npy_dataset(path);
  if (ext == ".csv") return read_csv_dataset(path);
  throw Error(path + ": unknown dataset extension '" + ext + "'; use .npy or .csv");
}

void write_dataset(const std::string& path, const Dataset& data) {
  std::int32_t largest = 0;
  for (const std::int32_t v : data.values) largest = std::max(largest, v);
  const std::vector<double> values(data.values.begin(), data.values.end());
  engine::write_npy(
      path,
      data.shape.empty() ? std::vector<std::int64_t>{data.num_examples, data.width} : data.shape,
      values, largest <= 255 ? "|u1" : "<i4");
}

VisibleLayout visible_layout(const engine::Graph& graph, std::span<const std::string> names,
                             std::int64_t width, const std::string& source) {
  VisibleLayout layout;
  auto sizes = [&] {
    std::string s;
    for (const auto& g : graph.groups)
      s += (s.empty() ? "" : ", ") + g.name + " (" + std::to_string(g.size) + ")";
    return s;
  };
  if (names.empty()) {
    // The one group of that size, else the leading groups whose sizes add up to the width.
    for (std::size_t g = 0; g < graph.groups.size(); ++g)
      if (graph.groups[g].size == width) {
        layout.groups = {static_cast<int>(g)};
        break;
      }
    if (layout.groups.empty()) {
      std::int64_t total = 0;
      for (std::size_t g = 0; g < graph.groups.size() && total < width; ++g) {
        total += graph.groups[g].size;
        layout.groups.push_back(static_cast<int>(g));
      }
      if (total != width)
        throw Error(source + ": " + std::to_string(width) +
                    " values per example match no variable group nor the leading groups in "
                    "order; groups (sizes): " +
                    sizes() + "; name the visible groups (--visible)");
    }
  } else {
    for (const std::string& name : names) {
      int found = -1;
      for (std::size_t g = 0; g < graph.groups.size(); ++g)
        if (graph.groups[g].name == name) found = static_cast<int>(g);
      if (found < 0) {
        std::string valid;
        for (const auto& g : graph.groups) valid += (valid.empty() ? "" : ", ") + g.name;
        throw Error("unknown visible group '" + name + "'; groups are: " + valid);
      }
      for (const int g : layout.groups)
        if (g == found) throw Error("visible group '" + name + "' is named twice");
      layout.groups.push_back(found);
    }
    std::int64_t total = 0;
    for (const int g : layout.groups) total += graph.groups[static_cast<std::size_t>(g)].size;
    if (total != width)
      throw Error(source + ": " + std::to_string(width) +
                  " values per example, but the visible groups hold " + std::to_string(total) +
                  " variables; groups (sizes): " + sizes());
  }
  for (const int g : layout.groups) {
    const auto& group = graph.groups[static_cast<std::size_t>(g)];
    for (std::int32_t i = 0; i < group.size; ++i) layout.variables.push_back(group.first + i);
  }
  return layout;
}

void validate_dataset(const Dataset& data, const engine::CompiledModel& model,
                      const VisibleLayout& layout) {
  const engine::Graph& g = *model.graph;
  if (static_cast<std::int64_t>(layout.variables.size()) != data.width)
    throw Error(data.source + ": " + std::to_string(data.width) + " values per example for " +
                std::to_string(layout.variables.size()) + " visible variables");
  for (std::int64_t r = 0; r < data.num_examples; ++r) {
    const std::span<const std::int32_t> x = data.example(r);
    for (std::int64_t c = 0; c < data.width; ++c) {
      const std::int32_t v = layout.variables[static_cast<std::size_t>(c)];
      if (x[c] >= g.cardinality[v])
        throw Error(where(data.source, r, c) + ": value " + std::to_string(x[c]) + " for " +
                    g.variable_name(v) + ", which has " + std::to_string(g.cardinality[v]) +
                    " states (0.." + std::to_string(g.cardinality[v] - 1) + ")");
      if (!model.evidence.empty() && model.evidence[v] != engine::kFree &&
          model.evidence[v] != x[c])
        throw Error(where(data.source, r, c) + ": value " + std::to_string(x[c]) + " for " +
                    g.variable_name(v) + ", which the model's evidence clamps to " +
                    std::to_string(model.evidence[v]));
    }
  }
}

}  // namespace dgm::learning
