#pragma once
// Work in honest units: what a sampler computed, counted the same way for every sampler, so
// that a comparison per unit of work cannot be won by doing less per "sweep" (a sweep of
// single-site Gibbs and a GWG step differ by orders of magnitude in what they compute).
//
//   factor evaluations  one factor's log-potential at one configuration. Computing variable
//                       v's conditional (a Gibbs update, a row of flip scores, a block-Gibbs
//                       unit) evaluates each factor of v at each of v's K_v states:
//                       K_v · deg(v) evaluations, however the code computes them (a table
//                       lookup, a local field, a column of a matrix product);
//   messages            belief-propagation message updates (one message, all its states); a
//                       message over K states also counts K factor evaluations (PMP's decimation
//                       repairs of invalid decodings are not counted);
//   flops               floating-point operations of the dense products (RBM paths; a
//                       multiply-add counts 2).
// Samplers fill SweepStats::{factor_evaluations, messages, flops} with these; where a count
// depends on which variables a proposal picks, samplers use the average over free variables
// (said in their headers).
#include <cstdint>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::inference {

// K_v · deg(v) for every variable (clamped ones included).
std::vector<std::int64_t> conditional_costs(const engine::Graph& graph);

// Σ over the model's free variables of K_v · deg(v): the evaluations of one single-site sweep.
std::int64_t free_conditional_cost(const engine::CompiledModel& model);

// The average over free variables v of the cost of v's conditional and its neighbours'
// (what an incremental score update after moving v recomputes); 0 without free variables.
double mean_rescore_cost(const engine::CompiledModel& model);

// Messages of one parallel BP iteration on the factor graph: one factor→variable and one
// variable→factor message per (factor, free or clamped scope position).
std::int64_t bp_messages_per_iteration(const engine::Graph& graph);

}  // namespace dgm::inference
