#include "engine/uai_results.h"

#include <charconv>
#include <cmath>
#include <ostream>
#include <string>

#include "engine/error.h"

namespace dgm::engine {

namespace {

constexpr double kLn10 = 2.302585092994045684;

void append_double(std::string& out, double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr);
}

void finish(std::ostream& out, const std::string& text, std::string_view task) {
  out << text;
  if (!out) throw Error("error while writing the UAI " + std::string(task) + " result");
}

}  // namespace

void write_uai_mar(const Graph& graph, std::span<const double> marginals, std::ostream& out) {
  const std::int32_t n = graph.num_variables();
  if (static_cast<std::int64_t>(marginals.size()) != graph.state_offset[n]) {
    throw Error("MAR result: " + std::to_string(marginals.size()) +
                " marginal entries given, but the model's variables have " +
                std::to_string(graph.state_offset[n]) + " states in all");
  }
  std::string text = "MAR\n" + std::to_string(n);
  for (std::int32_t v = 0; v < n; ++v) {
    text += ' ';
    text += std::to_string(graph.cardinality[v]);
    for (std::int64_t i = graph.state_offset[v]; i < graph.state_offset[v + 1]; ++i) {
      text += ' ';
      append_double(text, marginals[i]);
    }
  }
  text += '\n';
  finish(out, text, "MAR");
}

void write_uai_mpe(const Graph& graph, std::span<const std::int32_t> state, std::ostream& out,
                   std::string_view task) {
  const std::int32_t n = graph.num_variables();
  if (static_cast<std::int64_t>(state.size()) != n) {
    throw Error(std::string(task) + " result: a state of " + std::to_string(state.size()) +
                " variables given, but the model has " + std::to_string(n));
  }
  std::string text = std::string(task) + "\n" + std::to_string(n);
  for (std::int32_t v = 0; v < n; ++v) {
    if (state[v] < 0 || state[v] >= graph.cardinality[v]) {
      throw Error(std::string(task) + " result: variable " + std::to_string(v) + " (" +
                  graph.variable_name(v) + ") has state " + std::to_string(state[v]) +
                  ", but its cardinality is " + std::to_string(graph.cardinality[v]));
    }
    text += ' ';
    text += std::to_string(state[v]);
  }
  text += '\n';
  finish(out, text, task);
}

void write_uai_pr(double log_z, std::ostream& out) {
  if (std::isnan(log_z)) throw Error("PR result: log Z is NaN");
  std::string text = "PR\n";
  if (std::isinf(log_z)) {
    // Pr(e) = 0 (evidence contradicting a hard zero): strtod and Python's float() read these.
    text += log_z < 0 ? "-inf" : "inf";
  } else {
    append_double(text, log_z / kLn10);
  }
  text += '\n';
  finish(out, text, "PR");
}

}  // namespace dgm::engine
