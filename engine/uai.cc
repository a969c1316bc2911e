#include "engine/uai.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <ostream>
#include <sstream>
#include <vector>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "factors/factor_eval.h"
#include "factors/infinity.h"
#include "factors/table_layout.h"

namespace dgm::engine {

namespace {

constexpr double kLn10 = 2.302585092994045684;

// Same bounds as the compiler's defaults (CompileOptions), so that a file the compiler would
// refuse is refused before its arrays are built.
constexpr std::int64_t kMaxVariables = std::int64_t{1} << 28;
constexpr std::int64_t kMaxFunctions = std::int64_t{1} << 30;
// A protobuf repeated field holds at most INT_MAX elements.
constexpr std::int64_t kMaxGroupValues = std::numeric_limits<int>::max();

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

// θ = ln(value) of a table entry, or a reason why the token is not a valid entry.
struct LogValue {
  double theta = 0.0;
  const char* error = nullptr;  // null when valid
};

LogValue classify(double v) {
  if (std::isnan(v)) return {0.0, "is not a number"};
  if (std::isinf(v)) return {0.0, "is infinite"};
  if (v < 0) return {0.0, "is negative"};
  return {v == 0 ? kNegInf : std::log(v), nullptr};
}

LogValue parse_log_value(std::string_view token) {
  if (!token.empty() && token.front() == '+') token.remove_prefix(1);
  const char* begin = token.data();
  const char* end = begin + token.size();
  double v = 0.0;
  auto [ptr, ec] = std::from_chars(begin, end, v, std::chars_format::general);
  if (ptr != end || (ec != std::errc() && ec != std::errc::result_out_of_range)) {
    return {0.0, "is not a number"};
  }
  if (ec == std::errc()) return classify(v);
  // Out of the range of a double (1e400, 1e-400): the log is still representable, so take
  // mantissa and decimal exponent apart.
  const std::size_t e = token.find_first_of("eE");
  if (e == std::string_view::npos) return {0.0, "is out of the range of a double"};
  double mantissa = 0.0;
  auto m = std::from_chars(begin, begin + e, mantissa, std::chars_format::fixed);
  std::string_view exponent_text = token.substr(e + 1);
  if (!exponent_text.empty() && exponent_text.front() == '+') exponent_text.remove_prefix(1);
  std::int64_t exponent = 0;
  auto x =
      std::from_chars(exponent_text.data(), exponent_text.data() + exponent_text.size(), exponent);
  if (m.ec != std::errc() || m.ptr != begin + e || x.ec != std::errc() ||
      x.ptr != exponent_text.data() + exponent_text.size()) {
    return {0.0, "is out of the range of a double"};
  }
  LogValue mant = classify(mantissa);
  if (mant.error != nullptr || mantissa == 0) return mant;
  return {mant.theta + static_cast<double>(exponent) * kLn10, nullptr};
}

std::string join_cards(const std::vector<std::int32_t>& cards) {
  std::string s;
  for (std::size_t j = 0; j < cards.size(); ++j) {
    if (j > 0) s += 'x';
    s += std::to_string(cards[j]);
  }
  return s;
}

// Shortest decimal text that reads back to the same double.
void append_double(std::string& out, double v) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out.append(buf, ptr);
}

// Where factor f of a compiled model is, for messages: "factor 12 (group 'pairs', scope
// x[3] x[4])".
std::string describe_factor(const Graph& g, const factors::FactorBlock& block, std::int64_t f) {
  std::string s = "factor " + std::to_string(f) + " (group '" + block.name + "', scope";
  for (std::int32_t v : g.scope(f)) s += " " + g.variable_name(v);
  return s + ")";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// UaiTokenizer

void UaiTokenizer::skip_space_and_comments() {
  bool line_start = pos_ == 0 || text_[pos_ - 1] == '\n';
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == '\n') {
      ++line_;
      line_start = true;
      ++pos_;
    } else if (is_space(c)) {
      ++pos_;
    } else if (line_start && (c == 'c' || c == 'C')) {
      while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    } else {
      return;
    }
  }
}

