// The --format json documents of dgm logz / marginals / map / check, parsed from the real
// program's output, against docs/json.md: numbers are numbers (null with a status where a value
// is undefined or infinite; never "nan" or "-inf" strings), variables are {group, index},
// convergence, warnings, the method and whether the answer is exact are fields.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::run_dgm;
using testing::source_path;

using Json = nlohmann::json;

const std::string kChain = source_path("examples/tiny_chain.pbtxt");
const std::string kLawn = source_path("examples/logic_or_and.pbtxt");
const std::string kTriangle = source_path("examples/frustrated_triangle.pbtxt");

// A 2×3 grid of 3-state variables with named states, and a scalar variable.
const char* kGrid = R"(
  variables { name: "g" shape: [2, 3] cardinality: 3 state_names: ["red", "green", "blue"] }
  variables { name: "t" cardinality: 2 }
  parameters { name: "P" value: 0.4 }
  parameters { name: "u" shape: [3] value: [0.2, -0.1, 0.3] }
  parameters { name: "w" shape: [3, 2] value: [0.5, 0.0, 0.0, 0.5, 0.1, 0.2] }
  factors { name: "bonds" potts { coupling: "P" } lattice { group: "g" } }
  factors { name: "field" unary { log_potentials: "u" } each: "g" }
  factors { name: "tie" pairwise { log_potentials: "w" } scope: "g[0,0] t" }
)";

Json run_json(const std::string& args) {
  const auto r = run_dgm(args + " --format json");
  EXPECT_EQ(r.exit_code, 0) << args << ": " << r.err;
  if (r.exit_code != 0) return Json();
  return Json::parse(r.out);
}

// No string anywhere stands for a number.
void expect_no_number_strings(const Json& j, const std::string& where) {
  if (j.is_string()) {
    const std::string s = j.get<std::string>();
    EXPECT_TRUE(s != "nan" && s != "inf" && s != "-inf" && s != "+inf") << where << ": " << s;
  }
  if (j.is_structured())
    for (const auto& item : j.items())
      expect_no_number_strings(item.value(), where + "/" + item.key());
}

// The fields every query document has (docs/json.md, "Common fields").
void expect_common(const Json& j, const std::string& command, const std::string& method) {
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], command);
  EXPECT_TRUE(j["model"].is_string());
  EXPECT_EQ(j["method"], method);
  EXPECT_TRUE(j["exact"].is_boolean());
  EXPECT_EQ(j["approximation"].is_null(), j["exact"].get<bool>());
  EXPECT_TRUE(j["detail"].is_string());
  EXPECT_TRUE(j["clamped_variables"].is_number_integer());
  EXPECT_TRUE(j["groups"].is_array());
  EXPECT_EQ(j["log_base"], "e");
  EXPECT_TRUE(j["log_z"].is_number() || j["log_z"].is_null());
  EXPECT_EQ(j["log_z"].is_null(), j["log_z_status"] != "finite");
  EXPECT_TRUE(j.contains("convergence"));
  EXPECT_TRUE(j.contains("bp"));
  EXPECT_TRUE(j.contains("sampling"));
  EXPECT_TRUE(j.contains("mixing"));
  EXPECT_EQ(j["mixing"].is_null(), j["sampling"].is_null());
  EXPECT_TRUE(j["warnings"].is_array());
  expect_no_number_strings(j, command + " " + method);
}

TEST(JsonCli, LogZIsANumberWithAStatusAndKind) {
  const Json exact = run_json("logz '" + kChain + "'");
  expect_common(exact, "logz", "exact");
  EXPECT_EQ(exact["exact"], true);
  EXPECT_EQ(exact["log_z_status"], "finite");
  EXPECT_EQ(exact["log_z_kind"], "exact");
  EXPECT_NEAR(exact["log10_z"].get<double>(), exact["log_z"].get<double>() / std::log(10.0), 1e-12);
  EXPECT_TRUE(exact["convergence"].is_null());
  const Json bethe = run_json("logz '" + kChain + "' --method bp");
  expect_common(bethe, "logz", "bp");
  EXPECT_EQ(bethe["log_z_kind"], "bethe_estimate");
  EXPECT_EQ(bethe["exact"], true);  // a chain is a factor-graph tree and BP converged
  EXPECT_NEAR(bethe["log_z"].get<double>(), exact["log_z"].get<double>(), 1e-6);
}

