// dgm learn MODEL --data train.npy ...: maximum-likelihood training (learning/trainer.h) with
// exact, CD-k, PCD, PMP or any sampler's fresh negatives; writes the learned model, a JSON-lines
// log per epoch, checkpoints (atomically), and continues exactly with --resume.
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>

#include "dgm.h"
#include "learning/visible_bias_init.h"
#include "tools/dgm/commands.h"
#include "tools/dgm/json_output.h"
#include "tools/dgm/model_options.h"
#include "tools/dgm/plotting.h"
#include "tools/dgm/progress.h"
#include "tools/dgm/text_config.h"

namespace dgm::cli {
namespace {

struct LearnOptions {
  ModelOptions model;
  std::string data, test, config, out, checkpoint, resume, log, reference, plot, format = "text";
  // Flag values; a flag given overrides the configuration file's field.
  std::string method, sampler, fresh_sampler, optimizer;
  std::int64_t k = 0, epochs = 0, checkpoint_every = 0, mixing_every = 0, mixing_sweeps = 0,
               hidden_sweeps = 0;
  std::int32_t batch_size = 0, chains = 0, threads = 0;
  double lr = 0, momentum = 0, initial_momentum = 0, l1 = 0, l2 = 0, lr_decay = 0;
  std::int64_t lr_decay_every = 0, momentum_switch_epoch = 0;
  std::uint64_t seed = 0;
  std::vector<std::string> visible;
  bool weights_only = false, init_visible_bias = false;
  std::map<std::string, CLI::Option*> given;

