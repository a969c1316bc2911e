#include "inference/ais/beta_schedule.h"

#include <cmath>
#include <string>

#include "engine/error.h"

namespace dgm::inference {

namespace {

std::string number(double x) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.17g", x);
  return buf;
}

// Appends `steps` evenly spaced βs after `from` (excluded) up to `to` (included).
void append_segment(std::vector<double>& betas, double from, double to, std::int64_t steps) {
  for (std::int64_t s = 1; s <= steps; ++s)
    betas.push_back(
        s == steps ? to : from + (to - from) * static_cast<double>(s) / static_cast<double>(steps));
}

}  // namespace

std::vector<double> annealing_schedule(std::int64_t count) {
  if (count < 2)
    throw Error("ais: the schedule needs at least 2 βs (0 and 1); got " + std::to_string(count),
                error_details(ErrorCode::kBadValue, std::to_string(count)));
  std::vector<double> betas = {0.0};
  betas.reserve(static_cast<std::size_t>(count));
  const std::int64_t steps = count - 1;
  if (count < 4) {
    append_segment(betas, 0.0, 1.0, steps);
    return betas;
  }
  // Proportions 500 : 4,000 : 10,000 of the steps, each segment at least one step.
  const std::int64_t first = std::max<std::int64_t>(1, (steps * 500 + 7250) / 14500);
  const std::int64_t second =
      std::max<std::int64_t>(1, std::min(steps - first - 1, (steps * 4000 + 7250) / 14500));
  append_segment(betas, 0.0, 0.5, first);
  append_segment(betas, 0.5, 0.9, second);
  append_segment(betas, 0.9, 1.0, steps - first - second);
  return betas;
}

void validate_schedule(std::span<const double> betas) {
  if (betas.size() < 2)
    throw Error(
        "ais: a β schedule needs at least 2 values (0 and 1); got " + std::to_string(betas.size()),
        error_details(ErrorCode::kBadValue, std::to_string(betas.size())));
  if (betas.front() != 0.0)
    throw Error("ais: a β schedule must start at 0; β[0] = " + number(betas.front()),
                error_details(ErrorCode::kBadValue, number(betas.front())));
  if (betas.back() != 1.0)
    throw Error("ais: a β schedule must end at 1; β[" + std::to_string(betas.size() - 1) +
                    "] = " + number(betas.back()),
                error_details(ErrorCode::kBadValue, number(betas.back())));
  for (std::size_t k = 1; k < betas.size(); ++k)
    if (!(betas[k] > betas[k - 1]))  // also catches NaN
      throw Error("ais: a β schedule must increase strictly; β[" + std::to_string(k) +
                      "] = " + number(betas[k]) + " after β[" + std::to_string(k - 1) +
                      "] = " + number(betas[k - 1]),
                  error_details(ErrorCode::kBadValue, number(betas[k])));
}

}  // namespace dgm::inference
