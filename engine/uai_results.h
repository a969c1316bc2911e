#pragma once
// Writers for the UAI competition result files, as read by the UAI 2014 and later evaluators
// ("Result file format", http://www.hlt.utdallas.edu/~vgogate/uai14-competition/resformat.html;
// unchanged at https://uaicompetition.github.io/uai-competition-dev/file-formats/result-format):
// a first line naming the task, then one solution line. Each writer emits a single solution
// (the format's "-BEGIN-" separator for anytime solvers is not used):
//   MAR   "n K_1 p_1,0 ... p_1,K_1−1 K_2 ..."   every variable's marginal, in variable order
//   MPE   "n x_1 ... x_n"                       every variable's state (also written "MAP")
//   PR    "log10 Z"                             base 10 (dgm computes natural logs)
// The UAI 2010 files put the number of evidence samples on a line of its own after the task;
// that older layout is not written.
// Numbers are printed in the shortest form that reads back to the same double.
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string_view>

#include "engine/graph.h"

namespace dgm::engine {

// MAR: `marginals` holds P(x_v = k) at graph.state_offset[v] + k. Throws dgm::Error if its
// size is not graph.state_offset[n].
void write_uai_mar(const Graph& graph, std::span<const double> marginals, std::ostream& out);

// MPE (or MAP: `task` is the word on the first line, "MPE" by default; the UAI 2014 pages use
// both): one state per variable. Throws dgm::Error on a wrong size or a state outside 0..K−1.
void write_uai_mpe(const Graph& graph, std::span<const std::int32_t> state, std::ostream& out,
                   std::string_view task = "MPE");

// PR: `log_z` is the natural log of the partition function (of the evidence, Pr(e), when
// variables are clamped); the file gets log10.
void write_uai_pr(double log_z, std::ostream& out);

}  // namespace dgm::engine
