#pragma once
// Writing a trained model as a model file every other command loads: the original declaration
// (variables, factors, evidence, description) with every parameter's numbers replaced by the
// trained values — inline for small parameters, in a float64 .npy beside the model file for
// large ones (so that a 784×500 weight matrix is neither rounded nor a megabyte of text).
// Initialisers and the original .npy references are dropped: the file holds the numbers
// themselves, and `learnable` flags are kept so training can continue from it.
#include <string>
#include <vector>

#include "dgm/model.pb.h"
#include "engine/params.h"

namespace dgm::learning {

// Parameters with more values than this go to a .npy file.
inline constexpr std::int64_t kInlineParameterLimit = 64;

// `model` is the declaration the parameters were compiled from (names must match `params`).
// Writes `path` (.pbtxt / .pb) and, for large parameters, PATH_STEM.NAME.npy beside it, each
// atomically; returns the files written, the model file last. Throws dgm::Error naming the file
// or parameter on failure.
std::vector<std::string> save_learned_model(const proto::Model& model, const engine::Params& params,
                                            const std::string& path);

}  // namespace dgm::learning
