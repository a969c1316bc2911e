#pragma once
// Whether two paths name the same file: the check every command makes before writing an
// output, so that no output is ever written over one of its inputs.
#include <filesystem>
#include <string>
#include <system_error>

namespace dgm::cli {

// The same existing file (hard links and symlinks included), or the same path once made
// canonical when either does not exist yet.
inline bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

}  // namespace dgm::cli
