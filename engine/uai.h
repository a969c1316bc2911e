#pragma once
// The UAI competition model format (.uai), read into the model language and written from a
// compiled model. Format references: the UAI 2008 evaluation and UAI 2014/2016 inference
// competition pages ("Model Format", http://www.hlt.utdallas.edu/~vgogate/uai14-competition/
// modelformat.html and .../uai16-evaluation/uaiformat.html).
//
// Reading. The format is token-based: line breaks carry no meaning, but every token keeps its
// line so messages read "file.uai:12: ...". Lines whose first non-blank character is 'c' are
// comments (UAI 2016). The preamble word is MARKOV or BAYES (any case); both are read the same
// way, θ = ln(value): a BAYES function's last scope variable is the child and its table a CPT,
// which is just a potential here (log Z is 0 for normalised CPTs and no evidence). A value 0 is a
// hard zero (θ = −inf); negative, NaN, infinite or unparsable values are errors. Values too large
// or too small for a double (1e400, 1e-400) are taken in the log domain, where they are
// representable. Absurd sizes are errors before anything is allocated: at most 2^28 variables
// and 2^30 functions (the compiler's default limits), and every declared count is checked
// against what the rest of the file can hold.
//
// The mapping to the model language (proto::Model):
//   * Variables keep their UAI index as dgm variable id, so results line up with the file.
//     Consecutive variables of equal cardinality form one group. If all variables share one
//     cardinality the single group is "x" of shape [n] (variable i is "x[i]"); otherwise each
//     run is a group "x_<first index>" of shape [run length] (with cards 2 2 3 3 2 the groups
//     are x_0 = {0, 1}, x_2 = {2, 3}, x_4 = {4}; variable 3 is "x_2[1]").
//   * Zero-arity functions add ln(value) to Model.log_constant (a value 0 is an error: no state
//     would have non-zero probability, and the compiler needs a finite constant).
//   * Functions with a scope are grouped by their scope's cardinalities (in scope order, which
//     fixes arity): one `table` factor group "table_<K_1>x<K_2>..." per distinct signature, in
//     order of first appearance, with one parameter "log_table_<K_1>x<K_2>..." of shape
//     [F, K_1, ..., K_k] holding the F tables and explicit scope strings ("x[3] x[7]") in file
//     order. The scope order of each function is kept as written (it defines its table order),
//     so dgm factor ids follow the groups, not the file's function order.
//   * Cardinality 1 is rejected: dgm variables have K ≥ 2, and silently dropping a variable
//     would shift the ids of all later ones. Re-index such files before reading them.
//
// Writing (write_uai): MARKOV, the variables in id order, one function per factor in factor-id
// order with its dense table exp(θ) printed in the shortest form that reads back to the same
// double (−inf → 0), then log_constant as zero-arity functions (split into pieces of at most
// e^700 each so that the constant itself never overflows). Evidence is not part of a .uai file;
// write it with write_evidence (engine/evidence_file.h).
#include <concepts>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>

#include "dgm/model.pb.h"
#include "engine/compiled_model.h"

namespace dgm::engine {

// Reads a .uai file; throws dgm::Error ("file:line: message") on malformed input or if the file
// cannot be read.
proto::Model read_uai(const std::string& path);

// Parses the contents of a .uai file; `name` stands for the file in messages.
proto::Model parse_uai(std::string_view text, const std::string& name);

// Writes `model` as a MARKOV .uai file. Throws dgm::Error naming the factor and its group when
// a factor's dense table has more than kMaxUaiTableEntries entries, or a finite θ outside the
// range where exp(θ) is a normal double (about ±708: beyond it exp overflows, or loses precision
// and eventually turns a finite θ into a hard zero). Nothing is written when it throws.
void write_uai(const CompiledModel& model, std::ostream& out);
void write_uai(const CompiledModel& model, const std::string& path);

inline constexpr std::int64_t kMaxUaiTableEntries = std::int64_t{1} << 24;

// A whitespace tokenizer shared by the UAI readers (models and evidence): tokens are views into
// the text and know their line; 'c' comment lines are skipped.
class UaiTokenizer {
 public:
  struct Token {
    std::string_view text;  // empty at the end of the input
    std::int64_t line = 0;  // 1-based; at the end, the line of the last token
  };

  UaiTokenizer(std::string_view text, std::string name) : text_(text), name_(std::move(name)) {}

  // The next token, or an empty one at the end.
  Token next();
  Token peek();
  bool at_end() { return peek().text.empty(); }
  // An upper bound on the number of tokens left (each takes at least one character and one
  // separator); lets readers reject declared counts the file cannot hold before allocating.
  std::int64_t max_tokens_left() const {
    return static_cast<std::int64_t>(text_.size() - pos_ + 1) / 2;
  }
  // The line of the last token read by next() (1 before any).
  std::int64_t line() const { return last_line_; }
  const std::string& name() const { return name_; }

  // Reads a non-negative integer not above `max`. Throws dgm::Error at a missing, malformed or
  // too large token; `what` names the number in that message ("the number of variables"), and
  // may be a callable making the name, so that hot loops build no strings.
  std::int64_t next_count(std::int64_t max, std::string_view what) {
    return next_count(max, [what] { return std::string(what); });
  }
  template <std::invocable What>
  std::int64_t next_count(std::int64_t max, const What& what) {
    const Token t = next();
    const std::int64_t value = parse_count(t.text);
    if (value < 0 || value > max) fail_count(t, what(), max);
    return value;
  }
  // The value of a non-negative integer token; INT64_MAX if it is one too large to represent,
  // −1 if it is not one.
  static std::int64_t parse_count(std::string_view text);

  // Throws dgm::Error "name:line: message".
  [[noreturn]] void fail(std::int64_t line, const std::string& message) const;

  // Quotes a token for a message, truncated to a readable length: 'abc'.
  static std::string quote(std::string_view token);
  // Reads a whole file; throws dgm::Error naming the path if it cannot.
  static std::string read_file(const std::string& path);

 private:
  void skip_space_and_comments();
  [[noreturn]] void fail_count(const Token& token, const std::string& what, std::int64_t max) const;

  std::string_view text_;
  std::string name_;
  std::size_t pos_ = 0;
  std::int64_t line_ = 1;       // where the scan is
  std::int64_t last_line_ = 1;  // of the last token returned by next()
  bool has_peeked_ = false;
  Token peeked_;
};

}  // namespace dgm::engine
