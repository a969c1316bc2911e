#include "engine/params.h"

namespace dgm::engine {

int Params::find(std::string_view name) const {
  for (std::size_t i = 0; i < info.size(); ++i)
    if (info[i].name == name) return static_cast<int>(i);
  return -1;
}

}  // namespace dgm::engine