TEST(JsonCli, ImpossibleModelHasLogZNullAndStatusMinusInfinity) {
  const std::string model = testing::write_file(testing::scratch_dir(), "impossible.pbtxt", R"(
    variables { name: "x" shape: [2] cardinality: 2 }
    parameters { name: "ne" shape: [2, 2] value: [-inf, 0, 0, -inf] }
    parameters { name: "eq" shape: [2, 2] value: [0, -inf, -inf, 0] }
    factors { name: "differ" table { log_potentials: "ne" } scope: "x[0] x[1]" }
    factors { name: "same" table { log_potentials: "eq" } scope: "x[0] x[1]" }
  )");
  for (const char* method : {"exact", "enumerate"}) {
    const auto r = run_dgm("logz '" + model + "' --format json --method " + method);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, Not(HasSubstr("inf\"")));
    const Json j = Json::parse(r.out);
    expect_common(j, "logz", method);
    EXPECT_TRUE(j["log_z"].is_null());
    EXPECT_TRUE(j["log10_z"].is_null());
    EXPECT_EQ(j["log_z_status"], "minus_infinity");
    EXPECT_EQ(j["exact"], true);
  }
}

TEST(JsonCli, VariablesAreGroupAndIndex) {
  const std::string model = testing::write_file(testing::scratch_dir(), "grid.pbtxt", kGrid);
  const Json j = run_json("marginals '" + model + "'");
  expect_common(j, "marginals", "exact");
  ASSERT_EQ(j["groups"].size(), 2u);
  EXPECT_EQ(j["groups"][0]["name"], "g");
  EXPECT_EQ(j["groups"][0]["shape"], Json::parse("[2, 3]"));
  EXPECT_EQ(j["groups"][0]["cardinality"], 3);
  EXPECT_EQ(j["groups"][0]["first_id"], 0);
  EXPECT_EQ(j["groups"][0]["state_names"], Json::parse(R"(["red", "green", "blue"])"));
  EXPECT_TRUE(j["groups"][1]["state_names"].is_null());
  ASSERT_EQ(j["marginals"].size(), 7u);
  const Json& g12 = j["marginals"][5];  // row-major: g[1,2] is variable 5
  EXPECT_EQ(g12["id"], 5);
  EXPECT_EQ(g12["group"], "g");
  EXPECT_EQ(g12["index"], Json::parse("[1, 2]"));
  EXPECT_EQ(g12["name"], "g[1,2]");
  EXPECT_EQ(g12["clamped"], false);
  EXPECT_TRUE(g12["se"].is_null());
  double total = 0;
  for (const auto& p : g12["p"]) total += p.get<double>();
  EXPECT_NEAR(total, 1.0, 1e-12);
  const Json& t = j["marginals"][6];
  EXPECT_EQ(t["group"], "t");
  EXPECT_EQ(t["index"], Json::array());
  EXPECT_EQ(t["p"].size(), 2u);

  const Json map = run_json("map '" + model + "'");
  expect_common(map, "map", "exact");
  ASSERT_EQ(map["map_state"].size(), 7u);
  EXPECT_EQ(map["map_state"][4]["index"], Json::parse("[1, 1]"));
  const int k = map["map_state"][4]["state"];
  EXPECT_EQ(map["map_state"][4]["state_name"],
            std::vector<std::string>({"red", "green", "blue"})[k]);
  EXPECT_EQ(map["map_state_by_group"]["g"][4], k);
  EXPECT_TRUE(map["map_state"][6]["state_name"].is_null());
  EXPECT_NEAR(map["map_log_probability"].get<double>(),
              map["map_log_potential"].get<double>() - map["log_z"].get<double>(), 1e-9);
}

