#pragma once
// dgm::Error, the one error type (message plus optional fields: code, file:line:col, the
// offending value, the allowed values). It is defined in the public header include/dgm/error.h
// because applications catch it; library code includes it through here.
#include <string>
#include <utility>
#include <vector>

#include "dgm/error.h"

namespace dgm {

// The fields of an Error at a throw site: Error(message, error_details(code, value, ...)).
// (Designated initialisers that skip fields trip GCC's -Wmissing-field-initializers.)
inline ErrorDetails error_details(ErrorCode code, std::string value = {},
                                  std::vector<std::string> allowed = {}, std::string file = {},
                                  int line = 0, int column = 0) {
  ErrorDetails d;
  d.code = code;
  d.value = std::move(value);
  d.allowed = std::move(allowed);
  d.file = std::move(file);
  d.line = line;
  d.column = column;
  return d;
}

}  // namespace dgm
