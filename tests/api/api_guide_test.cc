// The code of docs/api.md and of the README's Embedding section. Each `// [doc:NAME]` …
// `// [/doc]` block below appears verbatim in those documents as a ```cpp block, and the
// GuideSnippets tests fail when they drift apart, so their code is always code that compiles
// and runs here.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <span>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// [doc:include]
#include <dgm/dgm.h>
// [/doc]

namespace guide {

// [doc:load]
void print_exact_marginals(const std::string& path) {
  const dgm::Model model = dgm::Model::from_file(path);
  const dgm::ExactResult exact = dgm::exact(model);
  std::printf("log Z = %.6f\n", exact.log_z);
  for (std::int32_t v = 0; v < model.num_variables(); ++v)
    std::printf("p(%s = 1) = %.4f\n", model.variable_name(v).c_str(),
                exact.marginals[model.state_offset(v) + 1]);
}
// [/doc]

// [doc:build]
dgm::Model ising_lattice(std::int64_t side, double coupling, double field) {
  dgm::ModelBuilder b;
  b.variables("s", {side, side}, 2);
  b.parameter("J", coupling).parameter("h", field);
  b.factors("bonds").ising("J").lattice("s", {.periodic = true});
  b.factors("field").unary_field("h").each("s");
  return b.compile("ising");
}
// [/doc]

// [doc:session]
std::vector<double> magnetisation_trace(const dgm::Model& model, double seconds) {
  dgm::Session session(model,
                       {.sampler = "chromatic-gibbs", .chains = 8, .seed = 1, .burn_in = 50});
  std::vector<double> trace;  // chain 0's mean spin after each kept sweep
  dgm::Budget budget = dgm::Budget::for_seconds(seconds);
  budget.stop = [&](const dgm::Progress&) { return trace.size() >= 200; };
  session.run(budget, [&](std::int64_t /*sweep*/, const dgm::ChainsView& chains) {
    double m = 0;
    for (std::int32_t x : chains.chain(0)) m += 2 * x - 1;
    trace.push_back(m / chains.num_variables());
  });
  return trace;
}
// [/doc]

// [doc:draw]
// `batch` holds rows × N values; each sample is written in place, chain 0 first.
std::int64_t fill_batch(dgm::Session& session, std::span<std::int32_t> batch) {
  return session.draw(batch, dgm::Budget::for_seconds(10.0));  // rows written
}
// [/doc]

// [doc:checkpoint]
void anneal_and_save(dgm::Session& session, const std::string& path) {
  for (double J : {0.1, 0.2, 0.3, 0.4}) {
    session.set_parameter("J", std::vector<double>{J});
    session.run(dgm::Budget::for_sweeps(100));
  }
  session.save(path);
}

dgm::Session resume(const std::string& path, const dgm::Model& model,
                    std::span<const double> annealed) {
  // A checkpoint is checked against the model's structure, evidence and parameter values:
  // restore onto the model with the values the session had when it was saved.
  return dgm::Session::restore(path, model.with_parameters(annealed));
}
// [/doc]

// [doc:bp]
std::vector<double> approximate_marginals(const dgm::Model& model) {
  dgm::proto::BeliefPropagationConfig config;  // the `bp { }` block of a --config file
  config.set_damping(0.5);
  config.set_max_iterations(500);
  const dgm::BpMarginalsResult bp = dgm::bp_marginals(model, config);
  if (!bp.status.converged) std::fprintf(stderr, "BP: %s\n", bp.status.description.c_str());
  return bp.marginals;
}
// [/doc]

// [doc:threads]
// One model, read by several threads at once; one session per thread.
std::vector<std::int64_t> ones_per_worker(const dgm::Model& model, int workers) {
  std::vector<std::int64_t> ones(workers, 0);
  std::vector<std::thread> threads;
  for (int w = 0; w < workers; ++w)
    threads.emplace_back([&model, &ones, w] {
      dgm::Session session(model, {.chains = 4, .seed = static_cast<std::uint64_t>(w)});
      std::vector<std::int32_t> samples(100 * static_cast<std::size_t>(model.num_variables()));
      session.draw(samples);
      for (std::int32_t x : samples) ones[w] += x;
    });
  for (std::thread& t : threads) t.join();
  return ones;
}
// [/doc]

// [doc:errors]
std::string explain(const dgm::Error& e) {
  std::string text = e.what();  // what the dgm program would print
  if (e.code() == dgm::ErrorCode::kUnknownName && !e.allowed().empty()) {
    text += "\n  valid names:";
    for (const std::string& name : e.allowed()) text += " " + name;
  }
  if (e.line() > 0)
    text += "\n  at " + e.file() + " line " + std::to_string(e.line()) + " column " +
            std::to_string(e.column());
  return text;
}
// [/doc]

}  // namespace guide

