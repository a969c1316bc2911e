#pragma once
// Training and test data: examples of a model's visible variables, one row each, read from
// .npy or .csv and checked against the model before any training starts.
//
// Layout: a row holds the states of the visible variables, group after group, each group in
// its row-major order (the order of the variable ids). The visible groups are the ones named by
// the user, or by default the one group — or the leading groups in declaration order — whose
// total size equals the data's width. Variables not in the data are hidden (summed or sampled
// out by the learner).
//
// Files:
//   .npy  uint8, int32 or int64 (states); float32/float64 are accepted when every value is a
//         whole number (NumPy's default dtype). Shape [examples, width] or [examples, d1, d2,
//         ...] (images), flattened row-major per example.
//   .csv  one example per line, comma-separated integers; a first line that is not all
//         numbers is a header and skipped. Blank lines at the end are ignored.
// Errors name the file, the row and column (0-based, as NumPy indexes them) and the value.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::learning {

struct Dataset {
  std::string source;  // the file, for messages
  std::int64_t num_examples = 0;
  std::int64_t width = 0;            // values per example
  std::vector<std::int32_t> values;  // num_examples × width, row-major
  std::vector<std::int64_t> shape;   // as stored ([examples, ...]); images keep their shape

  std::span<const std::int32_t> example(std::int64_t i) const {
    return {values.data() + i * width, static_cast<std::size_t>(width)};
  }
};

// Reads a dataset (format by extension). Throws dgm::Error naming the file and, for bad values,
// the row and column: missing or unreadable files, other extensions, empty data, other dtypes,
// NaN or fractional values, negative values, ragged CSV rows, more than 2^31 values.
Dataset read_dataset(const std::string& path);

// Writes a dataset as .npy (uint8 when every value fits, else int32), e.g. for tests and for
// `dgm data`.
void write_dataset(const std::string& path, const Dataset& data);

// The variables the data's columns hold, in column order.
struct VisibleLayout {
  std::vector<int> groups;              // indices into Graph::groups
  std::vector<std::int32_t> variables;  // one per column
};

// Resolves the visible groups: `names` (in the order the columns hold them) or, when empty, the
// default above. Throws dgm::Error naming the width and the groups' sizes when nothing fits, or
// an unknown group with the valid names.
VisibleLayout visible_layout(const engine::Graph& graph, std::span<const std::string> names,
                             std::int64_t width, const std::string& source);

// Checks every value against its variable's cardinality and the model's evidence on visible
// variables (a clamped visible variable must have its clamped value in every example). Throws
// dgm::Error naming the file, row, column, variable and value.
void validate_dataset(const Dataset& data, const engine::CompiledModel& model,
                      const VisibleLayout& layout);

}  // namespace dgm::learning