  bool has(const std::string& name) const {
    const auto it = given.find(name);
    return it != given.end() && it->second->count() > 0;
  }
};

proto::LearnConfig read_config(const std::string& path) {
  return read_text_config<proto::LearnConfig>(path, "learning configuration");
}

// The flags given, written over `config`.
void apply_flags(const LearnOptions& o, proto::LearnConfig& c) {
  // A configuration field left at 0 means "the default"; a flag given as 0 is a mistake, not a
  // request for the default.
  for (const auto& [flag, value] : {std::pair<const char*, std::int64_t>{"--epochs", o.epochs},
                                    {"--batch-size", o.batch_size},
                                    {"--chains", o.chains}})
    if (o.has(flag) && value < 1)
      throw Error(std::string(flag) + " must be ≥ 1 (got " + std::to_string(value) + ")");
  if (o.has("--method")) c.set_method(o.method);
  if (o.has("--sampler")) c.set_sampler(o.sampler);
  if (o.has("--fresh-sampler")) c.set_fresh_sampler(o.fresh_sampler);
  if (o.has("--k")) c.set_k(o.k);
  if (o.has("--chains")) c.set_chains(o.chains);
  if (o.has("--epochs")) c.set_epochs(o.epochs);
  if (o.has("--batch-size")) c.set_batch_size(o.batch_size);
  if (o.has("--optimizer")) c.set_optimizer(o.optimizer);
  if (o.has("--lr")) c.set_learning_rate(o.lr);
  if (o.has("--momentum")) c.set_momentum(o.momentum);
  if (o.has("--initial-momentum")) c.set_initial_momentum(o.initial_momentum);
  if (o.has("--momentum-switch-epoch")) c.set_momentum_switch_epoch(o.momentum_switch_epoch);
  if (o.has("--l1")) c.set_l1(o.l1);
  if (o.has("--l2")) c.set_l2(o.l2);
  if (o.has("--penalise-weights-only")) c.set_penalise_weights_only(o.weights_only);
  if (o.has("--lr-decay")) c.set_lr_decay(o.lr_decay);
  if (o.has("--lr-decay-every")) c.set_lr_decay_every(o.lr_decay_every);
  if (o.has("--seed")) c.set_seed(o.seed);
  if (o.has("--threads")) c.set_threads(o.threads);
  if (o.has("--visible")) {
    c.clear_visible();
    for (const std::string& v : o.visible) c.add_visible(v);
  }
  if (o.has("--checkpoint-every")) c.set_checkpoint_every(o.checkpoint_every);
  if (o.has("--mixing-every")) c.set_mixing_every(o.mixing_every);
  if (o.has("--mixing-sweeps")) c.set_mixing_sweeps(o.mixing_sweeps);
  if (o.has("--hidden-sweeps")) c.set_hidden_sweeps(o.hidden_sweeps);
  if (o.has("--init-visible-bias-from-data"))
    c.set_init_visible_bias_from_data(o.init_visible_bias);
}

// What a resumed run may change: how long it goes on, threads, and where things are written.
// Every other setting decides the result and must be the checkpoint's.
void check_resume_flags(const LearnOptions& o) {
  static const char* const kFixed[] = {"--method",
                                       "--sampler",
                                       "--fresh-sampler",
                                       "--k",
                                       "--chains",
                                       "--batch-size",
                                       "--optimizer",
                                       "--lr",
                                       "--momentum",
                                       "--initial-momentum",
                                       "--momentum-switch-epoch",
                                       "--l1",
                                       "--l2",
                                       "--penalise-weights-only",
                                       "--lr-decay",
                                       "--lr-decay-every",
                                       "--seed",
                                       "--visible",
                                       "--mixing-every",
                                       "--mixing-sweeps",
                                       "--config"};
  for (const char* flag : kFixed)
    if (o.has(flag))
      throw Error(std::string(flag) + " cannot change when resuming: the checkpoint " + o.resume +
                  " holds the run's settings (only --epochs, --threads, --checkpoint-every, "
                  "--out, --checkpoint, --log and --format may be given)");
}

learning::OptimizerSettings::Kind optimizer_kind(const std::string& name) {
  if (name.empty() || name == "sgd") return learning::OptimizerSettings::Kind::kSgd;
  if (name == "adam") return learning::OptimizerSettings::Kind::kAdam;
  throw Error("unknown optimizer '" + name + "' (sgd or adam)");
}

// The trainer's settings from a complete configuration (defaults for what it leaves out).
learning::TrainerSettings settings_from(const proto::LearnConfig& c, std::int64_t examples) {
  learning::TrainerSettings s;
  learning::GradientSettings& g = s.gradient;
  const std::string method = c.method().empty() ? "cd" : c.method();
  if (method == "exact") {
    g.negatives = learning::Negatives::kExact;
  } else if (method == "cd") {
    g.negatives = learning::Negatives::kCd;
  } else if (method == "pcd") {
    g.negatives = learning::Negatives::kPcd;
  } else if (method == "pmp" || method == "fresh") {
    g.negatives = learning::Negatives::kFresh;
  } else {
    throw Error("unknown method '" + method + "' (exact, cd, pcd, pmp or fresh)");
  }
  if (method == "pmp" && !c.fresh_sampler().empty() && c.fresh_sampler() != "pmp")
    throw Error("--method pmp draws fresh samples with pmp; for another fresh sampler ('" +
                c.fresh_sampler() + "') use --method fresh");
  if (method == "fresh" && c.fresh_sampler().empty())
    throw Error("--method fresh needs --fresh-sampler NAME (the sampler of the fresh draws)");
  g.sampler = c.sampler().empty() ? "gibbs" : c.sampler();
  g.sampler_config = c.sampler_config();
  g.fresh_sampler = c.fresh_sampler().empty() ? "pmp" : c.fresh_sampler();
  g.fresh_config = c.fresh_config();
  const bool fresh = g.negatives == learning::Negatives::kFresh;
  g.k = c.has_k() ? c.k() : (fresh ? 0 : 1);
  s.batch_size = c.batch_size() > 0
                     ? c.batch_size()
                     : static_cast<std::int32_t>(std::min<std::int64_t>(100, examples));
  if (c.batch_size() < 0)
    throw Error("--batch-size must be ≥ 1 (got " + std::to_string(c.batch_size()) + ")");
  if (c.chains() < 0) throw Error("--chains must be ≥ 1 (got " + std::to_string(c.chains()) + ")");
  g.chains = c.chains() > 0 ? c.chains() : s.batch_size;
  g.seed = c.seed();
  g.threads = c.threads();
  if (c.threads() < 0)
    throw Error("--threads must be ≥ 0 (got " + std::to_string(c.threads()) + ")");
  s.epochs = c.epochs() != 0 ? c.epochs() : 10;
  learning::OptimizerSettings& o = s.optimizer;
  o.kind = optimizer_kind(c.optimizer());
  const bool adam = o.kind == learning::OptimizerSettings::Kind::kAdam;
  o.learning_rate = c.has_learning_rate() ? c.learning_rate() : (adam ? 0.001 : 0.01);
  o.momentum = c.momentum();
  o.initial_momentum = c.has_initial_momentum() ? c.initial_momentum() : -1.0;
  o.momentum_switch_epoch = c.momentum_switch_epoch();
  if (c.has_adam_beta1()) o.beta1 = c.adam_beta1();
  if (c.has_adam_beta2()) o.beta2 = c.adam_beta2();
  if (c.has_adam_epsilon()) o.epsilon = c.adam_epsilon();
  o.l1 = c.l1();
  o.l2 = c.l2();
  o.penalise_weights_only = c.penalise_weights_only();
  o.decay = c.has_lr_decay() ? c.lr_decay() : 1.0;
  o.decay_every = c.lr_decay_every();
  if (adam && (c.momentum() != 0 || c.has_initial_momentum()))
    throw Error("--momentum applies to --optimizer sgd (Adam's are adam_beta1 / adam_beta2)");
  const bool mcmc = g.negatives == learning::Negatives::kCd ||
                    g.negatives == learning::Negatives::kPcd || (fresh && g.k > 0);
  s.mixing_every = c.has_mixing_every() ? c.mixing_every() : (mcmc ? 5 : 0);
  s.mixing_sweeps = c.mixing_sweeps() > 0 ? c.mixing_sweeps() : 400;
  if (c.mixing_sweeps() < 0) throw Error("--mixing-sweeps must be ≥ 8");
  if (c.hidden_sweeps() < 0)
    throw Error("--hidden-sweeps must be ≥ 1 (got " + std::to_string(c.hidden_sweeps()) + ")");
  if (c.hidden_sweeps() > 0) g.hidden_sweeps = c.hidden_sweeps();
  return s;
}

std::string default_out(const std::string& model_path) {
  return std::filesystem::path(model_path).stem().string() + ".learned.pbtxt";
}

bool is_terminal() { return isatty(STDERR_FILENO) != 0; }

// Why the gradient is not the exact gradient of the log-likelihood, or "" (exact).
std::string gradient_bias(const learning::GradientSettings& g) {
  const std::string k = std::to_string(g.k);
  switch (g.negatives) {
    case learning::Negatives::kExact:
      return "";
    case learning::Negatives::kCd:
      return "CD-" + k + ": chains start at the data and run " + k +
             " sweeps, so the model side is biased toward the data (Hinton 2002)";
    case learning::Negatives::kPcd:
      return "PCD: the persistent chains follow the parameters; the gradient is unbiased only "
             "while they stay at equilibrium (compare k with tau_int)";
    case learning::Negatives::kFresh: {
      const std::string why = sampler_approximation(g.fresh_sampler);
      if (g.k == 0)
        return why.empty() ? "fresh " + g.fresh_sampler +
                                 " draws of one sweep each are not equilibrium samples"
                           : why + "; its draws are used as they are (k = 0)";
      return "fresh " + g.fresh_sampler + " draws refined by " + k + " " + g.sampler +
             " sweeps: biased unless the refinement reaches equilibrium" +
             (why.empty() ? "" : " (" + why + ")");
    }
  }
  return "";
}

std::string fixed(double x, int digits) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(digits) << x;
  return s.str();
}

Json record_json(const learning::EpochRecord& r, const learning::TrainerSettings& s,
                 const std::string& method) {
  Json j;
  j["epoch"] = r.epoch;
  j["updates"] = r.updates;
  j["seconds"] = r.seconds;
  j["updates_per_second"] = r.updates_per_second;
  j["learning_rate"] = r.learning_rate;
  j["gradient_norm"] = number_or_null(r.gradient_norm);
  j["proxy_name"] = r.proxy.name;
  j["train_proxy"] = number_or_null(r.train_proxy);
  j["test_proxy"] = r.test_proxy ? number_or_null(*r.test_proxy) : Json(nullptr);
  if (s.gradient.negatives == learning::Negatives::kExact)
    j["k"] = nullptr;
  else
    j["k"] = s.gradient.k;
  if (r.mixing) {
    j["tau_int"] = r.mixing->tau_int;
    j["tau_int_reliable"] = r.mixing->reliable;
  } else {
    j["tau_int"] = nullptr;
    j["tau_int_reliable"] = nullptr;
  }
  j["probe_seconds"] = r.probe_seconds;
  j["method"] = method;
  j["sampler"] =
      s.gradient.negatives == learning::Negatives::kExact ? "exact"
      : s.gradient.negatives == learning::Negatives::kFresh
          ? s.gradient.fresh_sampler + (s.gradient.k > 0 ? "+" + s.gradient.sampler : std::string())
          : s.gradient.sampler;
  return j;
}

std::string record_text(const learning::EpochRecord& r, const learning::TrainerSettings& s) {
  std::ostringstream line;
  line << "epoch " << r.epoch << "/" << s.epochs << "  " << fixed(r.seconds, 2) << " s  "
       << fixed(r.updates_per_second, 1) << " updates/s  |g| " << std::setprecision(4)
       << r.gradient_norm;
  if (r.proxy.name != "none") {
    line << "  " << r.proxy.name << " " << std::setprecision(5) << r.train_proxy;
    if (r.test_proxy) line << " (test " << std::setprecision(5) << *r.test_proxy << ")";
  }
  if (r.mixing) {
    line << "  tau_int " << (r.mixing->reliable ? "" : ">") << fixed(r.mixing->tau_int, 1)
         << " sweeps (k = " << s.gradient.k << ")";
    // Within a sweep of k the estimate cannot tell; beyond it, k sweeps do not decorrelate the
    // chains between updates (Decelle et al. 2021's non-equilibrium regime).
    if (static_cast<double>(s.gradient.k) + 1.0 < r.mixing->tau_int)
      line << "; k < tau_int: the chains do not equilibrate between updates";
  }
  return line.str();
}

// --plot DIR: the learning curves from the log, and — when the data's first visible group is
// image-shaped (two dimensions) — a grid of the latest negatives (model samples) of that group.
std::vector<std::string> plot_training(const std::string& dir, const std::string& log_path,
                                       const learning::Trainer& trainer, const engine::Graph& g,
                                       bool json) {
  namespace fs = std::filesystem;
  std::vector<std::string> figures;
  const std::string curves = (fs::path(dir) / "curves.png").string();
  run_plot({"curves", "--out", curves, log_path}, json);
  figures.push_back(curves);
  const std::int32_t chains = trainer.num_negatives();
  if (chains == 0) return figures;
  const engine::VariableGroupInfo* image = nullptr;
  for (const engine::VariableGroupInfo& group : g.groups)
    if (group.shape.size() == 2) {
      image = &group;
      break;
    }
  if (image == nullptr) return figures;
  const std::int64_t shown = std::min<std::int32_t>(chains, 64);
  const std::int64_t size = image->shape[0] * image->shape[1];
  std::vector<double> values;
  values.reserve(static_cast<std::size_t>(shown * size));
  const auto states = trainer.negative_states();
  for (std::int64_t b = 0; b < shown; ++b)
    for (std::int64_t i = 0; i < size; ++i)
      values.push_back(states[static_cast<std::size_t>(b * g.num_variables() + image->first + i)]);
  const std::string npy = (fs::path(dir) / "samples.npy").string();
  engine::write_npy(npy, {shown, image->shape[0], image->shape[1]}, values, "|u1");
  const std::string grid = (fs::path(dir) / "samples.png").string();
  run_plot({"grid", "--out", grid, npy, "--title",
            "model samples (the last negatives) of group " + image->name},
           json);
  figures.push_back(grid);
  return figures;
}

void run_learn(LearnOptions& opt) {
  const engine::LoadedModel loaded = engine::load_model(opt.model.path);
  engine::CompiledModel model = opt.model.load();
  // Settings: the checkpoint's when resuming, else the configuration file with the flags over it.
  proto::LearnCheckpoint checkpoint;
  proto::LearnConfig config;
  if (!opt.resume.empty()) {
    check_resume_flags(opt);
    std::ifstream in(opt.resume, std::ios::binary);
    if (!in) throw Error(opt.resume + ": cannot open the training checkpoint");
    std::stringstream bytes;
    bytes << in.rdbuf();
    if (!checkpoint.ParseFromString(bytes.str()))
      throw Error(opt.resume + ": not a dgm training checkpoint (it does not parse)");
    config = checkpoint.config();
    if (opt.has("--epochs")) config.set_epochs(opt.epochs);
    if (opt.has("--threads")) config.set_threads(opt.threads);
    if (opt.has("--checkpoint-every")) config.set_checkpoint_every(opt.checkpoint_every);
  } else {
    if (!opt.config.empty()) config = read_config(opt.config);
    apply_flags(opt, config);
  }
  if (config.checkpoint_every() < 0)
    throw Error("--checkpoint-every must be ≥ 0 (got " + std::to_string(config.checkpoint_every()) +
                ")");

  const learning::Dataset train = learning::read_dataset(opt.data);
  std::vector<std::string> visible(config.visible().begin(), config.visible().end());
  learning::VisibleLayout layout =
      learning::visible_layout(*model.graph, visible, train.width, train.source);
  std::optional<learning::Dataset> test;
  if (!opt.test.empty()) test = learning::read_dataset(opt.test);
  learning::TrainerSettings settings = settings_from(config, train.num_examples);
  const std::string method = config.method().empty() ? "cd" : config.method();

  const std::string out = opt.out.empty() ? default_out(opt.model.path) : opt.out;
  if (engine::format_from_path(out) == engine::ModelFormat::kUai)
    throw Error("--out " + out + ": a learned model is written as .pbtxt or .pb");
  const std::string checkpoint_path = opt.checkpoint.empty() ? out + ".checkpoint" : opt.checkpoint;
  std::optional<engine::CompiledModel> reference;
  if (!opt.reference.empty()) {
    reference = engine::load_compiled(opt.reference);
    learning::parameter_rmse(model, *reference);  // refuses other names and shapes now
  }
  std::string log_path = opt.log;
  if (!opt.plot.empty()) {
    if (log_path.empty()) log_path = (std::filesystem::path(opt.plot) / "log.jsonl").string();
  }
  for (const std::string& input : {opt.model.path, opt.data, opt.test})
    for (const std::string& output : {out, checkpoint_path, log_path})
      if (!input.empty() && !output.empty() &&
          std::filesystem::weakly_canonical(input) == std::filesystem::weakly_canonical(output))
        throw Error("the output " + output + " is an input file; choose another path");

  // A missing folder is reported now, not when the first checkpoint is written after training.
  for (const std::string& output : {out, checkpoint_path, opt.log}) {
    const std::filesystem::path folder = std::filesystem::path(output).parent_path();
    if (!output.empty() && !folder.empty() && !std::filesystem::is_directory(folder))
      throw Error(output + ": cannot write (no folder " + folder.string() + ")");
  }

  // Hinton's starting biases (learning/visible_bias_init.h); a resumed run has its values.
  std::optional<learning::VisibleBiasInit> bias_init;
  if (config.init_visible_bias_from_data() && opt.resume.empty()) {
    bias_init = learning::init_visible_log_odds_from_data(model, layout, train);
    if (bias_init->values_set == 0)
      throw Error("--init-visible-bias-from-data: " + opt.model.path +
                  " has no learnable log-odds unary factor (one value per factor) on a binary "
                  "visible variable to start from the data");
  }
  learning::Trainer trainer(model, train, std::move(layout), settings, test ? &*test : nullptr);
  if (!opt.resume.empty()) {
    trainer.restore(checkpoint, opt.resume);
  }
  // Everything is validated: outputs may be opened now.
  std::ofstream log;
  if (!opt.plot.empty()) std::filesystem::create_directories(opt.plot);
  if (!log_path.empty()) {
    log.open(log_path, opt.resume.empty() ? std::ios::trunc : std::ios::app);
    if (!log) throw Error(log_path + ": cannot write the log");
  }
  const auto save_checkpoint = [&] {
    proto::LearnCheckpoint c = trainer.checkpoint();
    *c.mutable_config() = config;
    c.set_model_source(opt.model.path);
    c.set_data_source(opt.data);
    engine::write_file_atomically(checkpoint_path, c.SerializeAsString());
  };
  const bool json = opt.format == "json";
  std::ostream& text = json ? std::cerr : std::cout;
  if (!json) {
    std::cout << "learning " << opt.model.path << " from " << train.num_examples << " examples of "
              << opt.data << " (" << train.width << " values each): " << method;
    if (settings.gradient.negatives != learning::Negatives::kExact)
      std::cout << ", k = " << settings.gradient.k;
    std::cout << ", batch " << settings.batch_size << ", " << trainer.updates_per_epoch()
              << " updates per epoch";
    const std::int64_t left = train.num_examples % settings.batch_size;
    if (left > 0) std::cout << " (" << left << " examples wait for the next epoch each time)";
    std::cout << "\n";
    if (bias_init) {
      std::cout << "visible biases: " << bias_init->values_set << " values of";
      for (const std::string& name : bias_init->parameters) std::cout << " '" << name << "'";
      std::cout << " start at the data's log-odds log(p/(1-p)), p clipped to ["
                << learning::kBiasInitClip << ", 1 - " << learning::kBiasInitClip << "]\n";
    }
    if (const std::string bias = gradient_bias(settings.gradient); !bias.empty())
      std::cout << "note: approximate gradient: " << bias << "\n";
    if (trainer.updates() > 0)
      std::cout << "resuming at epoch " << trainer.epoch() + 1 << ", update " << trainer.updates()
                << " from " << opt.resume << "\n";
  }

  InterruptGuard interrupt;
  Json epochs = Json::array();
  const bool tty = is_terminal();
  auto last_draw = std::chrono::steady_clock::now();
  learning::Trainer::Hooks hooks;
  hooks.on_update = [&](std::int64_t updates) {
    if (config.checkpoint_every() > 0 && updates % config.checkpoint_every() == 0)
      save_checkpoint();
    if (tty) {
      const auto now = std::chrono::steady_clock::now();
      if (now - last_draw > std::chrono::milliseconds(100)) {
        last_draw = now;
        std::cerr << "\r\033[Kepoch " << trainer.epoch() + 1 << "/" << settings.epochs
                  << "  update " << updates - trainer.epoch() * trainer.updates_per_epoch() << "/"
                  << trainer.updates_per_epoch() << std::flush;
      }
    }
  };
  hooks.on_epoch = [&](const learning::EpochRecord& r) {
    if (tty) std::cerr << "\r\033[K" << std::flush;
    Json j = record_json(r, settings, method);
    std::string rmse_text;
    if (reference) {
      const double rmse = learning::parameter_rmse(trainer.model(), *reference).rmse;
      j["parameter_rmse"] = number_or_null(rmse);
      std::ostringstream t;
      t << "  rmse " << std::setprecision(4) << rmse;
      rmse_text = t.str();
    } else {
      j["parameter_rmse"] = nullptr;
    }
    if (log.is_open()) {
      log << j.dump() << "\n";
      log.flush();
    }
    text << record_text(r, settings) << rmse_text << std::endl;
    epochs.push_back(std::move(j));
  };
  hooks.stop = [] { return InterruptGuard::requested(); };
  const bool finished = trainer.run(hooks);
  if (tty) std::cerr << "\r\033[K" << std::flush;

  save_checkpoint();
  const std::vector<std::string> written =
      learning::save_learned_model(loaded.model, trainer.model().params, out);
  std::vector<std::string> figures;
  if (!opt.plot.empty()) {
    log.close();
    figures = plot_training(opt.plot, log_path, trainer, *model.graph, json);
  }
  if (json) {
    Json doc = json_document("learn", opt.model.path);
    doc["data"] = opt.data;
    doc["method"] = method;
    const std::string bias = gradient_bias(settings.gradient);
    doc["gradient_exact"] = bias.empty();
    doc["approximation"] = bias.empty() ? Json(nullptr) : Json(bias);
    doc["finished"] = finished;
    doc["epochs_done"] = trainer.epoch();
    doc["updates"] = trainer.updates();
    doc["checkpoint"] = checkpoint_path;
    doc["files"] = written;
    doc["figures"] = figures;
    doc["epochs"] = std::move(epochs);
    std::cout << doc.dump(2) << "\n";
  } else {
    if (!finished)
      std::cout << "interrupted after update " << trainer.updates() << " (epoch "
                << trainer.epoch() + 1 << "); continue with --resume " << checkpoint_path << "\n";
    std::cout << "wrote " << out;
    if (written.size() > 1) std::cout << " (+ " << written.size() - 1 << " .npy)";
    std::cout << " and checkpoint " << checkpoint_path << "\n";
    for (const std::string& f : figures) std::cout << "wrote " << f << "\n";
  }
}

}  // namespace

