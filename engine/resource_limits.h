#pragma once
// Resource caps: how large a model file, a compiled model and a batch of chains may be. Every
// cap is checked before the memory it guards is allocated, and a refusal says what was asked,
// the cap and the `dgm` flag that raises it ("... needs 4194304 variables, over the cap of
// 2097152 (raise it with --max-variables)").
//
// The defaults take a 1000×1000 lattice (10^6 variables, 2·10^6 or, with an 8-neighbourhood,
// 4·10^6 factors) and a 784×500 RBM sampled with 10,000 chains with room to spare, and refuse
// a one-line edit such as `shape: [64, 65536]` in a second instead of minutes and gigabytes.
// Applications pass their own (dgm::CompileLimits, SessionOptions::limits); the program reads
// them from --max-file-size, --max-variables, --max-factors, --max-factor-table,
// --max-chain-states and --max-memory (docs/hardening.md).
#include <cstdint>
#include <string>
#include <string_view>

namespace dgm::engine {

struct ResourceLimits {
  // Bytes of one model or evidence file. Pipes and devices are read up to this many bytes.
  std::int64_t max_file_bytes = std::int64_t{256} << 20;
  // Variables of a model, in all groups.
  std::int64_t max_variables = std::int64_t{1} << 21;
  // Factors of a model, in all groups.
  std::int64_t max_factors = std::int64_t{1} << 23;
  // Entries of one factor's dense table (the product of its scope's cardinalities).
  std::int64_t max_table_entries = std::int64_t{1} << 24;
  // Chains × variables of a sampling run (one int32 state each).
  std::int64_t max_chain_states = std::int64_t{1} << 28;
  // Estimated bytes of a compiled model, plus the chains and the sampler's per-chain buffers
  // of a sampling run.
  std::int64_t max_memory_bytes = std::int64_t{4} << 30;
};

// Throws dgm::Error (code kLimit) "<where>: <what> needs <asked> <unit>, over the cap of
// <cap> (raise it with <flag>)"; `unit` may be empty. Byte counts are also shown as MiB/GiB.
// `file` goes into the error's fields (the compiler adds its own, with line and column).
[[noreturn]] void refuse_over_cap(std::string_view where, std::string_view what, std::int64_t asked,
                                  std::string_view unit, std::int64_t cap, std::string_view flag,
                                  const std::string& file = {});

// Throws as above when asked > cap (asked < 0 stands for "more than fits in 64 bits").
inline void check_cap(std::string_view where, std::string_view what, std::int64_t asked,
                      std::string_view unit, std::int64_t cap, std::string_view flag) {
  if (asked < 0 || asked > cap) refuse_over_cap(where, what, asked, unit, cap, flag);
}

// a · b, or -1 when it does not fit in int64 (or either is negative).
std::int64_t saturating_product(std::int64_t a, std::int64_t b);

// "1.5 GiB", "300 MiB", "512 B".
std::string byte_text(std::int64_t bytes);

// Parses a byte count for a flag: "4G", "512M", "100k", "12345" (K/M/G/T are powers of 1024;
// an optional trailing "B" or "iB" is accepted). Returns -1 if it is not one or not > 0.
std::int64_t parse_byte_count(std::string_view text);

// Reads a whole file for a reader, refusing directories, unreadable files and files over
// `max_bytes` by name: regular files by their size before anything is read, pipes and devices
// (/dev/zero) after at most max_bytes + 1 bytes. `what` names the file's role ("model file").
// `check_start`, if given, sees the first megabyte (or less) as soon as it is read and returns
// why the file cannot be one of its kind ("" if it may be), so that a device of zeros is
// refused at once rather than after reading up to the cap.
std::string read_file_capped(const std::string& path, std::int64_t max_bytes, std::string_view what,
                             std::string (*check_start)(std::string_view) = nullptr);

// Estimated bytes of the compiled model's structure (engine/graph.h, analyses included): per
// variable and per factor over `arity` variables. Used by the compiler before it allocates.
inline constexpr std::int64_t kBytesPerVariable = 64;
inline constexpr std::int64_t factor_bytes(std::int64_t arity) {
  // offsets, block index, scope, variable → factor adjacency (two ints per scope slot) and
  // the interaction graph (arity·(arity−1) ints).
  return 24 + 12 * arity + 4 * arity * (arity - 1);
}

// Estimated bytes of a sampling run's chains and per-chain buffers: the states (int32) and,
// for the samplers that keep them, per-variable and per-state doubles (flip scores, caches).
// `num_states` is Σ_v K_v. Returns -1 on overflow.
std::int64_t chain_memory_bytes(std::int64_t chains, std::int64_t num_variables,
                                std::int64_t num_states);

// Refuses a sampling run of `chains` chains over a model of `num_variables` variables and
// `num_states` states whose structure takes `model_bytes`, before its chains are allocated:
// chains × variables over max_chain_states, or the estimate over max_memory_bytes.
void check_chain_limits(std::string_view where, std::int64_t chains, std::int64_t num_variables,
                        std::int64_t num_states, std::int64_t model_bytes,
                        const ResourceLimits& limits);

}  // namespace dgm::engine
