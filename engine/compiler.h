#pragma once
// The compiler: validates a proto::Model and expands its factor groups into the flat IR.
#include <cstdint>
#include <string>

#include "engine/compiled_model.h"
#include "engine/resource_limits.h"
#include "engine/source_map.h"

namespace dgm::proto {
class Model;
}

namespace dgm::engine {

// Limits that turn absurd inputs into clear errors instead of exhausted memory: the resource
// caps (engine/resource_limits.h: variables, factors, table entries, file size, memory; the
// compiler refuses a model whose estimated structure passes max_memory_bytes before
// allocating it) and the compiler's own bounds below.
struct CompileOptions : ResourceLimits {
  std::int64_t max_parameter_elements = std::int64_t{1} << 26;  // per parameter
  std::int32_t max_cardinality = 1 << 16;                       // states per variable
  std::int64_t max_enumeration_rows = std::int64_t{1} << 24;    // per enumeration group
  // Entries of the interaction graph (Σ over factors of k(k−1), k the factor's arity).
  std::int64_t max_interaction_entries = std::int64_t{1} << 28;
  bool analyse = true;  // run the graph analyses (colouring, components, bipartite, forest)
};

// Compiles `model`. `source` names where its parts came from (for messages); `base_dir` is the
// directory against which .npy paths are resolved. Throws dgm::Error on invalid input.
CompiledModel compile(const proto::Model& model, const SourceMap& source,
                      const std::string& base_dir, const CompileOptions& options = {});

}  // namespace dgm::engine
