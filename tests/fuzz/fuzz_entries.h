#pragma once
// The fuzzed readers, one entry per libFuzzer target (tests/fuzz/fuzz_target.cc) and per kind
// of kept input in the regression test (tests/engine/fuzz_regression_test.cc). Each entry
// feeds one input to a reader and, where the reader produces a model, to the compiler.
// dgm::Error is the expected answer to a bad input and is swallowed; anything else (another
// exception, a crash, a sanitizer report, an allocation past the fuzzer's limit, a hang) is
// a bug.
#include <string_view>

#include "engine/compiler.h"

namespace dgm::fuzz {

// The caps the entries compile under: the defaults scaled down so that a short input asking
// for the largest model the defaults allow does not take seconds under the sanitizers (the
// checks are the same code whatever the numbers).
engine::CompileOptions fuzz_limits();

void model_text(std::string_view data);    // .pbtxt: protobuf text, then compile
void model_binary(std::string_view data);  // .pb: protobuf binary, then compile
void uai(std::string_view data);           // .uai, then compile
void evidence(std::string_view data);      // .evid, then applied to a small model
void npy(std::string_view data);           // .npy (floats, and integers for states)

// The entry for a target name ("model_text", "model_binary", "uai", "evidence", "npy"), or
// nullptr.
using Entry = void (*)(std::string_view);
Entry entry_named(std::string_view name);

}  // namespace dgm::fuzz
