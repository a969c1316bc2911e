#pragma once
// The Bethe approximation of log Z from sum-product (T = 1) messages, in message form
// (Yedidia, Freeman & Weiss 2005; Wainwright & Jordan 2008, §4.1):
//   log Z ≈ C + Σ_f log Z_f + Σ_v log Z_v − Σ_{(v,f)} log Z_{vf},
//   Z_f = Σ_{x_f} exp(θ_f(x_f) + Σ_{v∈f} m_{v→f}(x_v)),  Z_v = Σ_k exp(b_v(k)),
//   Z_{vf} = Σ_k exp(m_{v→f}(k) + m_{f→v}(k)).
// At a fixed point this equals the negative Bethe free energy; on a tree it is exact. Any
// per-message normalisation cancels between the terms.
#include <cstdint>

#include "inference/bp/belief_propagation.h"

namespace dgm::inference::bp {

// The estimate for one lane of `bp`, which must have run with temperature 1 (at other
// temperatures the formula is not the Bethe free energy). −inf when BP left a variable with
// no possible state (the evidence is impossible).
double bethe_log_z(const BeliefPropagation& bp, std::int32_t lane = 0);

}  // namespace dgm::inference::bp
