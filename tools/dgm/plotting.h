#pragma once
// Running the plotting script (tools/plot/dgm_plot.py, installed as share/dgm/dgm_plot.py) from
// the dgm program: `dgm plot` and commands that draw figures of their own results.
//
// The script needs matplotlib and numpy. On Debian they are python3-matplotlib and
// python3-numpy, importable by /usr/bin/python3 — not necessarily by the `python3` first on
// PATH (a pyenv or venv Python), which is why /usr/bin/python3 comes before PATH.
#include <string>
#include <vector>

namespace dgm::cli {

struct PlotTools {
  std::string python;  // a path, or a name searched on PATH
  std::string script;
};

// The interpreter: $DGM_PYTHON, else /usr/bin/python3 when it exists, else python3 on PATH.
// The script: $DGM_PLOT_SCRIPT, else ../share/dgm/dgm_plot.py next to the running binary (an
// installed dgm), else the source tree's tools/plot/dgm_plot.py (a build tree). Throws
// dgm::Error naming what was looked for when the script is in none of these places.
PlotTools find_plot_tools();

// Runs `python script args...` (no shell: arguments are passed as they are) and waits. Throws
// dgm::Error saying what is missing and how to install it when the interpreter cannot be run
// or lacks matplotlib/numpy, and the script's exit status when it fails (its own message,
// naming the bad file or option, is on stderr).
// `stdout_to_stderr`: the script's own lines go to stderr (a command whose stdout is a JSON
// document).
void run_plot(const std::vector<std::string>& args, bool stdout_to_stderr = false);

}  // namespace dgm::cli
