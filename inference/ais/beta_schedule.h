#pragma once
// The inverse temperatures β_0 = 0 < β_1 < … < β_K = 1 of annealed importance sampling
// (Neal 2001, "Annealed importance sampling").
//
// The default is the schedule of Salakhutdinov & Murray (2008, "On the quantitative analysis
// of deep belief networks", §4.2): 14,501 βs, spaced 10⁻³ from 0 to 0.5 (500 steps), 10⁻⁴ from
// 0.5 to 0.9 (4,000 steps) and 10⁻⁵ from 0.9 to 1 (10,000 steps): finer where p_β changes
// fastest as the weights are switched on. A schedule of another length K keeps that shape, its
// K − 1 steps divided between the three segments in the proportions 500 : 4,000 : 10,000
// (a schedule of fewer than 4 βs is spaced evenly).
#include <cstdint>
#include <span>
#include <vector>

namespace dgm::inference {

// The number of βs of Salakhutdinov & Murray's schedule.
inline constexpr std::int64_t kSalakhutdinovMurrayBetas = 14501;

// The schedule of `count` βs (count ≥ 2) in the shape above; count = 14,501 gives exactly
// Salakhutdinov & Murray's. Throws dgm::Error for count < 2.
std::vector<double> annealing_schedule(std::int64_t count = kSalakhutdinovMurrayBetas);

// Checks a schedule given explicitly: at least two βs, the first 0, the last 1, strictly
// increasing, none NaN. Throws dgm::Error naming the first offending position and value.
void validate_schedule(std::span<const double> betas);

}  // namespace dgm::inference
