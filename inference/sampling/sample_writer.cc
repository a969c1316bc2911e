#include "inference/sampling/sample_writer.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>

#include "engine/error.h"

namespace dgm::inference {

SampleWriter::SampleWriter(const std::string& path, const engine::Graph& graph)
    : path_(path), graph_(graph) {
  const std::string ext = std::filesystem::path(path).extension().string();
  if (ext == ".npy") {
    const std::int32_t max_card =
        graph.cardinality.empty()
            ? 2
            : *std::max_element(graph.cardinality.begin(), graph.cardinality.end());
    dtype_ = max_card <= 256 ? "|u1" : "<i4";
    npy_ = std::make_unique<engine::NpyRowWriter>(path, graph.num_variables(), dtype_);
  } else if (ext == ".csv") {
    dtype_ = "csv";
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
