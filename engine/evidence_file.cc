#include "engine/evidence_file.h"

#include <charconv>
#include <fstream>
#include <limits>
#include <optional>
#include <ostream>
#include <sstream>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/uai.h"

namespace dgm::engine {

namespace {

struct Number {
  std::int32_t value = 0;
  std::int64_t line = 0;
  std::string_view text;
};

// The outcome of reading the numbers in one layout: the samples, or why they do not fit.
struct Reading {
  std::vector<EvidenceSample> samples;
  std::optional<std::pair<std::int64_t, std::string>> error;  // line, message
};

// Reads "N v_1 x_1 ... v_N x_N" at numbers[pos], advancing pos; false with `error` set if
// the numbers run out.
bool read_sample(const std::vector<Number>& numbers, std::size_t& pos, EvidenceSample& sample,
                 Reading& reading, const std::string& what) {
  const Number& count = numbers[pos++];
  const std::size_t pairs_left = (numbers.size() - pos) / 2;
  if (static_cast<std::size_t>(count.value) > pairs_left) {
    reading.error = {{numbers.back().line, what + " declares " + std::to_string(count.value) +
                                               " observed variables, but the file ends after " +
                                               std::to_string(pairs_left) +
                                               " (variable, value) pairs"}};
    return false;
  }
  sample.reserve(static_cast<std::size_t>(count.value));
  for (std::int32_t i = 0; i < count.value; ++i) {
    sample.emplace_back(numbers[pos].value, numbers[pos + 1].value);
    pos += 2;
  }
  return true;
}

void expect_end(const std::vector<Number>& numbers, std::size_t pos, Reading& reading,
                const std::string& what) {
  if (pos < numbers.size()) {
    reading.error = {{numbers[pos].line,
                      "unexpected " + UaiTokenizer::quote(numbers[pos].text) + " after " + what}};
  }
}

Reading read_single(const std::vector<Number>& numbers) {
  Reading r;
  std::size_t pos = 0;
  EvidenceSample sample;
  if (!read_sample(numbers, pos, sample, r, "the evidence line")) return r;
  r.samples.push_back(std::move(sample));
  expect_end(numbers, pos, r, "the declared (variable, value) pairs");
  return r;
}

Reading read_multi(const std::vector<Number>& numbers) {
  Reading r;
  std::size_t pos = 1;
  const std::int32_t num_samples = numbers[0].value;
  // Each sample takes at least one number: a count beyond that cannot be right, and must not
  // be reserved.
  if (static_cast<std::size_t>(num_samples) > numbers.size() - 1) {
    r.error = {{numbers[0].line, "the file declares " + std::to_string(num_samples) +
                                     " evidence samples but holds at most " +
                                     std::to_string(numbers.size() - 1)}};
    return r;
  }
  r.samples.resize(static_cast<std::size_t>(num_samples));
  for (std::int32_t s = 0; s < num_samples; ++s) {
    if (pos >= numbers.size()) {
      r.error = {{numbers.back().line, "the file declares " + std::to_string(num_samples) +
                                           " evidence samples but ends after " +
                                           std::to_string(s)}};
      return r;
    }
    if (!read_sample(numbers, pos, r.samples[s], r, "evidence sample " + std::to_string(s))) {
      return r;
    }
  }
  expect_end(numbers, pos, r, "the " + std::to_string(num_samples) + " declared evidence samples");
  return r;
}

}  // namespace

std::vector<EvidenceSample> read_evidence_file(const std::string& path) {
  return parse_evidence(UaiTokenizer::read_file(path), path);
}

std::vector<EvidenceSample> parse_evidence(std::string_view text, const std::string& name) {
  UaiTokenizer in(text, name);
  std::vector<Number> numbers;
  while (!in.at_end()) {
    const UaiTokenizer::Token t = in.peek();
    const std::int64_t v = in.next_count(std::numeric_limits<std::int32_t>::max(),
                                         "a variable index, a state or a count");
    numbers.push_back({static_cast<std::int32_t>(v), t.line, t.text});
  }
  if (numbers.empty()) return {EvidenceSample{}};

  std::size_t first_line_tokens = 0;
  while (first_line_tokens < numbers.size() && numbers[first_line_tokens].line == numbers[0].line) {
    ++first_line_tokens;
  }
  const bool looks_multi = first_line_tokens == 1 && numbers.size() > 1;

  Reading single = read_single(numbers);
  Reading multi = read_multi(numbers);
  const bool single_ok = !single.error.has_value();
  const bool multi_ok = !multi.error.has_value();
  Reading& chosen = single_ok && multi_ok ? (looks_multi ? multi : single)
                    : single_ok           ? single
                    : multi_ok            ? multi
                    : looks_multi         ? multi
                                          : single;
  if (chosen.error) {
    in.fail(
        chosen.error->first,
        chosen.error->second +
            (&chosen == &multi ? " (read as the multi-sample layout: the number of samples, then "
                                 "\"N v_1 x_1 ...\" per sample)"
                               : " (read as the single-sample layout \"N v_1 x_1 ... v_N x_N\")"));
  }
  return std::move(chosen.samples);
}

void apply_evidence(CompiledModel& model, const EvidenceSample& evidence,
                    const std::string& source) {
  const Graph& g = *model.graph;
  const std::int32_t n = g.num_variables();
  std::vector<std::int32_t> clamped = model.evidence;
  if (clamped.empty()) clamped.assign(static_cast<std::size_t>(n), kFree);
  if (clamped.size() != static_cast<std::size_t>(n)) {
    throw Error(source + ": the model's evidence covers " + std::to_string(clamped.size()) +
                " variables, but the model has " + std::to_string(n));
  }
  const std::vector<std::int32_t>& before = model.evidence;
  for (const auto& [v, x] : evidence) {
    if (v < 0 || v >= n) {
      throw Error(source + ": evidence names variable " + std::to_string(v) +
                  ", but the model has " + std::to_string(n) + " variables (0.." +
                  std::to_string(n - 1) + ")");
    }
    const std::int32_t k = g.cardinality[v];
    auto var = [&g, v = v] {
      return "variable " + std::to_string(v) + " (" + g.variable_name(v) + ")";
    };
    if (x < 0 || x >= k) {
      throw Error(source + ": evidence gives " + var() + " the value " + std::to_string(x) +
                  ", but its cardinality is " + std::to_string(k) + " (values 0.." +
                  std::to_string(k - 1) + ")");
    }
    if (clamped[v] != kFree && clamped[v] != x) {
      const bool by_model = !before.empty() && before[v] == clamped[v];
      throw Error(source + ": evidence gives " + var() + " the value " + std::to_string(x) +
                  ", but " + (by_model ? "the model" : "an earlier entry") +
                  " already clamps it to " + std::to_string(clamped[v]));
    }
    clamped[v] = x;
  }
  model.evidence = std::move(clamped);
}

void write_evidence(const CompiledModel& model, std::ostream& out) {
  std::string line = std::to_string(model.num_clamped());
  for (std::size_t v = 0; v < model.evidence.size(); ++v) {
    if (model.evidence[v] == kFree) continue;
    line += " " + std::to_string(v) + " " + std::to_string(model.evidence[v]);
  }
  out << line << '\n';
  if (!out) throw Error(model.source + ": error while writing the evidence");
}

void write_evidence(const CompiledModel& model, const std::string& path) {
  std::ostringstream text;
  write_evidence(model, text);
  write_file_atomically(path, text.str());
}

}  // namespace dgm::engine
