#include "engine/source_map.h"

#include <google/protobuf/text_format.h>

#include "dgm/model.pb.h"

namespace dgm::engine {

using google::protobuf::TextFormat;

SourceMap::SourceMap(std::string file) : file_(std::move(file)) {}

SourceMap::SourceMap(std::string file, std::shared_ptr<const void> parse_tree)
    : file_(std::move(file)), tree_(std::move(parse_tree)) {}

std::string SourceMap::where(std::string_view field, int index, std::string_view subfield,
                             int subindex) const {
  if (file_.empty()) return "<model>";
  if (tree_ == nullptr) return file_;
  const auto* tree = static_cast<const TextFormat::ParseInfoTree*>(tree_.get());
  const auto* descriptor = proto::Model::descriptor();
  const auto* fd = descriptor->FindFieldByName(std::string(field));
  if (fd == nullptr) return file_;
  auto location = tree->GetLocation(fd, fd->is_repeated() ? index : -1);
  if (!subfield.empty() && fd->message_type() != nullptr) {
    const auto* nested = tree->GetTreeForNested(fd, fd->is_repeated() ? index : -1);
    const auto* sub = fd->message_type()->FindFieldByName(std::string(subfield));
    if (nested != nullptr && sub != nullptr) {
      auto sub_location = nested->GetLocation(sub, sub->is_repeated() ? subindex : -1);
      if (sub_location.line >= 0) location = sub_location;
    }
  }
  if (location.line < 0) return file_;
  return file_ + ":" + std::to_string(location.line + 1) + ":" +
         std::to_string(location.column + 1);
}

}  // namespace dgm::engine
