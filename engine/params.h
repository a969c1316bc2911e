#pragma once
// The numbers of a model, kept apart from its structure (the Graph): learning changes these
// values in place and every backend sees the change without recompiling.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dgm::engine {

struct ParamInfo {
  std::string name;
  std::vector<std::int64_t> shape;  // empty = scalar
  std::int64_t offset = 0;          // into Params::values
  std::int64_t size = 0;            // number of elements
  bool learnable = false;
};

struct Params {
  std::vector<ParamInfo> info;
  std::vector<double> values;  // all parameters, concatenated; row-major each
  // Bumped by whoever changes `values` after compilation (inference::Session::set_parameters),
  // so that anything derived from the numbers can tell whether it is current.
  std::uint64_t version = 0;

  // Index of the parameter called `name`, or -1.
  int find(std::string_view name) const;
  std::span<const double> view(int index) const {
    return {values.data() + info[index].offset, static_cast<std::size_t>(info[index].size)};
  }
  std::span<double> view(int index) {
    return {values.data() + info[index].offset, static_cast<std::size_t>(info[index].size)};
  }
};

}  // namespace dgm::engine
