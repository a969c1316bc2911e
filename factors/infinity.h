#pragma once
// The infinities, named once for all of dgm. In the log domain −∞ is log 0: the log-potential
// of an impossible configuration (a hard zero). dgm keeps it exact everywhere — in tables,
// conditionals, messages and beliefs — and never replaces it by a finite floor.
#include <limits>

namespace dgm {

inline constexpr double kNegInf = -std::numeric_limits<double>::infinity();
inline constexpr double kPosInf = std::numeric_limits<double>::infinity();

}  // namespace dgm
