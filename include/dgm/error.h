#pragma once
// The one error type of dgm. Messages say where (file:line:col when known), what (the group,
// factor or parameter by name), the offending value and, where there are some, the valid
// choices; what() is exactly the line the dgm program prints. Library code throws it.
//
// The same facts are also available as fields, for programs that react to an error rather
// than show it (underline the place in an editor, offer the allowed names, ...). A field that
// the throw site did not know is empty (or 0, or ErrorCode::kUnspecified).
//
// Part of the public API (<dgm/dgm.h>); the library's own code reaches it as engine/error.h.
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace dgm {

enum class ErrorCode {
  kUnspecified,  // the throw site gave only a message
  kParse,        // a model or settings text that does not parse
  kUnknownName,  // a group, parameter, factor kind or sampler that does not exist
  kBadValue,     // a value out of range, of the wrong size or shape, NaN, ...
  kIo,           // a file that cannot be found, opened, read or written
  kUnsupported,  // a valid request this model or backend cannot serve
  kLimit,        // a configured limit (sizes, table entries) would be exceeded
  kInternal,     // a broken invariant: a bug in dgm
};

// "parse", "unknown-name", ... (stable, for logs and JSON).
inline const char* to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kParse:
      return "parse";
    case ErrorCode::kUnknownName:
      return "unknown-name";
    case ErrorCode::kBadValue:
      return "bad-value";
    case ErrorCode::kIo:
      return "io";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kLimit:
      return "limit";
    case ErrorCode::kInternal:
      return "internal";
    case ErrorCode::kUnspecified:
      break;
  }
  return "unspecified";
}

struct ErrorDetails {
  ErrorCode code = ErrorCode::kUnspecified;
  std::string file{};                  // the model or data file, or the name a text was given
  int line = 0;                        // 1-based; 0 when unknown
  int column = 0;                      // 1-based; 0 when unknown
  std::string value{};                 // the offending name or value, as written
  std::vector<std::string> allowed{};  // the valid choices, when there is a closed set
};

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
  // `message` is the whole of what(): the details are not appended to it.
  Error(const std::string& message, ErrorDetails details)
      : std::runtime_error(message),
        details_(std::make_shared<const ErrorDetails>(std::move(details))) {}

  const ErrorDetails& details() const {
    static const ErrorDetails none;
    return details_ ? *details_ : none;
  }
  ErrorCode code() const { return details().code; }
  const std::string& file() const { return details().file; }
  int line() const { return details().line; }
  int column() const { return details().column; }
  const std::string& value() const { return details().value; }
  const std::vector<std::string>& allowed() const { return details().allowed; }

 private:
  // Shared so that copying an exception (which the standard library may do) cannot throw.
  std::shared_ptr<const ErrorDetails> details_;
};

}  // namespace dgm
