#pragma once
// What the benchmark programs share: the table of figures the final report reads, and the
// argument set every benchmark runs with (threads 1 and 2, wall time, at least 1 s).
#include <benchmark/benchmark.h>

#include <map>
#include <string>

namespace dgm::bench {

// Figures by benchmark name and thread count (a rate, or a time per step: each program says
// which), kept across repetitions so the report can use the best one.
inline std::map<std::string, std::map<int, double>>& figures() {
  static std::map<std::string, std::map<int, double>> f;
  return f;
}

// Argument = number of threads (1 and 2), wall time, at least 1 s per benchmark.
inline void on_1_and_2_threads(benchmark::internal::Benchmark* b) {
  b->Arg(1)->Arg(2)->ArgName("threads")->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(1.0);
}

}  // namespace dgm::bench
