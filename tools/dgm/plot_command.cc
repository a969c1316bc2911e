// dgm plot curves|grid|compare ...: figures through the plotting script (tools/plot/dgm_plot.py,
// which documents its arguments; `dgm plot --help` prints them). Every argument after `plot` is the
// script's.
#include "tools/dgm/commands.h"
#include "tools/dgm/plotting.h"

namespace dgm::cli {

void register_plot(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "plot",
      "figures (PNG) with matplotlib: `curves` from training logs (JSON lines), `grid` of images "
      "from an .npy, `compare` from the JSON of dgm compare; `dgm plot --help` and `dgm plot "
      "curves --help` describe them");
  // The script parses its own arguments, --help included.
  cmd->prefix_command();
  cmd->set_help_flag();
  cmd->callback([cmd] { run_plot(cmd->remaining()); });
}

}  // namespace dgm::cli
