#include "inference/bp/bp_params.h"

#include <cmath>
#include <sstream>
#include <string>

#include "engine/error.h"

namespace dgm::inference::bp {

BpParams bp_params(const proto::BeliefPropagationConfig& config, BpPurpose purpose) {
  BpParams p;
  switch (purpose) {
    case BpPurpose::kMarginals:
      break;
    case BpPurpose::kMap:
      p.temperature = 0.0;
      break;
    case BpPurpose::kPmp:
      p.temperature = 0.0;
      p.max_iterations = 100;
      p.tolerance = 0.0;
      break;
  }
  switch (config.schedule()) {
    case proto::BeliefPropagationConfig::SEQUENTIAL:
      p.schedule = Schedule::kSequential;
      break;
    case proto::BeliefPropagationConfig::RESIDUAL:
      p.schedule = Schedule::kResidual;
      break;
    default:
      p.schedule = Schedule::kFlooding;
      break;
  }
  if (config.max_iterations() != 0) p.max_iterations = config.max_iterations();
  if (config.has_damping()) p.damping = config.damping();
  if (config.has_tolerance()) p.tolerance = config.tolerance();
  if (config.has_temperature()) p.temperature = config.temperature();
  return p;
}

namespace {

std::string number_text(double x) {
  std::ostringstream out;
  out << x;
  return out.str();
}

}  // namespace

void validate(const BpParams& p) {
  if (!(p.damping >= 0.0 && p.damping < 1.0)) {
    throw Error("BP damping must be in [0, 1) (got " + number_text(p.damping) + ")");
  }
  if (!(p.tolerance >= 0.0) || std::isinf(p.tolerance)) {
    throw Error("BP tolerance must be finite and ≥ 0 (got " + number_text(p.tolerance) + ")");
  }
  // Below 1e-3 (other than 0) the scaled kernels divide by T and would overflow or invent hard
  // zeros; such temperatures are max-product for every practical purpose.
  if (!(p.temperature == 0.0 || (p.temperature >= 1e-3 && p.temperature <= 1e6))) {
    throw Error("BP temperature must be 0 (max-product) or in [0.001, 1e6] (got " +
                number_text(p.temperature) + ")");
  }
  if (p.max_iterations < 1) {
    throw Error("BP iterations must be ≥ 1 (got " + std::to_string(p.max_iterations) + ")");
  }
}

}  // namespace dgm::inference::bp
