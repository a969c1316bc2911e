// dgm plot (tools/plot/dgm_plot.py through tools/dgm/plotting.h): learning curves and image
// grids written as PNGs of the documented pixel sizes, errors for bad input naming the file,
// and the messages when the interpreter or matplotlib is missing. Skipped only when the
// interpreter dgm would use has no matplotlib (tools/quickstart.sh installs it, so CI runs them).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "dgm.h"
#include "tests/support/test_models.h"

namespace dgm {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using testing::run_dgm;

// The interpreter dgm plot uses by default (tools/dgm/plotting.h).
std::string default_python() {
  if (const char* p = std::getenv("DGM_PYTHON"); p != nullptr && *p) return p;
  return std::filesystem::exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
}

class PlotCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (const std::string why = testing::plotting_unavailable_reason(); !why.empty())
      GTEST_SKIP() << why;
    dir_ = testing::scratch_dir();
  }
  std::string dir_;
};

struct Png {
  bool valid = false;
  std::uint32_t width = 0, height = 0;
};

// The signature and the IHDR chunk's size fields.
Png read_png(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::string head(24, '\0');
  in.read(head.data(), 24);
  Png png;
  if (in.gcount() != 24 || head.compare(0, 8, "\x89PNG\r\n\x1a\n") != 0 ||
      head.compare(12, 4, "IHDR") != 0)
    return png;
  auto be32 = [&](int at) {
    std::uint32_t v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<unsigned char>(head[at + i]);
    return v;
  };
  png.valid = true;
  png.width = be32(16);
  png.height = be32(20);
  return png;
}

std::string full_log(const std::string& method, double scale) {
  std::string text;
  for (int e = 1; e <= 5; ++e) {
    const std::string s = std::to_string(scale / e);
    text += "{\"epoch\": " + std::to_string(e) + ", \"updates\": " + std::to_string(90 * e) +
            ", \"seconds\": " + std::to_string(1.5 * e) + ", \"gradient_norm\": " + s +
            ", \"proxy_name\": \"reconstruction_error\", \"train_proxy\": " + s +
            ", \"test_proxy\": " + s + ", \"k\": 1, \"tau_int\": " + std::to_string(3 + e) +
            ", \"parameter_rmse\": " + s + ", \"test_log_likelihood\": null, \"method\": \"" +
            method + "\", \"sampler\": \"gibbs\"}\n";
  }
  return text;
}

TEST_F(PlotCli, CurvesHaveAPanelPerPresentFieldAndOverlayLogs) {
  const std::string a = testing::write_file(dir_, "a.jsonl", full_log("pcd", 1.0));
  const std::string b = testing::write_file(dir_, "b.jsonl", full_log("pmp", 0.5));
  auto r = run_dgm("plot curves --out '" + dir_ + "/all.png' '" + a + "' '" + b +
                   "' --x seconds --labels PCD,PMP");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Png png = read_png(dir_ + "/all.png");
  EXPECT_TRUE(png.valid);
  // gradient norm, proxy, tau_int, parameter RMSE: 2×2 panels of 500×350.
  EXPECT_EQ(png.width, 1000u);
  EXPECT_EQ(png.height, 700u);
  EXPECT_THAT(r.out, HasSubstr("4 panel(s) from 2 log(s)"));

  // Absent and null fields are skipped: only the gradient norm and the proxies here.
  const std::string sparse = testing::write_file(
      dir_, "sparse.jsonl",
      "{\"epoch\": 1, \"gradient_norm\": 0.5, \"train_proxy\": 0.2, \"parameter_rmse\": null}\n"
      "\n"
      "{\"epoch\": 2, \"gradient_norm\": 0.4, \"test_proxy\": 0.3}\n");
  r = run_dgm("plot curves --out '" + dir_ + "/sparse.png' '" + sparse + "'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  png = read_png(dir_ + "/sparse.png");
  EXPECT_TRUE(png.valid);
  EXPECT_EQ(png.width, 1000u);
  EXPECT_EQ(png.height, 350u);

  r = run_dgm("plot curves --out '" + dir_ + "/one.png' '" + a + "' --y parameter_rmse --logy");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  png = read_png(dir_ + "/one.png");
  EXPECT_EQ(png.width, 500u);
  EXPECT_EQ(png.height, 350u);
}

TEST_F(PlotCli, CurvesRefuseBadLogsNamingTheFileAndLine) {
  const std::string a = testing::write_file(dir_, "a.jsonl", full_log("pcd", 1.0));
  auto r = run_dgm("plot curves --out '" + dir_ + "/x.png' '" + dir_ + "/missing.jsonl'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, AllOf(HasSubstr("missing.jsonl: no such file"), HasSubstr("failed")));
  const std::string bad =
      testing::write_file(dir_, "bad.jsonl", "{\"epoch\": 1}\n{\"epoch\": 2,\n");
  r = run_dgm("plot curves --out '" + dir_ + "/x.png' '" + bad + "'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("bad.jsonl:2: not a JSON object"));
  r = run_dgm("plot curves --out '" + dir_ + "/x.png' '" + a + "' --y no_such_field");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("nothing to plot"));
  r = run_dgm("plot curves --out '" + dir_ + "/x.png' '" + a + "' --labels only-one,two");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--labels has 2 labels for 1 logs"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.png"));
}

