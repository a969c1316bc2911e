#include "learning/learned_model.h"

#include <google/protobuf/text_format.h>

#include <filesystem>

#include "engine/atomic_file.h"
#include "engine/error.h"
#include "engine/model_io.h"
#include "engine/npy.h"

namespace dgm::learning {

std::vector<std::string> save_learned_model(const proto::Model& model, const engine::Params& params,
                                            const std::string& path) {
  const engine::ModelFormat format = engine::format_from_path(path);
  if (format == engine::ModelFormat::kUai)
    throw Error(path +
                ": a learned model is written as .pbtxt or .pb (a .uai file has no "
                "parameter names to continue training from)");
  namespace fs = std::filesystem;
  const fs::path target(path);
  const std::string stem = target.stem().string();
  proto::Model out = model;
  std::vector<std::string> written;
  for (proto::Parameter& p : *out.mutable_parameters()) {
    const int index = params.find(p.name());
    if (index < 0)
      throw Error(path + ": the model declares parameter '" + p.name() +
                  "', which the trained parameters do not have");
    const engine::ParamInfo& info = params.info[static_cast<std::size_t>(index)];
    const auto values = params.view(index);
    p.clear_value();
    p.clear_npy();
    p.clear_init();
    if (info.size <= kInlineParameterLimit) {
      p.mutable_value()->Assign(values.begin(), values.end());
      continue;
    }
    const std::string file = stem + "." + p.name() + ".npy";
    const std::string file_path = (target.parent_path() / file).string();
    std::vector<std::int64_t> shape = info.shape;
    if (shape.empty()) shape = {info.size};
    engine::write_file_atomically(file_path, [&](const std::string& temporary) {
      engine::write_npy(temporary, shape, std::vector<double>(values.begin(), values.end()), "<f8");
    });
    written.push_back(file_path);
    p.set_npy(file);
  }
  std::string bytes;
  if (format == engine::ModelFormat::kText) {
    google::protobuf::TextFormat::Printer printer;
    if (!printer.PrintToString(out, &bytes)) throw Error(path + ": cannot print the model");
  } else if (!out.SerializeToString(&bytes)) {
    throw Error(path + ": serialisation failed");
  }
  engine::write_file_atomically(path, bytes);
  written.push_back(path);
  return written;
}

}  // namespace dgm::learning
