#pragma once
// The registration functions of the built-in backends, called once by sampler_registry().
// (Explicit calls rather than static registrars, which linkers drop from static libraries.)
namespace dgm::inference {

void register_gibbs_samplers();  // inference/gibbs/register.cc: gibbs, random-scan-gibbs,
                                 // chromatic-gibbs, block-gibbs
void register_pmp_sampler();     // inference/pmp/register.cc: pmp
// inference/gradient/register.cc: gwg, dula, dmala
void register_gradient_samplers();

}  // namespace dgm::inference
