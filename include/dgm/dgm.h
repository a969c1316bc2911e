#pragma once
// dgm — discrete graphical models. The one header an application includes; link dgm::dgm
// (find_package(dgm)). docs/api.md is the guide.
//
//   <dgm/error.h>      dgm::Error: the one exception type, with optional fields
//   <dgm/model.h>      dgm::Model: load and compile a model (file, text, proto message)
//   <dgm/builder.h>    dgm::ModelBuilder: declare a model in code
//   <dgm/inference.h>  exact (junction tree) and belief-propagation results
//   <dgm/session.h>    dgm::Session: MCMC sampling under a budget, save/restore
//   <dgm/model.pb.h>, <dgm/sampler.pb.h>: the model and sampler-settings schema
//
// Threads: a Model is read-only and may be shared by any number of threads and sessions; a
// Session (and a ModelBuilder) must be used by one thread at a time.
#include "dgm/builder.h"
#include "dgm/error.h"
#include "dgm/inference.h"
#include "dgm/model.h"
#include "dgm/model.pb.h"
#include "dgm/sampler.pb.h"
#include "dgm/session.h"
