#include "engine/variable_refs.h"

#include <charconv>

#include "engine/error.h"

namespace dgm::engine {

VariableResolver::VariableResolver(const std::vector<VariableGroupInfo>& groups) : groups_(groups) {
  for (std::size_t i = 0; i < groups.size(); ++i)
    index_.emplace(groups[i].name, static_cast<int>(i));
}

int VariableResolver::find_group(std::string_view name) const {
  auto it = index_.find(std::string(name));
  return it == index_.end() ? -1 : it->second;
}

std::string VariableResolver::group_names() const {
  std::string names;
  for (std::size_t i = 0; i < groups_.size() && i < 12; ++i)
    names += (i ? ", '" : "'") + groups_[i].name + "'";
  if (groups_.size() > 12) names += ", ...";
  return names.empty() ? "(none declared)" : names;
}

namespace {
std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}
}  // namespace

void VariableResolver::resolve(std::string_view ref, std::vector<std::int32_t>& out,
                               const std::string& context) const {
  const std::string_view original = ref;
  ref = trim(ref);
  auto bad = [&](const std::string& why) -> Error {
    return Error(context + ": variable reference '" + std::string(original) + "': " + why);
  };
  const auto open = ref.find('[');
  const std::string_view name = trim(ref.substr(0, open));
  if (name.empty()) throw bad("no group name");
  const int g = find_group(name);
  if (g < 0) {
    std::vector<std::string> names;
    for (const auto& group : groups_) names.push_back(group.name);
    throw Error(context + ": variable reference '" + std::string(original) +
                    "': unknown variable group '" + std::string(name) + "'; groups are " +
                    group_names(),
                error_details(ErrorCode::kUnknownName, std::string(name), std::move(names)));
  }
  const VariableGroupInfo& group = groups_[g];
  if (open == std::string_view::npos) {
    for (std::int32_t i = 0; i < group.size; ++i) out.push_back(group.first + i);
    return;
  }
  if (ref.back() != ']') throw bad("missing closing ']'");
  std::string_view inside = ref.substr(open + 1, ref.size() - open - 2);
  std::vector<std::int64_t> index;
  while (true) {
    const auto comma = inside.find(',');
    const std::string_view part = trim(inside.substr(0, comma));
    std::int64_t value = -1;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || ec != std::errc() || ptr != part.data() + part.size() || value < 0)
      throw bad("index '" + std::string(part) + "' is not a non-negative integer");
    index.push_back(value);
    if (comma == std::string_view::npos) break;
    inside.remove_prefix(comma + 1);
  }
  std::int64_t flat = 0;
  if (index.size() == 1) {
    flat = index[0];
    if (flat >= group.size)
      throw bad("index " + std::to_string(flat) + " out of range; group '" + group.name + "' has " +
                std::to_string(group.size) + " variables");
  } else if (index.size() == group.shape.size()) {
    for (std::size_t d = 0; d < index.size(); ++d) {
      if (index[d] >= group.shape[d])
        throw bad("index " + std::to_string(index[d]) + " out of range in dimension " +
                  std::to_string(d) + " of size " + std::to_string(group.shape[d]));
      flat = flat * group.shape[d] + index[d];
    }
  } else {
    throw bad(std::to_string(index.size()) + " indices for a group of " +
              std::to_string(group.shape.size()) +
              " dimensions; give one flat index or one per dimension");
  }
  out.push_back(group.first + static_cast<std::int32_t>(flat));
}

void VariableResolver::resolve_list(std::string_view refs, std::vector<std::int32_t>& out,
                                    const std::string& context) const {
  std::size_t start = 0;
  int depth = 0;
  bool in_token = false;
  for (std::size_t i = 0; i <= refs.size(); ++i) {
    const char c = i < refs.size() ? refs[i] : ' ';
    const bool space = (c == ' ' || c == '\t' || c == '\n') && depth == 0;
    if (c == '[') ++depth;
    if (c == ']' && --depth < 0)
      throw Error(context + ": unbalanced ']' in '" + std::string(refs) + "'");
    if (space) {
      if (in_token) resolve(refs.substr(start, i - start), out, context);
      in_token = false;
    } else if (!in_token) {
      in_token = true;
      start = i;
    }
  }
  if (depth != 0) throw Error(context + ": unbalanced '[' in '" + std::string(refs) + "'");
}

}  // namespace dgm::engine
