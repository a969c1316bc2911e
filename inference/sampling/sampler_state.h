#pragma once
// A sampler's saved state: a flat byte string of typed arrays, written and read in the same
// order by one sampler class (Sampler::save_state / restore_state). Each array carries its
// element size and count, so a reader that expects another layout (a file from another version
// or another sampler) fails with a clear error instead of reading garbage. Little-endian hosts
// only, as the .npy files are.
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "engine/error.h"

namespace dgm::inference {

class SamplerStateWriter {
 public:
  template <typename T>
  void put(std::span<const T> values) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::uint64_t header[2] = {sizeof(T), values.size()};
    bytes_.append(reinterpret_cast<const char*>(header), sizeof header);
    bytes_.append(reinterpret_cast<const char*>(values.data()), values.size_bytes());
  }
  template <typename T>
  void put(const std::vector<T>& values) {
    put(std::span<const T>(values));
  }
  template <typename T>
  void put_value(const T& value) {
    put(std::span<const T>(&value, 1));
  }
  const std::string& bytes() const { return bytes_; }

 private:
  std::string bytes_;
};

class SamplerStateReader {
 public:
  // `what` names the source in errors (a checkpoint file, a sampler).
  SamplerStateReader(std::string_view bytes, std::string what)
      : bytes_(bytes), what_(std::move(what)) {}

  // The next array; `expected` ≥ 0 also checks its length.
  template <typename T>
  std::vector<T> get(std::int64_t expected = -1) {
    static_assert(std::is_trivially_copyable_v<T>);
    std::uint64_t header[2];
    take(header, sizeof header);
    if (header[0] != sizeof(T) ||
        (expected >= 0 && header[1] != static_cast<std::uint64_t>(expected)) ||
        header[1] > (bytes_.size() - pos_) / sizeof(T))
      throw Error(what_ + ": saved sampler state does not match this sampler (array " +
                  std::to_string(index_) + ")");
    std::vector<T> values(header[1]);
    take(values.data(), values.size() * sizeof(T));
    ++index_;
    return values;
  }
  template <typename T>
  T get_value() {
    return get<T>(1)[0];
  }
  // Throws unless everything was read.
  void finish() const {
    if (pos_ != bytes_.size())
      throw Error(what_ + ": saved sampler state has data this sampler does not read");
  }

 private:
  void take(void* out, std::size_t n) {
    if (n > bytes_.size() - pos_) throw Error(what_ + ": saved sampler state is truncated");
    if (n > 0) std::memcpy(out, bytes_.data() + pos_, n);
    pos_ += n;
  }
  std::string_view bytes_;
  std::string what_;
  std::size_t pos_ = 0;
  std::int64_t index_ = 0;
};

}  // namespace dgm::inference
