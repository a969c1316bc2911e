#pragma once
// dgm — discrete graphical models. The one header an application includes; link dgm::dgm.
//
//   dgm::engine::CompiledModel model = dgm::engine::load_compiled("model.pbtxt");
//   dgm::inference::ExactResult exact = dgm::inference::exact_inference(model);
//
// Model files: proto/dgm/model.proto. Errors: dgm::Error (engine/error.h).
#include "dgm/model.pb.h"
#include "dgm/sampler.pb.h"
#include "engine/analysis.h"
#include "engine/compiled_model.h"
#include "engine/compiler.h"
#include "engine/elimination_order.h"
#include "engine/error.h"
#include "engine/evidence_file.h"
#include "engine/graph.h"
#include "engine/log_potential.h"
#include "engine/model_io.h"
#include "engine/npy.h"
#include "engine/params.h"
#include "engine/random.h"
#include "engine/uai.h"
#include "engine/uai_results.h"
#include "factors/factor_eval.h"
#include "factors/factor_kind.h"
#include "factors/table_layout.h"
#include "inference/exact/enumeration.h"
#include "inference/exact/junction_tree.h"
#include "inference/sampling/chains.h"
#include "inference/sampling/marginal_estimator.h"
#include "inference/sampling/run.h"
#include "inference/sampling/sample_writer.h"
#include "inference/sampling/sampler.h"
#include "inference/sampling/sampler_registry.h"
#include "learning/sufficient_statistics.h"
