// An application embedding dgm: builds a model in code, compiles it, asks for log Z.
#include <cmath>
#include <cstdio>

#include "dgm.h"

int main() {
  const auto loaded = dgm::engine::parse_model_text(R"(
    variables { name: "s" shape: [8] cardinality: 2 }
    parameters { name: "J" value: 0.5 }
    factors { name: "b" ising { coupling: "J" } lattice { group: "s" periodic: true } })",
                                                    "ring.pbtxt");
  const auto model = dgm::engine::compile(loaded.model, loaded.source, "");
  const double log_z = dgm::inference::exact_log_z(model);
  // Ring of n spins: Z = (2 cosh J)^n + (2 sinh J)^n.
  const double expected =
      std::log(std::pow(2 * std::cosh(0.5), 8) + std::pow(2 * std::sinh(0.5), 8));
  std::printf("log Z = %.12f (closed form %.12f)\n", log_z, expected);
  return std::abs(log_z - expected) < 1e-9 ? 0 : 1;
}
