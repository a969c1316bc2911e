#include "tests/support/test_models.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "engine/error.h"

namespace dgm::testing {

namespace fs = std::filesystem;

engine::CompiledModel compile_text(const std::string& text, const engine::CompileOptions& options,
                                   const std::string& base_dir) {
  const engine::LoadedModel loaded = engine::parse_model_text(text, "test.pbtxt");
  return engine::compile(loaded.model, loaded.source, base_dir, options);
}

std::string compile_error(const std::string& text, const engine::CompileOptions& options,
                          const std::string& base_dir) {
  try {
    compile_text(text, options, base_dir);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

namespace {
std::string test_dir_name() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  // Keyed by the build too, so that two checkouts testing at once on one machine never share
  // (and remove) each other's scratch folders.
  std::string name =
      "dgm_test_" + std::to_string(std::hash<std::string>{}(DGM_BINARY) % 1000000007);
  if (info != nullptr) name += std::string("_") + info->test_suite_name() + "_" + info->name();
  for (char& c : name)
    if (c == '/') c = '_';
  return (fs::temp_directory_path() / name).string();
}
}  // namespace

std::string scratch_dir() {
  const fs::path dir = test_dir_name();
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir.string();
}

std::string write_file(const std::string& dir, const std::string& name,
                       const std::string& content) {
  const fs::path path = fs::path(dir) / name;
  std::ofstream out(path, std::ios::binary);
  out << content;
  return path.string();
}

namespace {
std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}
}  // namespace

CommandResult run_dgm(const std::string& args) {
  return run_shell(std::string("'") + DGM_BINARY + "' " + args);
}

std::string dgm_binary() { return DGM_BINARY; }

CommandResult run_shell(const std::string& command_line) {
  const std::string dir = test_dir_name() + "_cmd";
  fs::create_directories(dir);
  const std::string out = dir + "/stdout", err = dir + "/stderr";
  const std::string command = command_line + " >'" + out + "' 2>'" + err + "' </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(out);
  result.err = slurp(err);
  return result;
}

std::string source_path(const std::string& relative) {
  return std::string(DGM_SOURCE_DIR) + "/" + relative;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

std::string plotting_unavailable_reason() {
  // The interpreter dgm plot uses by default (tools/dgm/plotting.h).
  std::string python = std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
  if (const char* p = std::getenv("DGM_PYTHON"); p != nullptr && *p) python = p;
  const std::string check = "'" + python + "' -c 'import matplotlib, numpy' >/dev/null 2>&1";
  if (std::system(check.c_str()) == 0) return "";
  return python +
         " cannot import matplotlib and numpy: apt-get install python3-matplotlib "
         "python3-numpy (tools/quickstart.sh does)";
}

}  // namespace dgm::testing
