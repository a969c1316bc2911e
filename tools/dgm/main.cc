// dgm: the command-line program. Subcommands live in *_command.cc files.
#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdint>
#include <iostream>
#include <string>
#include <vector>

#include "dgm.h"
#include "engine/cpu_dispatch.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/progress.h"

namespace {

// Edit distance (insertions, deletions, substitutions), case-insensitive.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t above = row[j];
      const bool same = std::tolower(static_cast<unsigned char>(a[i - 1])) ==
                        std::tolower(static_cast<unsigned char>(b[j - 1]));
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (same ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::vector<std::string> command_names(CLI::App& app) {
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    names.push_back(sub->get_name());
  std::sort(names.begin(), names.end());
  return names;
}

std::string command_list(CLI::App& app) {
  std::string list;
  for (const std::string& name : command_names(app)) list += (list.empty() ? "" : ", ") + name;
  return "the commands are " + list + " (`dgm COMMAND --help` describes each)";
}

// The first word of the command line when it is not a command or a program option (CLI11
// would only say "A subcommand is required"): the message names it, suggests the closest
// command and lists them. Empty when the first word is a command or there is none.
std::string unknown_command_message(CLI::App& app, int argc, char** argv) {
  if (argc < 2) return "";
  const std::string word = argv[1];
  if (word[0] == '-') {
    if (word == "-h" || word == "--help" || word == "--version") return "";
    return "unknown option '" + word + "' before the command (options follow it: dgm COMMAND " +
           "--help lists them)\n" + command_list(app);
  }
  const std::vector<std::string> names = command_names(app);
  if (std::find(names.begin(), names.end(), word) != names.end()) return "";
  std::string message = "unknown command '" + word + "'";
  // The smallest edit distance, within about a third of the word or when the word begins
  // the command ("marginal"); on a tie, a command the word begins wins ("sampler").
  std::string closest;
  std::size_t best = 0;
  bool best_extends = false;
  for (const std::string& name : names) {
    const std::size_t d = edit_distance(word, name);
    const bool extends = name.rfind(word, 0) == 0;
    if (d > word.size() / 3 + 1 && !extends) continue;
    if (closest.empty() || d < best || (d == best && extends && !best_extends)) {
      closest = name;
      best = d;
      best_extends = extends;
    }
  }
  if (!closest.empty()) message += "; did you mean '" + closest + "'?";
  return message + "\n" + command_list(app);
}

// Numbers the parser would otherwise take wrongly: CLI11 2.1 reads "-1" into an unsigned
// option as 2^64 − 1 and saturates "99999999999999999999" to the same, silently. Every
// unsigned option (seeds) must be a plain decimal that fits in 64 bits, and every limit
// (--max-*, --width-cap) must not be negative; subcommands' options are visited once, after
// registration, so options added later get the same checks.
const CLI::Validator kUnsignedDecimal(
    [](const std::string& text) -> std::string {
      std::uint64_t value = 0;
      const char* end = text.data() + text.size();
      const auto [ptr, ec] = std::from_chars(text.data(), end, value);
      if (text.empty() || ec == std::errc::result_out_of_range)
        return "'" + text + "' is not an integer from 0 to 18446744073709551615";
      if (ec != std::errc() || ptr != end)
        return "'" + text + "' is not a non-negative integer (0 to 18446744073709551615)";
      return "";
    },
    "UINT64");

const CLI::Validator kNotNegative(
    [](const std::string& text) -> std::string {
      const std::size_t first = text.find_first_not_of(" \t");
      if (first != std::string::npos && text[first] == '-')
        return "'" + text + "' is negative; a limit must be 0 or more";
      return "";
    },
    "NONNEGATIVE");

void add_number_checks(CLI::App& app) {
  for (CLI::Option* option : app.get_options()) {
    const std::string& name = option->get_name();
    if (option->get_type_name() == "UINT") option->check(kUnsignedDecimal);
    if (name.rfind("--max-", 0) == 0 || name == "--width-cap") option->check(kNotNegative);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) add_number_checks(*sub);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "dgm: discrete graphical models — check, convert, run inference on, sample and learn models"};
  app.require_subcommand(1);
  // The version and the code paths this CPU gets (engine/cpu_dispatch.h, docs/performance.md).
  app.set_version_flag(
      "--version", [] { return "dgm 0.1.0\n" + dgm::engine::dispatch_description(); },
      "Print the version and the code paths chosen for this CPU, then exit");
  dgm::cli::register_check(app);
  dgm::cli::register_exact_commands(app);
  dgm::cli::register_convert(app);
  dgm::cli::register_sample(app);
  dgm::cli::register_samplers(app);
  dgm::cli::register_learn(app);
  dgm::cli::register_data(app);
  dgm::cli::register_plot(app);
  dgm::cli::register_score(app);
  dgm::cli::register_compare(app);
  add_number_checks(app);
  if (const std::string message = unknown_command_message(app, argc, argv); !message.empty()) {
    std::cerr << "dgm: error: " << message << "\n";
    return 2;
  }
  try {
    // DGM_DISPATCH is read here, so that a bad value stops every command before any work
    // (its first reader would otherwise be a kernel deep inside a sampler).
    dgm::engine::simd_level();
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::RequiredError& e) {
    if (!app.get_subcommands().empty()) {
      app.exit(e);
      return 2;
    }
    std::cerr << "dgm: error: a command is required; " << command_list(app) << "\n";
    return 2;
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  } catch (const dgm::Error& e) {
    std::cerr << "dgm: error: " << e.what() << "\n";
    return 1;
  } catch (const std::bad_alloc&) {
    std::cerr << "dgm: error: out of memory; the model or the requested work is too large\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << "dgm: internal error: " << e.what() << "\n";
    return 3;
  }
  // A run stopped by Ctrl-C kept its files valid; 130 tells scripts it did not finish.
  return dgm::cli::InterruptGuard::requested() ? 130 : 0;
}
