#pragma once
// What a dgm::Model holds: the compiled model, shared and never changed after compilation.
// Private to the api/ implementation files.
#include <memory>
#include <utility>

#include "dgm/model.h"
#include "engine/compiled_model.h"

namespace dgm {

struct Model::Impl {
  std::shared_ptr<const engine::CompiledModel> compiled;
};

struct ModelAccess {
  static Model wrap(engine::CompiledModel compiled) {
    auto impl = std::make_shared<Model::Impl>();
    impl->compiled = std::make_shared<const engine::CompiledModel>(std::move(compiled));
    return Model(std::move(impl));
  }
  static const engine::CompiledModel& compiled(const Model& model) {
    return *model.impl_->compiled;
  }
  static const std::shared_ptr<const engine::CompiledModel>& shared(const Model& model) {
    return model.impl_->compiled;
  }
};

}  // namespace dgm
