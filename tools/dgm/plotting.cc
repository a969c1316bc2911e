#include "tools/dgm/plotting.h"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "dgm.h"

extern char** environ;

namespace dgm::cli {

namespace fs = std::filesystem;

namespace {

// The script's exit status when it cannot import matplotlib or numpy (dgm_plot.py).
constexpr int kMissingLibraries = 3;

const char* kInstallHint =
    "install Debian's python3-matplotlib and python3-numpy (apt-get install python3-matplotlib "
    "python3-numpy; tools/quickstart.sh does), or set DGM_PYTHON to a Python that has them";

std::string env(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? "" : value;
}

bool is_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

}  // namespace

PlotTools find_plot_tools() {
  PlotTools tools;
  tools.python = env("DGM_PYTHON");
  if (tools.python.empty())
    tools.python = access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3" : "python3";

  std::vector<std::string> tried;
  if (const std::string script = env("DGM_PLOT_SCRIPT"); !script.empty()) {
    if (!is_file(script))
      throw Error("DGM_PLOT_SCRIPT=" + script + ": no such file (unset it to use dgm's own " +
                      "dgm_plot.py)",
                  error_details(ErrorCode::kIo, {}, {}, script));
    tools.script = script;
    return tools;
  }
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const fs::path installed = exe.parent_path().parent_path() / "share" / "dgm" / "dgm_plot.py";
    if (is_file(installed)) {
      tools.script = installed.string();
      return tools;
    }
    tried.push_back(installed.string());
  }
  if (is_file(DGM_PLOT_SCRIPT_SOURCE)) {
    tools.script = DGM_PLOT_SCRIPT_SOURCE;
    return tools;
  }
  tried.push_back(DGM_PLOT_SCRIPT_SOURCE);
  std::string list;
  for (const std::string& t : tried) list += (list.empty() ? "" : ", ") + t;
  throw Error("the plotting script dgm_plot.py was not found (looked for " + list +
                  "): install dgm (cmake --install puts it in share/dgm) or set DGM_PLOT_SCRIPT",
              error_details(ErrorCode::kIo));
}

void run_plot(const std::vector<std::string>& args, bool stdout_to_stderr) {
  const PlotTools tools = find_plot_tools();
  std::vector<std::string> words = {tools.python, tools.script};
  words.insert(words.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (stdout_to_stderr) posix_spawn_file_actions_adddup2(&actions, STDERR_FILENO, STDOUT_FILENO);
  const int spawn_error =
      posix_spawnp(&pid, tools.python.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawn_error != 0)
    throw Error("cannot run the Python interpreter '" + tools.python +
                    "' for dgm_plot.py: " + std::strerror(spawn_error) + "; " + kInstallHint,
                error_details(ErrorCode::kIo, tools.python));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0)
    if (errno != EINTR)
      throw Error(std::string("waiting for dgm_plot.py: ") + std::strerror(errno));
  if (WIFSIGNALED(status))
    throw Error(tools.script + " was stopped by signal " + std::to_string(WTERMSIG(status)));
  const int code = WEXITSTATUS(status);
  if (code == 0) return;
  if (code == kMissingLibraries)
    throw Error("matplotlib or numpy is missing for " + tools.python + ": " + kInstallHint,
                error_details(ErrorCode::kUnsupported, tools.python));
  if (code == 127)  // a shell or env could not find the program
    throw Error("cannot run '" + tools.python + "' for dgm_plot.py; " + kInstallHint,
                error_details(ErrorCode::kIo, tools.python));
  throw Error(
      tools.script + " failed (exit status " + std::to_string(code) + "); its message is above",
      error_details(ErrorCode::kBadValue, std::to_string(code)));
}

}  // namespace dgm::cli
