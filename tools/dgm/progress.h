#pragma once
// Progress on a terminal and clean interruption (Ctrl-C) for long runs. The first Ctrl-C asks
// the run to stop after the current sweep (files stay valid); a second one kills the program.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "dgm.h"

namespace dgm::cli {

// Installs the SIGINT handler for the lifetime of the object.
class InterruptGuard {
 public:
  InterruptGuard();
  ~InterruptGuard();
  static bool requested();
};

// Draws a progress bar on stderr when it is a terminal; stops the run when interrupted.
class ProgressObserver : public inference::RunObserver {
 public:
  ProgressObserver(std::string label, std::int64_t total_sweeps);
  ~ProgressObserver() override;
  bool on_sweep(std::int64_t sweep, const inference::Chains& chains,
                const inference::SweepStats& stats) override;

 private:
  std::string label_;
  std::int64_t total_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

// Shows the iteration and the largest message change of a BP run on a terminal and stops the
// run when interrupted; the line is cleared when the object goes away.
class BpProgress {
 public:
  BpProgress(std::string label, std::int32_t max_iterations);
  ~BpProgress();
  inference::bp::BpObserver observer() const;

 private:
  std::string label_;
  std::int32_t max_iterations_;
  bool tty_;
  std::shared_ptr<std::chrono::steady_clock::time_point> last_draw_;
};

// Shows the βs done of an AIS run on a terminal and raises the run's stop flag when
// interrupted; the line is cleared when the object goes away.
class AisProgress {
 public:
  explicit AisProgress(std::string label);
  ~AisProgress();
  // The callback for inference::AisOptions::progress; stop() for AisOptions::stop.
  std::function<void(std::int64_t, std::int64_t)> callback();
  const std::atomic<bool>* stop() const { return stop_.get(); }

 private:
  std::string label_;
  bool tty_;
  std::chrono::steady_clock::time_point start_, last_draw_;
  std::shared_ptr<std::atomic<bool>> stop_;
};

}  // namespace dgm::cli
