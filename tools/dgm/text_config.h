#pragma once
// Reading a settings file in protobuf text format (a SamplerConfig, a LearnConfig) with the
// messages every command gives: a directory or a missing file is named, and parse errors are
// "FILE:LINE:COLUMN: ..." (engine::parse_text_message).
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "dgm.h"

namespace dgm::cli {

// `what` names the kind of file in messages ("sampler configuration").
template <typename Message>
Message read_text_config(const std::string& path, const std::string& what) {
  if (std::filesystem::is_directory(path)) throw Error(path + ": is a directory, not a " + what);
  std::ifstream in(path);
  if (!in) throw Error(path + ": cannot open the " + what);
  std::stringstream text;
  text << in.rdbuf();
  Message message;
  engine::parse_text_message(text.str(), path, message);
  return message;
}

}  // namespace dgm::cli