TEST(JsonCli, BpReportsConvergenceSettingsAndWhetherItIsExact) {
  // A factor-graph tree, converged: exact.
  Json j = run_json("marginals '" + kLawn + "' --method bp");
  expect_common(j, "marginals", "bp");
  EXPECT_EQ(j["exact"], true);
  EXPECT_EQ(j["convergence"]["status"], "converged");
  EXPECT_GT(j["convergence"]["iterations"].get<int>(), 0);
  EXPECT_LT(j["convergence"]["largest_change"].get<double>(), 1e-6);
  EXPECT_EQ(j["convergence"]["tolerance"], 1e-6);
  EXPECT_EQ(j["convergence"]["max_iterations"], 200);
  EXPECT_EQ(j["bp"]["schedule"], "flooding");
  EXPECT_EQ(j["bp"]["damping"], 0.5);
  EXPECT_EQ(j["bp"]["temperature"], 1.0);
  EXPECT_EQ(j["bp"]["messages"], "full");
  EXPECT_EQ(j["warnings"], Json::array());
  // Loops: approximate, and says why.
  j = run_json("map '" + kTriangle + "' --method bp --iterations 300");
  expect_common(j, "map", "bp");
  EXPECT_EQ(j["exact"], false);
  EXPECT_THAT(j["approximation"].get<std::string>(), HasSubstr("cycles"));
  EXPECT_EQ(j["bp"]["messages"], "binary_log_ratio");
  EXPECT_TRUE(j["map_log_potential"].is_number());
  EXPECT_TRUE(j["map_log_probability"].is_null());  // BP MAP computes no log Z
  // Undamped max-product oscillates on the frustrated triangle: a status and a warning.
  j = run_json("map '" + kTriangle + "' --method bp --damping 0 --iterations 60");
  expect_common(j, "map", "bp");
  EXPECT_EQ(j["convergence"]["status"], "oscillating");
  EXPECT_EQ(j["convergence"]["iterations"], 60);
  ASSERT_EQ(j["warnings"].size(), 1u);
  EXPECT_EQ(j["warnings"][0]["code"], "oscillating");
  EXPECT_THAT(j["warnings"][0]["message"].get<std::string>(), HasSubstr("did not converge"));
  // Tolerance 0: a fixed number of iterations, never "converged".
  j = run_json("marginals '" + kChain + "' --method bp --tolerance 0 --iterations 50");
  EXPECT_EQ(j["convergence"]["status"], "fixed_iterations");
  EXPECT_EQ(j["exact"], false);
}

TEST(JsonCli, SampledMarginalsHaveStandardErrorsAndTheRun) {
  const Json j = run_json("marginals '" + kChain + "' --method gibbs --chains 8 --sweeps 200");
  expect_common(j, "marginals", "gibbs");
  EXPECT_EQ(j["exact"], false);
  EXPECT_THAT(j["approximation"].get<std::string>(), HasSubstr("Monte Carlo"));
  EXPECT_EQ(j["sampling"]["sampler"], "gibbs");
  EXPECT_EQ(j["sampling"]["chains"], 8);
  EXPECT_EQ(j["sampling"]["kept_sweeps"], 200);
  EXPECT_EQ(j["sampling"]["interrupted"], false);
  EXPECT_EQ(j["mixing"]["chains"], 8);
  EXPECT_EQ(j["mixing"]["kept_sweeps"], 200);
  EXPECT_TRUE(j["mixing"]["worst_variable"]["name"].is_string());
  EXPECT_TRUE(j["log_z"].is_null());
  EXPECT_EQ(j["log_z_status"], "not_computed");
  for (const auto& v : j["marginals"]) {
    ASSERT_EQ(v["se"].size(), 2u);
    for (const auto& se : v["se"]) EXPECT_TRUE(se.is_number() || se.is_null());
  }
  // PMP is approximate even with unlimited samples, and the document says so.
  const Json pmp = run_json("marginals '" + kChain + "' --method pmp --chains 8 --sweeps 20");
  EXPECT_THAT(pmp["approximation"].get<std::string>(), HasSubstr("approximate sampler"));
}

TEST(JsonCli, CheckReportsTheWidthWithItsKind) {
  Json j = run_json("check '" + kChain + "'");
  EXPECT_EQ(j["schema_version"], 1);
  EXPECT_EQ(j["command"], "check");
  EXPECT_EQ(j["valid"], true);
  EXPECT_EQ(j["variables"], 10);
  EXPECT_EQ(j["groups"][0]["shape"], Json::parse("[10]"));
  EXPECT_EQ(j["induced_width"], 1);
  EXPECT_EQ(j["induced_width_status"], "upper_bound");
  EXPECT_EQ(j["induced_width_cap"], 64);
  EXPECT_TRUE(j["elimination_order"].is_string());
  EXPECT_EQ(j["largest_clique_table"], 4);
  EXPECT_EQ(j["exact_inference_fits"], true);
  EXPECT_EQ(j["bp_exact"], true);
  EXPECT_TRUE(j["warnings"].is_array());
  expect_no_number_strings(j, "check");
  j = run_json("check '" + source_path("examples/ising_2d.pbtxt") + "'");
  EXPECT_TRUE(j["induced_width"].is_null());
  EXPECT_EQ(j["induced_width_status"], "over_cap");
  EXPECT_TRUE(j["largest_clique_table"].is_null());
  EXPECT_EQ(j["exact_inference_fits"], false);
  EXPECT_EQ(j["bp_exact"], false);
}

}  // namespace
}  // namespace dgm
