#pragma once
// Variable references in model files: "s" (the whole group), "s[7]" (flat row-major index),
// "s[2,3]" (multi-index), and space-separated lists of them. See proto/dgm/model.proto.
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/graph.h"

namespace dgm::engine {

class VariableResolver {
 public:
  explicit VariableResolver(const std::vector<VariableGroupInfo>& groups);

  // Index of the group called `name`, or -1.
  int find_group(std::string_view name) const;

  // Appends the variables of one reference to `out`. Throws dgm::Error with `context` in the
  // message when the reference is malformed, names an unknown group or is out of range.
  void resolve(std::string_view ref, std::vector<std::int32_t>& out,
               const std::string& context) const;

  // Appends the variables of a space-separated list of references.
  void resolve_list(std::string_view refs, std::vector<std::int32_t>& out,
                    const std::string& context) const;

  // "a, b, c" (at most a few), for messages listing the valid choices.
  std::string group_names() const;

 private:
  const std::vector<VariableGroupInfo>& groups_;
  std::unordered_map<std::string, int> index_;
};

}  // namespace dgm::engine
