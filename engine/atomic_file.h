#pragma once
// Writing a file so that it is always either the old or the new version, never half of one
// (a checkpoint, a learned model): the bytes go to a hidden temporary file in the same folder
// (".NAME.tmp"), which is flushed and renamed over the target — rename is atomic within a
// file system. A failure removes the temporary file and leaves the target untouched.
#include <functional>
#include <string>
#include <string_view>

namespace dgm::engine {

// Throws dgm::Error naming the file when it cannot be written or replaced.
void write_file_atomically(const std::string& path, std::string_view bytes);

// The same for writers that take a path: `write` writes the temporary file it is given.
// Exceptions from `write` propagate after the temporary file is removed.
void write_file_atomically(const std::string& path,
                           const std::function<void(const std::string& temporary)>& write);

}  // namespace dgm::engine
