#include "tools/dgm/progress.h"

#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <memory>

namespace dgm::cli {

namespace {
volatile std::sig_atomic_t g_interrupted = 0;
volatile std::sig_atomic_t g_first_signal_seconds = 0;

std::sig_atomic_t monotonic_seconds() {
  timespec now{};
  clock_gettime(CLOCK_MONOTONIC, &now);  // async-signal-safe
  return static_cast<std::sig_atomic_t>(now.tv_sec);
}

// The first SIGINT asks the run to stop after the current sweep. A second one at least a
// second later ends the program at once. Signals closer together count as one: tools such as
// `timeout` deliver the same interrupt both to the process and to its process group.
extern "C" void on_sigint(int) {
  if (g_interrupted == 0) {
    g_interrupted = 1;
    g_first_signal_seconds = monotonic_seconds();
    return;
  }
  if (monotonic_seconds() - g_first_signal_seconds >= 1) {
    std::signal(SIGINT, SIG_DFL);
    std::raise(SIGINT);
  }
}
}  // namespace

InterruptGuard::InterruptGuard() {
  g_interrupted = 0;
  std::signal(SIGINT, on_sigint);
}

// The flag outlives the guard so that main() can report an interrupted run.
InterruptGuard::~InterruptGuard() { std::signal(SIGINT, SIG_DFL); }

bool InterruptGuard::requested() { return g_interrupted != 0; }

ProgressObserver::ProgressObserver(std::string label, std::int64_t total_sweeps)
    : label_(std::move(label)),
      total_(total_sweeps),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

ProgressObserver::~ProgressObserver() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

bool ProgressObserver::on_sweep(std::int64_t sweep, const inference::Chains& /*chains*/,
                                const inference::SweepStats& /*stats*/) {
  if (InterruptGuard::requested()) {
    if (tty_) std::fprintf(stderr, "\r\033[K");
    std::fprintf(stderr, "dgm: interrupted after %lld sweeps; keeping what was drawn\n",
                 static_cast<long long>(sweep + 1));
    return false;
  }
  if (!tty_) return true;
  const auto now = std::chrono::steady_clock::now();
  if (now - last_draw_ < std::chrono::milliseconds(100) && sweep + 1 < total_) return true;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double fraction = static_cast<double>(sweep + 1) / static_cast<double>(total_);
  const int width = 30;
  const int filled = static_cast<int>(fraction * width);
  std::string bar(filled, '#');
  bar.append(width - filled, '.');
  const double eta = fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0;
  std::fprintf(stderr, "\r%s [%s] %lld/%lld sweeps, %.0f sweeps/s, ETA %.0f s ", label_.c_str(),
               bar.c_str(), static_cast<long long>(sweep + 1), static_cast<long long>(total_),
               elapsed > 0 ? (sweep + 1) / elapsed : 0.0, eta);
  std::fflush(stderr);
  return true;
}

BpProgress::BpProgress(std::string label, std::int32_t max_iterations)
    : label_(std::move(label)),
      max_iterations_(max_iterations),
      tty_(isatty(STDERR_FILENO) != 0),
      last_draw_(std::make_shared<std::chrono::steady_clock::time_point>(
          std::chrono::steady_clock::now())) {}

BpProgress::~BpProgress() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

inference::bp::BpObserver BpProgress::observer() const {
  return [label = label_, max_iterations = max_iterations_, tty = tty_, last_draw = last_draw_](
             std::int32_t iteration, double change) {
    if (InterruptGuard::requested()) {
      if (tty) std::fprintf(stderr, "\r\033[K");
      std::fprintf(stderr,
                   "dgm: interrupted after %d BP iterations; reporting the beliefs so far\n",
                   iteration);
      return false;
    }
    if (!tty) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now - *last_draw < std::chrono::milliseconds(100)) return true;
    *last_draw = now;
    std::fprintf(stderr, "\r%s iteration %d/%d, largest message change %.3g \033[K", label.c_str(),
                 iteration, max_iterations, change);
    std::fflush(stderr);
    return true;
  };
}

AisProgress::AisProgress(std::string label)
    : label_(std::move(label)),
      tty_(isatty(STDERR_FILENO) != 0),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_),
      stop_(std::make_shared<std::atomic<bool>>(false)) {}

AisProgress::~AisProgress() {
  if (tty_) std::fprintf(stderr, "\r\033[K");
}

std::function<void(std::int64_t, std::int64_t)> AisProgress::callback() {
  return [this](std::int64_t done, std::int64_t total) {
    if (InterruptGuard::requested()) {
      if (!stop_->exchange(true)) {
        if (tty_) std::fprintf(stderr, "\r\033[K");
        std::fprintf(stderr, "dgm: interrupted after %lld of %lld βs; AIS gives no estimate\n",
                     static_cast<long long>(done), static_cast<long long>(total));
      }
      return;
    }
    if (!tty_) return;
    const auto now = std::chrono::steady_clock::now();
    if (now - last_draw_ < std::chrono::milliseconds(100) && done < total) return;
    last_draw_ = now;
    const double elapsed = std::chrono::duration<double>(now - start_).count();
    const double fraction = static_cast<double>(done) / static_cast<double>(total);
    const int width = 30;
    std::string bar(static_cast<std::size_t>(fraction * width), '#');
    bar.append(static_cast<std::size_t>(width) - bar.size(), '.');
    std::fprintf(stderr, "\r%s [%s] %lld/%lld βs, ETA %.0f s \033[K", label_.c_str(), bar.c_str(),
                 static_cast<long long>(done), static_cast<long long>(total),
                 fraction > 0 ? elapsed * (1 - fraction) / fraction : 0.0);
    std::fflush(stderr);
  };
}

}  // namespace dgm::cli