UaiTokenizer::Token UaiTokenizer::peek() {
  if (!has_peeked_) {
    skip_space_and_comments();
    const std::size_t begin = pos_;
    while (pos_ < text_.size() && !is_space(text_[pos_])) ++pos_;
    // End-of-input errors point at the last token, not at trailing blank lines.
    peeked_ = {text_.substr(begin, pos_ - begin), begin == pos_ ? last_line_ : line_};
    has_peeked_ = true;
  }
  return peeked_;
}

UaiTokenizer::Token UaiTokenizer::next() {
  Token t = peek();
  has_peeked_ = false;
  if (!t.text.empty()) last_line_ = t.line;
  return t;
}

std::int64_t UaiTokenizer::parse_count(std::string_view text) {
  if (text.empty() || text.front() == '-') return -1;
  std::int64_t value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ptr != text.data() + text.size()) return -1;
  if (ec == std::errc::result_out_of_range) return INT64_MAX;
  return ec == std::errc() ? value : -1;
}

void UaiTokenizer::fail_count(const Token& token, const std::string& what, std::int64_t max) const {
  if (token.text.empty()) fail(token.line, "expected " + what + ", found the end of the file");
  if (parse_count(token.text) < 0) {
    fail(token.line, "expected " + what + " (a non-negative integer), found " + quote(token.text));
  }
  fail(token.line,
       what + " is " + quote(token.text) + ", more than the limit " + std::to_string(max));
}

void UaiTokenizer::fail(std::int64_t line, const std::string& message) const {
  throw Error(name_ + ":" + std::to_string(line) + ": " + message);
}

