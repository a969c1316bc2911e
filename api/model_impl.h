#pragma once
// What a dgm::Model holds: the compiled model, shared and never changed after compilation.
// Private to the api/ implementation files.
#include <memory>

#include "dgm/model.h"
#include "engine/compiled_model.h"

namespace dgm {

struct Model::Impl {
  std::shared_ptr<const engine::CompiledModel> compiled;

  static Model wrap(engine::CompiledModel compiled);
};

}  // namespace dgm
