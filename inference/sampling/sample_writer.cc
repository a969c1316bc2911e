#include "inference/sampling/sample_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/error.h"

namespace dgm::inference {

namespace {

// Keeps the header line and the first `keep_rows` rows of a CSV samples file.
void truncate_csv(const std::string& path, std::int64_t keep_rows) {
  std::FILE* in = std::fopen(path.c_str(), "rb");
  if (in == nullptr)
    throw Error(path + ": cannot open the samples file to append (" + std::strerror(errno) + ")");
  std::int64_t lines = 0, offset = 0, kept_bytes = -1;
  for (int c; (c = std::fgetc(in)) != EOF;) {
    ++offset;
    if (c == '\n' && ++lines == keep_rows + 1) kept_bytes = offset;
  }
  std::fclose(in);
  if (keep_rows == 0 && lines == 0)
    throw Error(path + ": has no header line; it was not written by dgm sample");
  if (kept_bytes < 0)
    throw Error(path + ": has " + std::to_string(std::max<std::int64_t>(0, lines - 1)) +
                " whole rows, fewer than the " + std::to_string(keep_rows) +
                " its saved session recorded; it was truncated");
  std::filesystem::resize_file(path, static_cast<std::uintmax_t>(kept_bytes));
}

}  // namespace

SampleWriter::SampleWriter(const std::string& path, const engine::Graph& graph,
                           std::int64_t append_after)
    : path_(path), graph_(graph) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") {
    const std::int32_t max_card =
        graph.cardinality.empty()
            ? 2
            : *std::max_element(graph.cardinality.begin(), graph.cardinality.end());
    dtype_ = max_card <= 256 ? "|u1" : "<i4";
    if (append_after >= 0) {
      npy_ =
          std::make_unique<engine::NpyRowWriter>(path, graph.num_variables(), dtype_, append_after);
      rows_ = append_after;
    } else {
      npy_ = std::make_unique<engine::NpyRowWriter>(path, graph.num_variables(), dtype_);
    }
  } else if (ext == ".csv") {
    dtype_ = "csv";
    if (append_after >= 0) {
      truncate_csv(path, append_after);
      csv_ = std::fopen(path.c_str(), "a");
      if (csv_ == nullptr) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
      rows_ = append_after;
      return;
    }
    csv_ = std::fopen(path.c_str(), "w");
    if (csv_ == nullptr) throw Error(path + ": cannot write (" + std::strerror(errno) + ")");
    for (std::int32_t v = 0; v < graph.num_variables(); ++v)
      std::fprintf(csv_, "%s\"%s\"", v ? "," : "", graph.variable_name(v).c_str());
    std::fputc('\n', csv_);
  } else {
    throw Error(path + ": unknown sample file extension '" + ext + "'; use .npy or .csv");
  }
}

SampleWriter::~SampleWriter() {
  if (csv_ != nullptr) std::fclose(csv_);
}

void SampleWriter::on_sample(std::int64_t /*sweep*/, const Chains& chains) {
  for (std::int32_t b = 0; b < chains.num_chains(); ++b) {
    auto x = chains.chain(b);
    if (npy_) {
      npy_->write_row(x.data());
    } else {
      for (std::size_t v = 0; v < x.size(); ++v) std::fprintf(csv_, v ? ",%d" : "%d", x[v]);
      std::fputc('\n', csv_);
    }
    ++rows_;
  }
  if (npy_)
    npy_->flush();
  else if (std::fflush(csv_) != 0)
    throw Error(path_ + ": write failed");
}

}  // namespace dgm::inference
