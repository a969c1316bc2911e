#pragma once
// UAI evidence files (.evid): which variables are observed and in which state. Two layouts
// exist (format pages of the UAI 2010 evaluation / PASCAL PIC2011 and of the UAI 2014
// competition, http://www.hlt.utdallas.edu/~vgogate/uai14-competition/evidformat.html):
//   * single sample (UAI 2008, 2014 and later): one line "N v_1 x_1 ... v_N x_N";
//   * several samples (UAI 2010, PIC2011): a first line with the number of samples S, then S
//     samples, each "N v_1 x_1 ... v_N x_N".
// Neither layout marks itself, so the reader decides by structure: each layout is tried on the
// token stream; if only one accounts for every token it is the one; if both do, a file with
// more than one non-empty line whose first line holds exactly one token is read as the
// multi-sample layout and any other as the single sample. ("1\n0" is one empty sample in the
// multi-sample layout; "2 0 1 3 0" is the single sample {0: 1, 3: 0}.) An empty file is one
// sample with no evidence. Lines starting with 'c' are comments, as in .uai files.
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "engine/compiled_model.h"

namespace dgm::engine {

// One sample: (variable id, observed state) pairs, in the order of the file.
using EvidenceSample = std::vector<std::pair<std::int32_t, std::int32_t>>;

// Reads the samples of an evidence file; throws dgm::Error ("file:line: message") on malformed
// input. Variable ids and states are checked against a model by apply_evidence, not here.
std::vector<EvidenceSample> read_evidence_file(const std::string& path);
// The same from the file's contents; `name` stands for the file in messages.
std::vector<EvidenceSample> parse_evidence(std::string_view text, const std::string& name);

// Clamps the variables of `evidence` in model.evidence, on top of the evidence already there.
// Throws dgm::Error naming `source`, the variable and the bad value for an unknown variable, a
// state outside 0..K−1 or a state that contradicts evidence already set (by the model or
// earlier in `evidence`); on error the model is left unchanged.
void apply_evidence(CompiledModel& model, const EvidenceSample& evidence,
                    const std::string& source);

// Writes the model's evidence as a single-sample (UAI 2014) evidence line, variables in id
// order.
void write_evidence(const CompiledModel& model, std::ostream& out);
void write_evidence(const CompiledModel& model, const std::string& path);

}  // namespace dgm::engine