void register_learn(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "learn", "fit a model's learnable parameters to data by maximum likelihood");
  auto opt = std::make_shared<LearnOptions>();
  opt->model.add_to(*cmd);
  LearnOptions& o = *opt;
  cmd->add_option("--data", o.data,
                  "training data: .npy (uint8/int32) or .csv, one example per row")
      ->required();
  cmd->add_option("--test", o.test, "held-out data for the per-epoch quality measure");
  cmd->add_option("--config", o.config,
                  "a LearnConfig text file (proto/dgm/learn.proto); flags "
                  "override its fields");
  cmd->add_option("--out", o.out,
                  "the learned model (.pbtxt or .pb; default MODEL.learned.pbtxt "
                  "in the current folder); large parameters go to .npy beside it");
  cmd->add_option("--checkpoint", o.checkpoint,
                  "training checkpoint file (default OUT.checkpoint); written at the end, on "
                  "Ctrl-C and every --checkpoint-every updates");
  cmd->add_option("--resume", o.resume, "continue the run a checkpoint holds, exactly");
  cmd->add_option("--log", o.log, "write one JSON line per epoch to this file");
  cmd->add_option("--reference", o.reference,
                  "a model with the true parameters: log the RMSE of the learnable parameters "
                  "to it every epoch (recovery experiments)");
  cmd->add_option("--plot", o.plot,
                  "write learning curves (and, for an image-shaped visible group, a grid of model "
                  "samples) as PNG into this folder, with the log as DIR/log.jsonl unless --log "
                  "is given");
  cmd->add_option("--format", o.format, "text or json")->check(CLI::IsMember({"text", "json"}));
  const auto add = [&](CLI::Option* option) { o.given[option->get_name()] = option; };
  add(cmd->add_option("--method", o.method,
                      "model statistics: exact, cd, pcd, pmp, or fresh (--fresh-sampler's "
                      "draws); default cd"));
  add(cmd->add_option("--sampler", o.sampler,
                      "MCMC sampler for cd/pcd and refinement (default "
                      "gibbs; see dgm samplers)"));
  add(cmd->add_option("--fresh-sampler", o.fresh_sampler,
                      "sampler of fresh draws for --method fresh (e.g. pmp, dula)"));
  add(cmd->add_option("--k", o.k, "sampler sweeps per update (default 1; 0 for pmp/fresh)"));
  add(cmd->add_option("--chains", o.chains,
                      "persistent chains (pcd) or fresh draws per update "
                      "(default: the batch size)"));
  add(cmd->add_option("--epochs", o.epochs, "passes over the data (default 10)"));
  add(cmd->add_option("--batch-size", o.batch_size, "examples per update (default 100)"));
  add(cmd->add_option("--optimizer", o.optimizer, "sgd (default) or adam"));
  add(cmd->add_option("--lr", o.lr, "learning rate (default 0.01 sgd, 0.001 adam)"));
  add(cmd->add_option("--momentum", o.momentum, "SGD momentum (default 0)"));
  add(cmd->add_option("--initial-momentum", o.initial_momentum,
                      "SGD momentum before --momentum-switch-epoch"));
  add(cmd->add_option("--momentum-switch-epoch", o.momentum_switch_epoch,
                      "epoch at which --initial-momentum gives way to --momentum"));
  add(cmd->add_option("--l1", o.l1, "L1 penalty (proximal)"));
  add(cmd->add_option("--l2", o.l2, "L2 penalty (weight decay)"));
  add(cmd->add_flag("--penalise-weights-only", o.weights_only,
                    "apply L1/L2 to parameters of two or more dimensions only (not biases)"));
  add(cmd->add_option("--lr-decay", o.lr_decay,
                      "learning-rate factor every --lr-decay-every epochs"));
  add(cmd->add_option("--lr-decay-every", o.lr_decay_every, "epochs between learning-rate decays"));
  add(cmd->add_option("--seed", o.seed, "seed of shuffling and sampling (default 0)"));
  add(cmd->add_option("--threads", o.threads,
                      "worker threads (0: all cores); results never "
                      "depend on it"));
  add(cmd->add_option("--visible", o.visible, "the groups the data's columns hold, in order"));
  add(cmd->add_option("--checkpoint-every", o.checkpoint_every,
                      "write the checkpoint every this many updates (0: at the end only)"));
  add(cmd->add_option("--mixing-every", o.mixing_every,
                      "estimate the sampler's autocorrelation time every this many epochs "
                      "(default 5 for MCMC methods; 0: never)"));
  add(cmd->add_option("--mixing-sweeps", o.mixing_sweeps,
                      "sweeps of the mixing probe (default 400)"));
  add(cmd->add_flag("--init-visible-bias-from-data", o.init_visible_bias,
                    "start the visible log-odds biases at the data's log(p/(1-p)) (Hinton 2010); "
                    "ignored when resuming"));
  add(cmd->add_option("--hidden-sweeps", o.hidden_sweeps,
                      "hidden variables outside an RBM layer: Gibbs sweeps of each example's "
                      "clamped chain per update (default 5)"));
  o.given["--config"] = cmd->get_option("--config");
  cmd->callback([opt] { run_learn(*opt); });
}

}  // namespace dgm::cli
