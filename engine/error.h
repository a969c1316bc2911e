#pragma once
// The one error type of dgm. Messages say where (file:line:col when known), what (the group,
// factor or parameter by name), the offending value and, where there are some, the valid
// choices. Library code throws it; the dgm program prints it and exits non-zero.
#include <stdexcept>
#include <string>

namespace dgm {

class Error : public std::runtime_error {
 public:
  explicit Error(const std::string& message) : std::runtime_error(message) {}
};

}  // namespace dgm
