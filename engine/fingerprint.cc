#include "engine/fingerprint.h"

#include <span>
#include <type_traits>

namespace dgm::engine {
namespace {

class Fnv1a {
 public:
  void bytes(const void* data, std::size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    for (std::size_t i = 0; i < n; ++i) {
      hash_ ^= p[i];
      hash_ *= 0x100000001b3ULL;
    }
  }
  template <typename T>
  void values(std::span<const T> v) {
    static_assert(std::is_trivially_copyable_v<T>);
    const std::uint64_t size = v.size();
    bytes(&size, sizeof size);  // lengths too, so that [1, 2] + [3] differs from [1] + [2, 3]
    bytes(v.data(), v.size_bytes());
  }
  template <typename T>
  void value(const T& v) {
    values(std::span<const T>(&v, 1));
  }
  std::uint64_t result() const { return hash_; }

 private:
  std::uint64_t hash_ = 0xcbf29ce484222325ULL;
};

}  // namespace

std::uint64_t structure_fingerprint(const CompiledModel& model) {
  Fnv1a h;
  const Graph& g = *model.graph;
  h.values(std::span<const std::int32_t>(g.cardinality));
  h.values(std::span<const std::int64_t>(g.factor_offsets));
  h.values(std::span<const std::int32_t>(g.factor_vars));
  h.values(std::span<const std::int32_t>(g.enum_configs));
  for (const factors::FactorBlock& b : g.blocks) {
    h.value(static_cast<int>(b.kind));
    h.value(static_cast<int>(b.potential));
    h.value(b.first_factor);
    h.value(b.num_factors);
    h.value(b.param);
    h.value(b.param_offset);
    h.value(b.param_stride);
  }
  h.values(std::span<const std::int32_t>(model.evidence));
  h.value(model.params.values.size());
  return h.result();
}

std::uint64_t parameter_fingerprint(const Params& params) {
  Fnv1a h;
  h.values(std::span<const double>(params.values));
  return h.result();
}

std::uint64_t states_fingerprint(std::span<const std::int32_t> values) {
  Fnv1a h;
  h.values(values);
  return h.result();
}

}  // namespace dgm::engine