TEST_F(PlotCli, GridIsColumnsTimesCellByRowsTimesCell) {
  std::vector<double> values;
  for (int i = 0; i < 7 * 4 * 5; ++i) values.push_back((i % 3) == 0 ? 1 : 0);
  engine::write_npy(dir_ + "/images.npy", {7, 4, 5}, values, "|u1");
  auto r = run_dgm("plot grid --out '" + dir_ + "/g.png' '" + dir_ +
                   "/images.npy' --rows 2 --cols 3 --cell 20");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Png png = read_png(dir_ + "/g.png");
  EXPECT_TRUE(png.valid);
  EXPECT_EQ(png.width, 60u);
  EXPECT_EQ(png.height, 40u);
  EXPECT_THAT(r.out, HasSubstr("6 of 7 image(s) of 4×5"));

  // Rows of a samples file, with a title band of 30 px; default columns min(n, 10).
  engine::write_npy(dir_ + "/rows.npy", {7, 26}, std::vector<double>(7 * 26, 1.0), "|u1");
  r = run_dgm("plot grid --out '" + dir_ + "/t.png' '" + dir_ +
              "/rows.npy' --shape 4,5 --offset 6 --title 'model samples'");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  png = read_png(dir_ + "/t.png");
  EXPECT_EQ(png.width, 7u * 56);
  EXPECT_EQ(png.height, 56u + 30);
}

TEST_F(PlotCli, GridRefusesShapesThatDoNotFit) {
  engine::write_npy(dir_ + "/rows.npy", {3, 26}, std::vector<double>(3 * 26, 1.0), "|u1");
  const std::string rows = " '" + dir_ + "/rows.npy' --out '" + dir_ + "/x.png'";
  auto r = run_dgm("plot grid" + rows);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("rows of 26 values; give the image shape with --shape H,W"));
  r = run_dgm("plot grid" + rows + " --shape 4,5");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, AllOf(HasSubstr("rows.npy: rows of 26 values, --shape 4,5 needs 20"),
                           HasSubstr("--offset")));
  r = run_dgm("plot grid" + rows + " --shape 4,5 --offset 7");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("needs columns 7..26; the rows have 26"));
  r = run_dgm("plot grid" + rows + " --shape 4,x");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("--shape 4,x: expected two integers"));
  engine::write_npy(dir_ + "/flat.npy", {26}, std::vector<double>(26, 1.0), "|u1");
  r = run_dgm("plot grid '" + dir_ + "/flat.npy' --out '" + dir_ + "/x.png'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("shape [26]"));
  r = run_dgm("plot grid '" + dir_ + "/none.npy' --out '" + dir_ + "/x.png'");
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.err, HasSubstr("none.npy: no such file"));
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.png"));
}

// Sets an environment variable for one scope (run_dgm's shell inherits it).
class ScopedEnv {
 public:
  ScopedEnv(const char* name, const std::string& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    setenv(name, value.c_str(), 1);
  }
  ~ScopedEnv() {
    if (old_.empty())
      unsetenv(name_);
    else
      setenv(name_, old_.c_str(), 1);
  }

 private:
  const char* name_;
  std::string old_;
};

TEST_F(PlotCli, SaysHowToInstallWhatIsMissing) {
  engine::write_npy(dir_ + "/images.npy", {2, 4, 5}, std::vector<double>(40, 1.0), "|u1");
  const std::string args = "plot grid '" + dir_ + "/images.npy' --out '" + dir_ + "/x.png'";
  {
    // A Python without the system's site packages, where matplotlib lives on Debian.
    const std::string bare = testing::write_file(
        dir_, "bare-python", "#!/bin/sh\nexec '" + default_python() + "' -S -I \"$@\"\n");
    std::filesystem::permissions(bare, std::filesystem::perms::owner_all);
    ScopedEnv python("DGM_PYTHON", bare);
    const auto r = run_dgm(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, AllOf(HasSubstr("matplotlib or numpy is missing for " + bare),
                             HasSubstr("apt-get install python3-matplotlib python3-numpy")));
  }
  {
    ScopedEnv python("DGM_PYTHON", dir_ + "/no-such-python");
    const auto r = run_dgm(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, AllOf(HasSubstr("cannot run the Python interpreter"),
                             HasSubstr("no-such-python"), HasSubstr("DGM_PYTHON")));
  }
  {
    ScopedEnv script("DGM_PLOT_SCRIPT", dir_ + "/no-such-script.py");
    const auto r = run_dgm(args);
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_THAT(r.err, HasSubstr("DGM_PLOT_SCRIPT=" + dir_ + "/no-such-script.py: no such file"));
  }
  EXPECT_FALSE(std::filesystem::exists(dir_ + "/x.png"));
  EXPECT_EQ(run_dgm(args).exit_code, 0);  // and with the defaults it works
}

}  // namespace
}  // namespace dgm
