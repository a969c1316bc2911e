// The dgm program end to end: queries in every output format, conversions that preserve the
// model, evidence files, and the quick-start default model.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_dgm;
using testing::source_path;

const std::string kChain = source_path("examples/tiny_chain.pbtxt");

TEST(Cli, LogzTextJsonAndUaiAgree) {
  const auto text = run_dgm("logz '" + kChain + "'");
  ASSERT_EQ(text.exit_code, 0) << text.err;
  EXPECT_THAT(text.out, HasSubstr("log Z"));
  const auto json = run_dgm("logz '" + kChain + "' --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const double log_z = nlohmann::json::parse(json.out)["log_z"];
  const auto uai = run_dgm("logz '" + kChain + "' --format uai");
  ASSERT_EQ(uai.exit_code, 0) << uai.err;
  std::istringstream in(uai.out);
  std::string header;
  double log10_z = 0;
  in >> header >> log10_z;
  EXPECT_EQ(header, "PR");
  EXPECT_NEAR(log10_z, log_z / std::log(10.0), 1e-6);
  // Enumeration agrees with the junction tree.
  const auto en = run_dgm("logz '" + kChain + "' --method enumerate --format json");
  ASSERT_EQ(en.exit_code, 0) << en.err;
  EXPECT_NEAR(static_cast<double>(nlohmann::json::parse(en.out)["log_z"]), log_z, 1e-9);
}

TEST(Cli, MarginalsAndMapFormats) {
  const auto json = run_dgm("marginals '" + kChain + "' --format json");
  ASSERT_EQ(json.exit_code, 0) << json.err;
  const auto j = nlohmann::json::parse(json.out);
  ASSERT_FALSE(j["marginals"].empty());
  for (const auto& v : j["marginals"]) {
    double total = 0;
    for (double p : v["p"]) total += p;
    EXPECT_NEAR(total, 1.0, 1e-9);
  }
  const auto mar = run_dgm("marginals '" + kChain + "' --format uai");
  ASSERT_EQ(mar.exit_code, 0) << mar.err;
  EXPECT_EQ(mar.out.rfind("MAR", 0), 0u);
  const auto map = run_dgm("map '" + kChain + "' --format json");
  ASSERT_EQ(map.exit_code, 0) << map.err;
  const auto m = nlohmann::json::parse(map.out);
  EXPECT_TRUE(std::isfinite(static_cast<double>(m["map_log_potential"])));
  const auto mpe = run_dgm("map '" + kChain + "' --format uai");
  EXPECT_EQ(mpe.out.rfind("MPE", 0), 0u);
  const auto txt = run_dgm("map '" + kChain + "'");
  EXPECT_THAT(txt.out, HasSubstr("MAP log-potential"));
}

TEST(Cli, OutFileIsWritten) {
  const std::string dir = testing::scratch_dir();
  const auto r = run_dgm("marginals '" + kChain + "' --format uai --out '" + dir + "/m.MAR'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(dir + "/m.MAR"));
}

// pbtxt → pb → uai → pbtxt keeps the model: the same log-potential for random states.
TEST(Cli, ConvertRoundTripPreservesTheModel) {
  const std::string dir = testing::scratch_dir();
  for (const char* example :
       {"examples/categorical_tables.pbtxt", "examples/logic_or_and.pbtxt",
        "examples/tiny_chain.pbtxt", "examples/ising_2d.pbtxt", "examples/spin_glass_2d.pbtxt",
        "examples/potts_2d.pbtxt", "examples/rbm_mnist_random.pbtxt"}) {
    SCOPED_TRACE(example);
    const std::string in = source_path(example);
    ASSERT_EQ(run_dgm("convert '" + in + "' '" + dir + "/a.pb'").exit_code, 0);
    const auto to_uai = run_dgm("convert '" + dir + "/a.pb' '" + dir + "/b.uai'");
    ASSERT_EQ(to_uai.exit_code, 0) << to_uai.err;
    const auto back = run_dgm("convert '" + dir + "/b.uai' '" + dir + "/c.pbtxt'");
    ASSERT_EQ(back.exit_code, 0) << back.err;
    const auto original = engine::load_compiled(in);
    const auto binary = engine::load_compiled(dir + "/a.pb");
    const auto uai = engine::load_compiled(dir + "/b.uai");
    const auto text = engine::load_compiled(dir + "/c.pbtxt");
    const auto& g = *original.graph;
    ASSERT_EQ(uai.graph->num_variables(), g.num_variables());
    std::mt19937 rng(7);
    for (int t = 0; t < 200; ++t) {
      std::vector<std::int32_t> x(g.num_variables());
      for (std::int32_t v = 0; v < g.num_variables(); ++v)
        x[v] = std::uniform_int_distribution<int>(0, g.cardinality[v] - 1)(rng);
      const double f = engine::total_log_potential(original, x);
      EXPECT_EQ(engine::total_log_potential(binary, x), f);
      const double fu = engine::total_log_potential(uai, x);
      const double ft = engine::total_log_potential(text, x);
      if (std::isinf(f)) {
        EXPECT_EQ(fu, f);
        EXPECT_EQ(ft, f);
      } else {
        EXPECT_NEAR(fu, f, 1e-9 * (1 + std::abs(f)));
        EXPECT_NEAR(ft, f, 1e-9 * (1 + std::abs(f)));
      }
    }
  }
}

// Evidence from a .evid file gives the same answers as the same evidence in the model file.
TEST(Cli, EvidenceFileEqualsModelEvidence) {
  const std::string dir = testing::scratch_dir();
  const std::string base = R"(
variables { name: "x" shape: [4] cardinality: 3 }
parameters { name: "M" shape: [3, 3] value: [0.5, -1, 0.2, 0.1, 0.9, -0.3, 0, 0.4, 1.1] }
factors { name: "p" pairwise { log_potentials: "M" } lattice { group: "x" } }
)";
  testing::write_file(dir, "plain.pbtxt", base);
  testing::write_file(dir, "with.pbtxt", base + "evidence { variable: \"x[2]\" value: 1 }\n");
  testing::write_file(dir, "e.evid", "1 2 1\n");
  testing::write_file(dir, "multi.evid", "2\n1 0 0\n1 2 1\n");
  const auto a = run_dgm("marginals '" + dir + "/with.pbtxt' --format json");
  const auto b =
      run_dgm("marginals '" + dir + "/plain.pbtxt' --evidence '" + dir + "/e.evid' --format json");
  const auto c = run_dgm("marginals '" + dir + "/plain.pbtxt' --evidence '" + dir +
                         "/multi.evid' --evidence-sample 1 --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  ASSERT_EQ(c.exit_code, 0) << c.err;
  const auto ja = nlohmann::json::parse(a.out), jb = nlohmann::json::parse(b.out),
             jc = nlohmann::json::parse(c.out);
  EXPECT_NEAR(static_cast<double>(ja["log_z"]), static_cast<double>(jb["log_z"]), 1e-12);
  EXPECT_EQ(ja["marginals"], jb["marginals"]);
  EXPECT_EQ(ja["marginals"], jc["marginals"]);
  // The same through a UAI file with the .evid.
  ASSERT_EQ(run_dgm("convert '" + dir + "/plain.pbtxt' '" + dir + "/plain.uai'").exit_code, 0);
  const auto d =
      run_dgm("marginals '" + dir + "/plain.uai' --evidence '" + dir + "/e.evid' --format json");
  ASSERT_EQ(d.exit_code, 0) << d.err;
  const auto jd = nlohmann::json::parse(d.out);
  EXPECT_NEAR(static_cast<double>(jd["log_z"]), static_cast<double>(ja["log_z"]), 1e-9);
  for (std::size_t v = 0; v < 4; ++v)
    for (std::size_t k = 0; k < 3; ++k)
      EXPECT_NEAR(static_cast<double>(jd["marginals"][v]["p"][k]),
                  static_cast<double>(ja["marginals"][v]["p"][k]), 1e-9);
}

TEST(Cli, ZeroProbabilityEvidenceIsMinusInfinityInJson) {
  const std::string dir = testing::scratch_dir();
  testing::write_file(dir, "z.pbtxt", R"(
variables { name: "p" shape: [2] cardinality: 2 }
variables { name: "c" cardinality: 2 }
factors { name: "or" logical_or { parents: "p" child: "c" } }
evidence { variable: "p" values: [1, 0] }
evidence { variable: "c" value: 0 })");
  const auto r = run_dgm("logz '" + dir + "/z.pbtxt' --format json");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto j = nlohmann::json::parse(r.out);
  EXPECT_TRUE(j["log_z"].is_null());
  EXPECT_EQ(j["log_z_status"], "minus_infinity");
  const auto m = run_dgm("marginals '" + dir + "/z.pbtxt'");
  EXPECT_EQ(m.exit_code, 1);
  EXPECT_THAT(m.err, HasSubstr("probability zero"));
}

TEST(Cli, ConvertChecksEvidenceAndWritesIt) {
  const std::string dir = testing::scratch_dir();
  testing::write_file(dir, "e.evid", "1 3 1\n");
  const auto r = run_dgm("convert '" + kChain + "' '" + dir + "/c.uai' --evidence '" + dir +
                         "/e.evid' --evidence-out '" + dir + "/out.evid'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto a = run_dgm("logz '" + kChain + "' --evidence '" + dir + "/e.evid' --format json");
  const auto b =
      run_dgm("logz '" + dir + "/c.uai' --evidence '" + dir + "/out.evid' --format json");
  ASSERT_EQ(a.exit_code, 0) << a.err;
  ASSERT_EQ(b.exit_code, 0) << b.err;
  EXPECT_NEAR(static_cast<double>(nlohmann::json::parse(a.out)["log_z"]),
              static_cast<double>(nlohmann::json::parse(b.out)["log_z"]), 1e-9);
  testing::write_file(dir, "bad.evid", "1 3 5\n");
  const auto bad =
      run_dgm("convert '" + kChain + "' '" + dir + "/d.uai' --evidence '" + dir + "/bad.evid'");
  EXPECT_EQ(bad.exit_code, 1);
}

TEST(Cli, ExactRefusesWideModelsWithWidthAndSize) {
  const auto r =
      run_dgm("logz '" + source_path("examples/ising_2d.pbtxt") + "' --max-table-size 100000");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.err, HasSubstr("width"));
  EXPECT_THAT(r.err, HasSubstr("--max-table-size"));
}

// dgm check and exact inference's refusal name the same width: that of the best elimination
// order found (an upper bound on the treewidth), or "> cap" for both when every order passes
// it. On a 32×32 torus the row-by-row order has width 64, on the open lattice 32.
TEST(Cli, CheckAndExactRefusalReportTheSameWidth) {
  const std::string dir = testing::scratch_dir();
  for (const auto& [periodic, width] :
       std::vector<std::pair<std::string, std::string>>{{"true", "64"}, {"false", "32"}}) {
    const std::string model = testing::write_file(
        dir, "lattice_" + periodic + ".pbtxt",
        "variables { name: \"s\" shape: [32, 32] cardinality: 2 }\n"
        "parameters { name: \"J\" value: 0.3 }\n"
        "factors { name: \"b\" ising { coupling: \"J\" } lattice { group: \"s\" periodic: " +
            periodic + " } }\n");
    const std::string said = "induced width " + width +
                             " (natural order, the best of the min-fill, min-degree and natural "
                             "orders; an upper bound on the treewidth)";
    const auto check = run_dgm("check '" + model + "'");
    ASSERT_EQ(check.exit_code, 0) << check.err;
    EXPECT_THAT(check.out, HasSubstr(said)) << periodic;
    EXPECT_THAT(check.out, HasSubstr("too large for exact inference")) << periodic;
    const auto logz = run_dgm("logz '" + model + "'");
    EXPECT_EQ(logz.exit_code, 1) << periodic;
    EXPECT_THAT(logz.err, HasSubstr("the best elimination order found has " + said)) << periodic;
    EXPECT_THAT(logz.err, Not(HasSubstr("at least"))) << periodic;
    const auto json = run_dgm("check '" + model + "' --format json");
    ASSERT_EQ(json.exit_code, 0) << json.err;
    EXPECT_EQ(nlohmann::json::parse(json.out)["induced_width"], std::stoi(width)) << periodic;
  }
  // Past the cap both say so, and neither claims it bounds the treewidth from below.
  const std::string wide = source_path("examples/ising_2d.pbtxt");  // 64×64 torus
  const std::string over =
      "induced width > 64 (the min-fill, min-degree and natural orders all "
      "pass it; a bound on these orders only: the treewidth may be smaller)";
  const auto check = run_dgm("check '" + wide + "'");
  EXPECT_THAT(check.out, HasSubstr(over));
  const auto logz = run_dgm("logz '" + wide + "'");
  EXPECT_EQ(logz.exit_code, 1);
  EXPECT_THAT(logz.err, HasSubstr(over));
}

TEST(Cli, CheckSummarisesTheGraph) {
  const auto r = run_dgm("check '" + source_path("examples/ising_2d.pbtxt") + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 colour(s)"));
  EXPECT_THAT(r.out, HasSubstr("bipartite: yes"));
  const auto j =
      run_dgm("check '" + source_path("examples/rbm_mnist_random.pbtxt") + "' --format json");
  ASSERT_EQ(j.exit_code, 0) << j.err;
  const auto js = nlohmann::json::parse(j.out);
  EXPECT_EQ(js["bipartite"], true);
  EXPECT_EQ(js["variables"], 1284);
}

}  // namespace
}  // namespace dgm
