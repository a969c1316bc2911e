#include "engine/resource_limits.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <vector>

#include "engine/error.h"

namespace dgm::engine {

namespace fs = std::filesystem;

std::string byte_text(std::int64_t bytes) {
  char buffer[64];
  if (bytes >= (std::int64_t{1} << 30))
    std::snprintf(buffer, sizeof buffer, "%.1f GiB", static_cast<double>(bytes) / (1 << 30));
  else if (bytes >= (std::int64_t{1} << 20))
    std::snprintf(buffer, sizeof buffer, "%.1f MiB", static_cast<double>(bytes) / (1 << 20));
  else
    std::snprintf(buffer, sizeof buffer, "%lld B", static_cast<long long>(bytes));
  return buffer;
}

void refuse_over_cap(std::string_view where, std::string_view what, std::int64_t asked,
                     std::string_view unit, std::int64_t cap, std::string_view flag,
                     const std::string& file) {
  const bool bytes = unit == "bytes";
  auto amount = [&](std::int64_t n) {
    std::string text = std::to_string(n);
    if (!unit.empty()) text += " " + std::string(unit);
    if (bytes && n >= (1 << 20)) text += " (" + byte_text(n) + ")";
    return text;
  };
  std::string message(where);
  if (!message.empty()) message += ": ";
  message += std::string(what) + " needs " +
             (asked < 0 ? "more than " + amount(std::numeric_limits<std::int64_t>::max())
                        : amount(asked)) +
             ", over the cap of " + amount(cap) + " (raise it with " + std::string(flag) + ")";
  throw Error(message, error_details(ErrorCode::kLimit,
                                     asked < 0 ? "overflow" : std::to_string(asked), {}, file));
}

std::int64_t saturating_product(std::int64_t a, std::int64_t b) {
  if (a < 0 || b < 0) return -1;
  if (a != 0 && b > std::numeric_limits<std::int64_t>::max() / a) return -1;
  return a * b;
}

std::int64_t parse_byte_count(std::string_view text) {
  std::size_t i = 0;
  std::int64_t n = 0;
  while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
    if (n > (std::numeric_limits<std::int64_t>::max() - 9) / 10) return -1;
    n = n * 10 + (text[i] - '0');
    ++i;
  }
  if (i == 0) return -1;
  std::string_view suffix = text.substr(i);
  int shift = 0;
  if (!suffix.empty()) {
    switch (suffix[0]) {
      case 'k':
      case 'K':
        shift = 10;
        break;
      case 'm':
      case 'M':
        shift = 20;
        break;
      case 'g':
      case 'G':
        shift = 30;
        break;
      case 't':
      case 'T':
        shift = 40;
        break;
      default:
        break;
    }
    if (shift != 0) suffix.remove_prefix(1);
    if (suffix == "iB" || suffix == "ib" || suffix == "B" || suffix == "b") suffix = {};
    if (!suffix.empty()) return -1;
  }
  if (n > (std::numeric_limits<std::int64_t>::max() >> shift)) return -1;
  n <<= shift;
  return n > 0 ? n : -1;
}

std::string read_file_capped(const std::string& path, std::int64_t max_bytes, std::string_view what,
                             std::string (*check_start)(std::string_view)) {
  const std::string role(what);
  std::error_code ec;
  const fs::file_status status = fs::status(path, ec);
  if (fs::is_directory(status))
    throw Error(path + ": is a directory, not a file (expected the " + role + ")",
                error_details(ErrorCode::kIo, path, {}, path));
  if (fs::is_regular_file(status)) {
    const std::uintmax_t size = fs::file_size(path, ec);
    if (!ec && size > static_cast<std::uintmax_t>(max_bytes))
      refuse_over_cap(path, "the " + role, static_cast<std::int64_t>(size), "bytes", max_bytes,
                      "--max-file-size", path);
  }
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr)
    throw Error(path + ": cannot open (" + std::string(std::strerror(errno)) + ")",
                error_details(ErrorCode::kIo, path, {}, path));
  // Read in chunks, so that a pipe or a device (/dev/zero) is refused after the cap. (stdio:
  // an ifstream takes 15 times longer to read a device in large blocks.)
  std::string text;
  constexpr std::size_t kChunk = std::size_t{1} << 20;
  std::vector<char> chunk(kChunk);
  bool error = false;
  for (;;) {
    const std::size_t got = std::fread(chunk.data(), 1, kChunk, file);
    if (text.empty() && check_start != nullptr) {
      const std::string why = check_start(std::string_view(chunk.data(), got));
      if (!why.empty()) {
        std::fclose(file);
        throw Error(path + ": " + why, error_details(ErrorCode::kParse, path, {}, path));
      }
    }
    text.append(chunk.data(), got);
    if (static_cast<std::int64_t>(text.size()) > max_bytes) {
      std::fclose(file);
      throw Error(path + ": the " + role + " is larger than the cap of " +
                      std::to_string(max_bytes) + " bytes (" + byte_text(max_bytes) +
                      "); it was read that far and refused (raise it with --max-file-size)",
                  error_details(ErrorCode::kLimit, path, {}, path));
    }
    if (got < kChunk) {
      error = std::ferror(file) != 0;
      break;
    }
  }
  std::fclose(file);
  if (error)
    throw Error(path + ": error while reading the " + role,
                error_details(ErrorCode::kIo, path, {}, path));
  return text;
}

std::int64_t chain_memory_bytes(std::int64_t chains, std::int64_t num_variables,
                                std::int64_t num_states) {
  // Per chain: its states (4 B per variable), a per-variable double (energies, scores) and a
  // per-state double (flip scores, conditional rows) for the samplers that keep them.
  const std::int64_t per_chain = 4 * num_variables + 8 * num_variables + 8 * num_states;
  return saturating_product(chains, per_chain);
}

void check_chain_limits(std::string_view where, std::int64_t chains, std::int64_t num_variables,
                        std::int64_t num_states, std::int64_t model_bytes,
                        const ResourceLimits& limits) {
  const std::string what =
      std::to_string(chains) + " chains of " + std::to_string(num_variables) + " variables";
  check_cap(where, what, saturating_product(chains, num_variables), "chain states",
            limits.max_chain_states, "--max-chain-states");
  const std::int64_t bytes = chain_memory_bytes(chains, num_variables, num_states);
  const std::int64_t total = bytes < 0 ? -1 : bytes + model_bytes;
  check_cap(where, what + " (states and sampler buffers, with the model)", total, "bytes",
            limits.max_memory_bytes, "--max-memory");
}

}  // namespace dgm::engine