std::string UaiTokenizer::quote(std::string_view token) {
  constexpr std::size_t kMax = 40;
  // Control bytes (a NUL would end the message where it is printed) are shown as \xNN.
  std::string out = "'";
  for (const char c : token.substr(0, kMax)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) {
      static constexpr char kHex[] = "0123456789abcdef";
      out += "\\x";
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out + (token.size() > kMax ? "...'" : "'");
}

std::string UaiTokenizer::read_file(const std::string& path) {
  // A directory opens as an empty stream on Linux: it would read as an empty file.
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    throw Error(path + ": is a directory, not a file",
                error_details(ErrorCode::kIo, path, {}, path));
  std::ifstream in(path, std::ios::binary);
  if (!in) throw Error(path + ": cannot open the file for reading");
  std::ostringstream buffer;
  buffer << in.rdbuf();
  if (in.bad()) throw Error(path + ": error while reading the file");
  return std::move(buffer).str();
}

// ---------------------------------------------------------------------------------------------
// Reading

proto::Model read_uai(const std::string& path) {
  return parse_uai(UaiTokenizer::read_file(path), path);
}

proto::Model parse_uai(std::string_view text, const std::string& name) {
  UaiTokenizer in(text, name);

  // --- preamble ---
  const UaiTokenizer::Token head = in.next();
  const std::string kind = upper(head.text);
  if (kind != "MARKOV" && kind != "BAYES") {
    in.fail(head.line, "expected the network type MARKOV or BAYES, found " +
                           (head.text.empty() ? std::string("the end of the file")
                                              : UaiTokenizer::quote(head.text)));
  }

  const std::int64_t n = in.next_count(kMaxVariables, "the number of variables");
  if (n > in.max_tokens_left()) {
    in.fail(in.line(), "the file declares " + std::to_string(n) +
                           " variables but is too short to list their cardinalities");
  }
  std::vector<std::int32_t> cards(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    const std::int64_t k = in.next_count(std::numeric_limits<std::int32_t>::max(), [i] {
      return "the cardinality of variable " + std::to_string(i);
    });
    if (k < 2) {
      in.fail(in.line(), "variable " + std::to_string(i) + " has cardinality " + std::to_string(k) +
                             "; dgm variables need at least 2 states (re-index the file "
                             "without the variables of one state)");
    }
    cards[i] = static_cast<std::int32_t>(k);
  }

  const std::int64_t num_functions = in.next_count(kMaxFunctions, "the number of functions");
  if (num_functions > in.max_tokens_left()) {
    in.fail(in.line(), "the file declares " + std::to_string(num_functions) +
                           " functions but is too short to hold their scopes");
  }
  std::vector<std::int64_t> scope_offsets{0};
  std::vector<std::int32_t> scope_vars;
  scope_offsets.reserve(static_cast<std::size_t>(num_functions) + 1);
  std::vector<std::int64_t> last_seen(static_cast<std::size_t>(n), -1);  // function id
  for (std::int64_t f = 0; f < num_functions; ++f) {
    auto fname = [f] { return "function " + std::to_string(f); };
    const std::int64_t arity = in.next_count(std::numeric_limits<std::int32_t>::max(),
                                             [&] { return "the scope size of " + fname(); });
    if (arity > n) {
      in.fail(in.line(), "the scope of " + fname() + " has " + std::to_string(arity) +
                             " variables, but the model has only " + std::to_string(n) +
                             " and a scope cannot repeat one");
    }
    for (std::int64_t j = 0; j < arity; ++j) {
      const UaiTokenizer::Token t = in.peek();
      const std::int64_t v = in.next_count(std::numeric_limits<std::int32_t>::max(), [&] {
        return "a variable index in the scope of " + fname();
      });
      if (v >= n) {
        in.fail(t.line, "variable index " + UaiTokenizer::quote(t.text) + " in the scope of " +
                            fname() + " is out of range (the model has " + std::to_string(n) +
                            " variables, 0.." + std::to_string(n - 1) + ")");
      }
      if (last_seen[v] == f) {
        in.fail(t.line,
                "variable " + std::to_string(v) + " appears twice in the scope of " + fname());
      }
      last_seen[v] = f;
      scope_vars.push_back(static_cast<std::int32_t>(v));
    }
    scope_offsets.push_back(static_cast<std::int64_t>(scope_vars.size()));
  }

  // --- the model: variable groups (runs of equal cardinality) ---
  proto::Model model;
  model.set_description("Read from " + name + " (UAI " + kind + "): " + std::to_string(n) +
                        " variables, " + std::to_string(num_functions) + " functions.");
  std::vector<std::string> refs(static_cast<std::size_t>(n));  // reference of each variable
  {
    bool single_run = true;
    for (std::int64_t i = 1; i < n; ++i) single_run = single_run && cards[i] == cards[0];
    std::int64_t begin = 0;
    while (begin < n) {
      std::int64_t end = begin + 1;
      while (end < n && cards[end] == cards[begin]) ++end;
      const std::string group = single_run ? "x" : "x_" + std::to_string(begin);
      proto::VariableGroup* vg = model.add_variables();
      vg->set_name(group);
      vg->add_shape(end - begin);
      vg->set_cardinality(cards[begin]);
      for (std::int64_t i = begin; i < end; ++i) {
        refs[i] = group + "[" + std::to_string(i - begin) + "]";
      }
      begin = end;
    }
  }

  // --- factor groups: one per distinct scope signature, in order of first appearance ---
  struct GroupBuild {
    proto::FactorGroup* group = nullptr;
    proto::Parameter* param = nullptr;
    std::vector<std::int32_t> signature;  // the scope's cardinalities
    std::int64_t num_factors = 0;
  };
  std::vector<GroupBuild> groups;
  std::vector<std::int32_t> group_of(static_cast<std::size_t>(num_functions), -1);
  {
    std::map<std::vector<std::int32_t>, std::int32_t> by_signature;
    std::vector<std::int32_t> sig;
    for (std::int64_t f = 0; f < num_functions; ++f) {
      sig.clear();
      for (std::int64_t p = scope_offsets[f]; p < scope_offsets[f + 1]; ++p) {
        sig.push_back(cards[scope_vars[p]]);
      }
      if (sig.empty()) continue;  // zero-arity: goes to log_constant
      auto [it, inserted] = by_signature.emplace(sig, static_cast<std::int32_t>(groups.size()));
      if (inserted) {
        GroupBuild b;
        const std::string suffix = join_cards(sig);
        b.group = model.add_factors();
        b.group->set_name("table_" + suffix);
        b.param = model.add_parameters();
        b.param->set_name("log_table_" + suffix);
        b.group->mutable_table()->set_log_potentials(b.param->name());
        b.signature = sig;
        groups.push_back(std::move(b));
      }
      GroupBuild& b = groups[it->second];
      ++b.num_factors;
      group_of[f] = it->second;
      std::string scope;
      for (std::int64_t p = scope_offsets[f]; p < scope_offsets[f + 1]; ++p) {
        if (!scope.empty()) scope += ' ';
        scope += refs[scope_vars[p]];
      }
      b.group->add_scope(std::move(scope));
    }
    for (GroupBuild& b : groups) {
      b.param->add_shape(b.num_factors);
      for (std::int32_t k : b.signature) b.param->add_shape(k);
    }
  }

  // --- function tables, in the order of the preamble ---
  double log_constant = 0.0;
  std::vector<std::int32_t> fcards;
  for (std::int64_t f = 0; f < num_functions; ++f) {
    auto fname = [f] { return "function " + std::to_string(f); };
    fcards.clear();
    for (std::int64_t p = scope_offsets[f]; p < scope_offsets[f + 1]; ++p) {
      fcards.push_back(cards[scope_vars[p]]);
    }
    const std::int64_t expected = factors::table_size(fcards);
    const UaiTokenizer::Token count_token = in.peek();
    const std::int64_t count = in.next_count(std::numeric_limits<std::int64_t>::max(), [&] {
      return "the number of entries of the table of " + fname();
    });
    if (count != expected) {
      std::string cards_text =
          fcards.empty() ? "no variables" : "cardinalities " + join_cards(fcards);
      in.fail(count_token.line,
              "the table of " + fname() + " declares " + UaiTokenizer::quote(count_token.text) +
                  " entries, but its scope (" + cards_text + ") needs " +
                  (expected < 0 ? std::string("more than 2^63") : std::to_string(expected)));
    }
    if (count > in.max_tokens_left()) {
      in.fail(count_token.line, "the table of " + fname() + " declares " + std::to_string(count) +
                                    " entries, more than the rest of the file holds");
    }
    proto::Parameter* param = nullptr;
    if (group_of[f] >= 0) {
      param = groups[group_of[f]].param;
      if (param->value_size() + count > kMaxGroupValues) {
        in.fail(count_token.line, "the tables of factor group '" +
                                      groups[group_of[f]].group->name() +
                                      "' exceed 2^31 values; dgm cannot hold them in one "
                                      "parameter");
      }
    }
    for (std::int64_t e = 0; e < count; ++e) {
      const UaiTokenizer::Token t = in.next();
      if (t.text.empty()) {
        in.fail(t.line, "the table of " + fname() + " ends after " + std::to_string(e) + " of " +
                            std::to_string(count) + " entries (end of the file)");
      }
      const LogValue lv = parse_log_value(t.text);
      if (lv.error != nullptr) {
        in.fail(t.line, "entry " + std::to_string(e) + " of the table of " + fname() + ", " +
                            UaiTokenizer::quote(t.text) + ", " + lv.error +
                            "; table entries are finite non-negative numbers");
      }
      if (param != nullptr) {
        param->add_value(lv.theta);
      } else if (lv.theta == kNegInf) {
        in.fail(t.line, "the zero-arity " + fname() + " has value " + UaiTokenizer::quote(t.text) +
                            ", which gives every state probability zero");
      } else {
        log_constant += lv.theta;
      }
    }
  }
  const UaiTokenizer::Token rest = in.next();
  if (!rest.text.empty()) {
    in.fail(rest.line, "unexpected " + UaiTokenizer::quote(rest.text) +
                           " after the last function table (the file declares " +
                           std::to_string(num_functions) +
                           (num_functions == 1 ? " function)" : " functions)"));
  }
  model.set_log_constant(log_constant);
  return model;
}

// ---------------------------------------------------------------------------------------------
// Writing

namespace {

// The whole .uai text; built before anything is written, so that an error leaves no
// half-written file.
std::string format_uai(const CompiledModel& model) {
  const Graph& g = *model.graph;
  const std::string origin = model.source.empty() ? std::string("model") : model.source;
  const std::int32_t n = g.num_variables();
  const std::int64_t num_factors = g.num_factors();

  // Blocks in factor-id order (blocks are contiguous ranges of ids).
  std::vector<const factors::FactorBlock*> blocks;
  for (const auto& b : g.blocks) blocks.push_back(&b);
  std::sort(blocks.begin(), blocks.end(),
            [](const auto* a, const auto* b) { return a->first_factor < b->first_factor; });

  // The constant as zero-arity functions of at most e^700 each: exp(log_constant) alone may
  // overflow when many factors were folded into it.
  const double c = g.log_constant;
  if (!std::isfinite(c)) {
    throw Error(origin + ": cannot write a UAI file: the model's log_constant is " +
                std::to_string(c));
  }
  std::vector<double> constant_pieces;
  if (c != 0) {
    const auto pieces = static_cast<std::int64_t>(std::ceil(std::abs(c) / 700.0));
    constant_pieces.assign(static_cast<std::size_t>(pieces),
                           std::exp(c / static_cast<double>(pieces)));
  }

  std::string text = "MARKOV\n" + std::to_string(n) + "\n";
  for (std::int32_t v = 0; v < n; ++v) {
    if (v > 0) text += ' ';
    text += std::to_string(g.cardinality[v]);
  }
  text +=
      "\n" + std::to_string(num_factors + static_cast<std::int64_t>(constant_pieces.size())) + "\n";
  for (std::int64_t f = 0; f < num_factors; ++f) {
    auto scope = g.scope(f);
    text += std::to_string(scope.size());
    for (std::int32_t v : scope) {
      text += ' ';
      text += std::to_string(v);
    }
    text += '\n';
  }
  for (std::size_t p = 0; p < constant_pieces.size(); ++p) text += "0\n";

  const double max_theta = std::log(std::numeric_limits<double>::max());
  const double min_theta = std::log(std::numeric_limits<double>::min());
  std::vector<double> table;
  for (const factors::FactorBlock* block : blocks) {
    for (std::int64_t r = 0; r < block->num_factors; ++r) {
      const std::int64_t f = block->first_factor + r;
      const std::vector<std::int32_t> cards = g.scope_cards(f);
      const std::int64_t size = factors::table_size(cards, kMaxUaiTableEntries);
      if (size < 0) {
        throw Error(origin + ": cannot write a UAI file: " + describe_factor(g, *block, f) +
                    " has a dense table of more than 2^24 entries, and UAI stores every "
                    "factor as a dense table");
      }
      table.resize(static_cast<std::size_t>(size));
      factors::fill_table(*block, r, model.params.values, g.enum_configs, cards, table);
      text += '\n' + std::to_string(size) + '\n';
      const std::int32_t row = cards.empty() ? 1 : cards.back();
      for (std::int64_t i = 0; i < size; ++i) {
        const double theta = table[i];
        if (std::isnan(theta) || theta > max_theta || (theta != kNegInf && theta < min_theta)) {
          std::ostringstream msg;
          msg << origin << ": cannot write a UAI file: " << describe_factor(g, *block, f)
              << " has log-potential " << theta << " at table entry " << i
              << "; UAI stores exp(θ), which must be a normal double (|θ| below about 708)";
          throw Error(msg.str());
        }
        append_double(text, theta == kNegInf ? 0.0 : std::exp(theta));
        text += (i + 1) % row == 0 ? '\n' : ' ';
      }
    }
  }
  for (double value : constant_pieces) {
    text += "\n1\n";
    append_double(text, value);
    text += '\n';
  }
  return text;
}

}  // namespace

void write_uai(const CompiledModel& model, std::ostream& out) {
  out << format_uai(model);
  if (!out) throw Error(model.source + ": error while writing the UAI file");
}

void write_uai(const CompiledModel& model, const std::string& path) {
  write_file_atomically(path, format_uai(model));
}

}  // namespace dgm::engine
