#pragma once
// A compiled model: the immutable structure (Graph, shared), the numbers (Params, mutable by
// learning) and the evidence (clamped states). This is what every backend takes.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine/graph.h"
#include "engine/params.h"

namespace dgm::engine {

inline constexpr std::int32_t kFree = -1;  // evidence value of a variable that is not clamped

struct CompiledModel {
  std::shared_ptr<const Graph> graph;
  Params params;
  // Per variable: the clamped state, or kFree.
  std::vector<std::int32_t> evidence;
  // The file the model came from ("" when built in code); used in messages.
  std::string source;

  std::int64_t num_clamped() const {
    std::int64_t n = 0;
    for (std::int32_t e : evidence) n += e != kFree;
    return n;
  }
};

}  // namespace dgm::engine
