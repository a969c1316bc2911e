#pragma once
// Writes kept samples as they are drawn: one row per (kept sweep, chain), sweep-major, every
// variable a column. .npy (uint8 when every cardinality fits, else int32; shape
// [samples, variables]) or .csv (a header of variable names). The file is valid after every
// kept sweep, so an interrupted run keeps what it drew.
#include <cstdio>
#include <memory>
#include <string>

#include "engine/compiled_model.h"
#include "engine/npy.h"
#include "inference/sampling/run.h"

namespace dgm::inference {

class SampleWriter : public RunObserver {
 public:
  // The format follows the extension of `path` (.npy or .csv). With `append_after` ≥ 0 the
  // file is one an earlier SampleWriter wrote for the same model: its first `append_after` rows
  // are kept, any rows after them cut off (they were written after the saved session the run
  // continues from, which draws them again) and new rows appended. Throws dgm::Error before
  // changing anything when it cannot.
  SampleWriter(const std::string& path, const engine::Graph& graph, std::int64_t append_after = -1);
  ~SampleWriter() override;

  void on_sample(std::int64_t sweep, const Chains& chains) override;
  std::int64_t rows() const { return rows_; }
  const std::string& dtype() const { return dtype_; }

 private:
  std::string path_;
  const engine::Graph& graph_;
  std::string dtype_;
  std::unique_ptr<engine::NpyRowWriter> npy_;
  std::FILE* csv_ = nullptr;
  std::int64_t rows_ = 0;
};

}  // namespace dgm::inference
