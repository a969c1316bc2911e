#pragma once
// Declaring a model in code. The builder writes the same dgm::proto::Model a .pbtxt file
// holds (proto/dgm/model.proto documents every field), so a model built here compiles to
// exactly the model of the equivalent file, and messages name its groups the same way.
//
//   dgm::ModelBuilder b;
//   b.variables("s", {16, 16}, 2);
//   b.parameter("J", 0.44);
//   b.factors("bonds").ising("J").lattice("s", {.periodic = true});
//   dgm::Model model = b.compile();
//
// Nothing is checked until compile() (or Model::from_proto), which reports errors against
// the names used here. A builder is a plain value: use it from one thread at a time.
#include <cstdint>
#include <string>
#include <vector>

#include "dgm/model.h"
#include "dgm/model.pb.h"

namespace dgm {

struct LatticeOptions {
  int neighbourhood = 4;  // 4 (right, down) or 8 (also the diagonals)
  bool periodic = false;  // a torus; needs both sides ≥ 3
};

// One factor group: a kind (what each factor computes) and a generator (which variables
// each factor connects). Returned by ModelBuilder::factors; valid while the builder lives.
class FactorGroupBuilder {
 public:
  explicit FactorGroupBuilder(proto::FactorGroup* group) : group_(group) {}

  // --- kinds: each names the parameter(s) it reads ---
  FactorGroupBuilder& unary(const std::string& log_potentials);     // θ(k) = value[k]
  FactorGroupBuilder& unary_log_odds(const std::string& param);     // binary: θ(x) = b·x
  FactorGroupBuilder& unary_field(const std::string& param);        // binary: θ(x) = h·(2x − 1)
  FactorGroupBuilder& pairwise(const std::string& log_potentials);  // θ(a, b) = M[a, b]
  FactorGroupBuilder& ising(const std::string& coupling);           // J·s_a·s_b
  FactorGroupBuilder& potts(const std::string& coupling);           // J·[a = b]
  FactorGroupBuilder& table(const std::string& log_potentials);     // dense table over the scope
  // Only the listed configurations (flattened, `arity` states each) are possible.
  FactorGroupBuilder& enumeration(const std::vector<std::int32_t>& configurations,
                                  const std::string& log_potentials = "");
  // Hard constraint child = OR (AND) of the parents. With `parents` and `child` the group is
  // one factor; without, each scope lists the parents, then the child.
  FactorGroupBuilder& logical_or(const std::string& parents = "", const std::string& child = "");
  FactorGroupBuilder& logical_and(const std::string& parents = "", const std::string& child = "");
  // W[i, j]·x_i·y_j between every variable of two binary groups (an RBM layer).
  FactorGroupBuilder& bipartite(const std::string& left, const std::string& right,
                                const std::string& weights);

  // --- generators: at most one, or explicit scopes ---
  FactorGroupBuilder& each(const std::string& group);  // one factor per variable
  FactorGroupBuilder& lattice(const std::string& group, const LatticeOptions& options = {});
  FactorGroupBuilder& all_pairs(const std::string& group);
  FactorGroupBuilder& between(const std::string& left, const std::string& right);
  // One factor over a space-separated list of variable references ("a[0] a[1] b").
  FactorGroupBuilder& scope(const std::string& references);

  proto::FactorGroup& proto() { return *group_; }

 private:
  proto::FactorGroup* group_;
};

class ModelBuilder {
 public:
  ModelBuilder() = default;
  // Starts from an existing message (a file read with Model::read_proto, say).
  explicit ModelBuilder(proto::Model model) : model_(std::move(model)) {}

  // A group of variables of one cardinality; shape {} is one variable, {H, W} a grid
  // (row-major ids).
  ModelBuilder& variables(const std::string& name, const std::vector<std::int64_t>& shape,
                          std::int32_t cardinality,
                          const std::vector<std::string>& state_names = {});
  // Inline values, row-major. `shape` {} with one value is a scalar, with several a vector.
  ModelBuilder& parameter(const std::string& name, const std::vector<double>& values,
                          const std::vector<std::int64_t>& shape = {}, bool learnable = false);
  ModelBuilder& parameter(const std::string& name, double value, bool learnable = false);
  // Values drawn reproducibly from an initialiser (constant, normal, uniform, rademacher).
  ModelBuilder& parameter(const std::string& name, const std::vector<std::int64_t>& shape,
                          const proto::Initializer& init, bool learnable = false);
  // Values from a NumPy .npy file (relative paths: against Model::from_proto's base_dir).
  ModelBuilder& parameter_npy(const std::string& name, const std::string& npy_path,
                              const std::vector<std::int64_t>& shape = {}, bool learnable = false);

  // A new factor group called `name`; set its kind and generator on the result.
  FactorGroupBuilder factors(const std::string& name);

  // Clamps one variable, or every variable of a reference (row-major).
  ModelBuilder& evidence(const std::string& reference, std::int32_t value);
  ModelBuilder& evidence(const std::string& reference, const std::vector<std::int32_t>& values);

  ModelBuilder& log_constant(double value);
  ModelBuilder& description(const std::string& text);

  const proto::Model& proto() const { return model_; }
  proto::Model& proto() { return model_; }
  // Compiles the model (dgm::Error on invalid declarations); `name` stands for a file name
  // in messages.
  Model compile(const std::string& name = "<builder>", const CompileLimits& limits = {}) const;

 private:
  proto::Model model_;
};

}  // namespace dgm
