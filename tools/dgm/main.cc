// dgm: the command-line program. Subcommands live in *_command.cc files.
#include <CLI/CLI.hpp>
#include <iostream>

#include "dgm.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/progress.h"

int main(int argc, char** argv) {
  CLI::App app{"dgm: discrete graphical models — check, convert and run inference on models"};
  app.require_subcommand(1);
  app.set_version_flag("--version", "dgm 0.1.0");
  dgm::cli::register_check(app);
  dgm::cli::register_exact_commands(app);
  dgm::cli::register_convert(app);
  dgm::cli::register_sample(app);
  dgm::cli::register_samplers(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
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
