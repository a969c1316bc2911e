#pragma once
// Whether two paths name the same file: the check every command makes before writing an
// output, so that no output is ever written over one of its inputs.
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "engine/error.h"

namespace dgm::cli {

// The same existing file (hard links and symlinks included), or the same path once made
// canonical when either does not exist yet.
inline bool same_file(const std::string& a, const std::string& b) {
  std::error_code ec;
  if (std::filesystem::exists(a, ec) && std::filesystem::exists(b, ec))
    return std::filesystem::equivalent(a, b, ec);
  return std::filesystem::weakly_canonical(a, ec) == std::filesystem::weakly_canonical(b, ec);
}

// An input of a command, named for the error message ("the model", "the evidence").
struct NamedInput {
  std::string what;
  std::string path;  // empty: not given
};

// Refuses an output (the value `out` of `flag`) that is a directory or one of the inputs,
// before anything is written.
inline void refuse_output_over_input(const std::string& flag, const std::string& out,
                                     const std::vector<NamedInput>& inputs) {
  if (out.empty()) return;
  std::error_code ec;
  if (std::filesystem::is_directory(out, ec))
    throw Error(flag + " " + out + ": is a directory, not a file");
  for (const NamedInput& in : inputs)
    if (!in.path.empty() && same_file(out, in.path))
      throw Error(flag + " " + out + " is " + in.what + " (" + in.path +
                  "); refusing to overwrite an input");
}

}  // namespace dgm::cli