// The README's complete program (its main() lives in a namespace here, to be called).
namespace readme {
// [doc:readme]
#include <dgm/dgm.h>

#include <cstdio>
#include <vector>

int main() {
  // A 10×10 Ising lattice with a weak field, declared in code.
  dgm::ModelBuilder b;
  b.variables("s", {10, 10}, 2);
  b.parameter("J", 0.3).parameter("h", 0.1);
  b.factors("bonds").ising("J").lattice("s");
  b.factors("field").unary_field("h").each("s");
  const dgm::Model model = b.compile();

  const dgm::ExactResult exact = dgm::exact(model);  // junction tree

  dgm::Session session(model, {.sampler = "chromatic-gibbs", .chains = 16, .burn_in = 100});
  std::vector<std::int32_t> samples(2000 * model.num_variables());  // 2000 rows of N states
  const std::int64_t rows = session.draw(samples, dgm::Budget::for_seconds(5.0));
  double ones = 0;
  for (std::int64_t r = 0; r < rows; ++r) ones += samples[r * model.num_variables()];

  std::printf("log Z = %.4f; p(s[0,0] = 1): exact %.4f, Gibbs %.4f\n", exact.log_z,
              exact.marginals[model.state_offset(0) + 1], ones / rows);
  return 0;
}
// [/doc]
}  // namespace readme

namespace {

std::string read(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << path;
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The bodies between `open` and `close` markers (lines), in order.
std::vector<std::string> blocks(const std::string& text, const std::string& open_prefix,
                                const std::string& close) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line, body;
  bool inside = false;
  while (std::getline(in, line)) {
    if (!inside && line.starts_with(open_prefix)) {
      inside = true;
      body.clear();
    } else if (inside && line == close) {
      inside = false;
      out.push_back(body);
    } else if (inside) {
      body += line + "\n";
    }
  }
  return out;
}

TEST(GuideSnippets, DocumentMatchesThisFile) {
  const auto in_doc = blocks(read(DGM_SOURCE_DIR "/docs/api.md"), "```cpp", "```");
  const auto in_code =
      blocks(read(DGM_SOURCE_DIR "/tests/api/api_guide_test.cc"), "// [doc:", "// [/doc]");
  ASSERT_FALSE(in_code.empty());
  const std::set<std::string> code(in_code.begin(), in_code.end());
  const std::set<std::string> doc(in_doc.begin(), in_doc.end());
  for (const std::string& block : in_doc)
    EXPECT_TRUE(code.contains(block))
        << "docs/api.md has a ```cpp block that is not a snippet of this file:\n"
        << block;
  for (const std::string& block : in_code) {
    if (block.starts_with("#include <dgm/dgm.h>\n\n")) continue;  // the README's program
    EXPECT_TRUE(doc.contains(block)) << "docs/api.md lacks this snippet:\n" << block;
  }
}

TEST(GuideSnippets, ReadmeEmbeddingMatchesThisFile) {
  const auto in_readme = blocks(read(DGM_SOURCE_DIR "/README.md"), "```cpp", "```");
  const auto in_code =
      blocks(read(DGM_SOURCE_DIR "/tests/api/api_guide_test.cc"), "// [doc:", "// [/doc]");
  const std::set<std::string> code(in_code.begin(), in_code.end());
  for (const std::string& block : in_readme)
    EXPECT_TRUE(code.contains(block)) << "README.md has a ```cpp block not compiled here:\n"
                                      << block;
}

TEST(GuideSnippets, ReadmeProgramRuns) { EXPECT_EQ(readme::main(), 0); }

TEST(GuideSnippets, Run) {
  guide::print_exact_marginals(DGM_SOURCE_DIR "/examples/tiny_chain.pbtxt");

  const dgm::Model model = guide::ising_lattice(6, 0.3, 0.05);
  EXPECT_EQ(model.num_variables(), 36);
  const std::vector<double> trace = guide::magnetisation_trace(model, 5.0);
  EXPECT_EQ(trace.size(), 200u);

  dgm::Session session(model, {.chains = 2, .seed = 3});
  std::vector<std::int32_t> batch(10 * 36);
  EXPECT_EQ(guide::fill_batch(session, batch), 10);

  const auto path = std::filesystem::temp_directory_path() / "dgm_api_guide.session";
  guide::anneal_and_save(session, path.string());
  const std::vector<double> annealed(session.parameter_values().begin(),
                                     session.parameter_values().end());
  dgm::Session resumed = guide::resume(path.string(), model, annealed);
  std::filesystem::remove(path);
  EXPECT_EQ(resumed.sweeps_done(), session.sweeps_done());
  EXPECT_EQ(resumed.parameter_values()[0], 0.4);

  const std::vector<double> bp = guide::approximate_marginals(model);
  const dgm::ExactResult exact = dgm::exact(model);
  for (std::size_t i = 0; i < bp.size(); ++i) EXPECT_NEAR(bp[i], exact.marginals[i], 0.05);

  const std::vector<std::int64_t> ones = guide::ones_per_worker(model, 3);
  EXPECT_EQ(ones.size(), 3u);

  try {
    dgm::Model::from_text(
        "variables { name: \"s\" cardinality: 2 }\n"
        "factors { name: \"f\" ising { coupling: \"J\" } each: \"s\" }",
        "m.pbtxt");
    ADD_FAILURE();
  } catch (const dgm::Error& e) {
    const std::string text = guide::explain(e);
    EXPECT_THAT(text, ::testing::HasSubstr("at m.pbtxt line 2"));
  }
}

}  // namespace
