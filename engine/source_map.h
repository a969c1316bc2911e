#pragma once
// Where the parts of a model came from, for error messages: "model.pbtxt:12:7". Text files
// carry protobuf's parse locations; binary and generated models only carry the file name.
#include <memory>
#include <string>
#include <string_view>

namespace google::protobuf {
class TextFormat;
}

namespace dgm::engine {

class SourceMap {
 public:
  SourceMap() = default;
  explicit SourceMap(std::string file);
  SourceMap(std::string file, std::shared_ptr<const void> parse_tree);

  const std::string& file() const { return file_; }

  // "file:line:col" of element `index` of the repeated Model field `field` (for example
  // "factors", 3), or of its nested field `subfield` when given and present; "file" alone
  // when no location is known.
  // `subindex` picks the element of a repeated subfield.
  std::string where(std::string_view field, int index, std::string_view subfield = {},
                    int subindex = 0) const;

 private:
  std::string file_;
  std::shared_ptr<const void> tree_;
};

}  // namespace dgm::engine
