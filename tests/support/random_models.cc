#include "tests/support/random_models.h"

#include <google/protobuf/text_format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>
#include <set>
#include <stdexcept>
#include <tuple>
#include <utility>

#include "factors/infinity.h"

namespace dgm::testing {
namespace {

constexpr int kMaxVariables = 16;
constexpr int kMaxCardinality = 8;

// Draws that are bit-identical on every platform: std::mt19937_64's output sequence is fixed
// by the standard, and every conversion below is ours and uses only exact IEEE arithmetic
// (the standard's distributions and libm are implementation-defined).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) : engine_(seed) {}

  std::uint64_t bits() { return engine_(); }
  // Uniform in [0, 1), 53 bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [lo, hi], by rejection (no modulo bias).
  int integer(int lo, int hi) {
    const std::uint64_t range = static_cast<std::uint64_t>(hi - lo) + 1;
    const std::uint64_t max = std::numeric_limits<std::uint64_t>::max();
    const std::uint64_t limit = max - max % range;
    std::uint64_t r = engine_();
    while (r >= limit) r = engine_();
    return lo + static_cast<int>(r % range);
  }
  bool bernoulli(double p) { return uniform() < p; }
  bool coin() { return (engine_() >> 63) != 0; }
  // Approximately N(0, 1): the Irwin–Hall sum of 12 uniforms, minus 6 (|z| ≤ 6).
  double normal() {
    double s = 0.0;
    for (int i = 0; i < 12; ++i) s += uniform();
    return s - 6.0;
  }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) {
      std::swap(v[i - 1], v[static_cast<std::size_t>(integer(0, static_cast<int>(i) - 1))]);
    }
  }
  template <class T>
  const T& pick(const std::vector<T>& v) {
    return v[static_cast<std::size_t>(integer(0, static_cast<int>(v.size()) - 1))];
  }

 private:
  std::mt19937_64 engine_;
};

struct GroupSpec {
  std::string name;
  std::vector<std::int64_t> shape;  // empty = scalar
  int card = 2;
  int first = 0;
  int size = 0;
};

enum class PairKind { kPairwise, kIsing, kPotts };

const char* pair_kind_name(PairKind k) {
  switch (k) {
    case PairKind::kPairwise:
      return "pairwise";
    case PairKind::kIsing:
      return "ising";
    case PairKind::kPotts:
      return "potts";
  }
  return "?";
}

std::int64_t product(const std::vector<std::int64_t>& shape) {
  std::int64_t p = 1;
  for (std::int64_t d : shape) p *= d;
  return p;
}

// Number of pairs a Lattice generator lists on a group of shape [H, W] (model.proto: 4 =
// right and down, 8 = also down-right and down-left; periodic wraps around) or [W] (a chain;
// the compiler accepts 1-D groups with neighbourhood 4).
std::int64_t lattice_pairs(const std::vector<std::int64_t>& shape, int neighbourhood,
                           bool periodic) {
  if (shape.size() == 1) return periodic ? shape[0] : shape[0] - 1;
  const std::int64_t h = shape[0], w = shape[1];
  std::int64_t n = periodic ? 2 * h * w : h * (w - 1) + (h - 1) * w;
  if (neighbourhood == 8) n += periodic ? 2 * h * w : 2 * (h - 1) * (w - 1);
  return n;
}

void validate(const RandomModelOptions& o) {
  auto fail = [](const std::string& what) {
    throw std::invalid_argument("dgm::testing::RandomModelOptions: " + what);
  };
  if (o.num_variables < 1 || o.num_variables > kMaxVariables) {
    fail("num_variables = " + std::to_string(o.num_variables) + ", expected 1.." +
         std::to_string(kMaxVariables));
  }
  if (o.min_cardinality < 2 || o.max_cardinality < o.min_cardinality ||
      o.max_cardinality > kMaxCardinality) {
    fail("cardinality range [" + std::to_string(o.min_cardinality) + ", " +
         std::to_string(o.max_cardinality) +
         "], expected 2 <= min <= max <= " + std::to_string(kMaxCardinality));
  }
  if (o.max_groups_per_kind < 1) fail("max_groups_per_kind must be >= 1");
  if (o.max_factors_per_group < 1) fail("max_factors_per_group must be >= 1");
  if (o.table_arity < 1 || o.table_arity > 4) fail("table_arity must be in 1..4");
  if (!(o.coupling_scale >= 0.0) || !std::isfinite(o.coupling_scale) || !(o.unary_scale >= 0.0) ||
      !std::isfinite(o.unary_scale)) {
    fail("coupling_scale and unary_scale must be finite and >= 0");
  }
  if (!(o.hard_zero_probability >= 0.0 && o.hard_zero_probability <= 1.0) ||
      !(o.evidence_probability >= 0.0 && o.evidence_probability <= 1.0)) {
    fail("probabilities must be in [0, 1]");
  }
  if (o.max_evidence < 0) fail("max_evidence must be >= 0");
  if (o.bipartite_left < 0 || o.bipartite_right < 0 ||
      o.bipartite_left + o.bipartite_right > o.num_variables) {
    fail("bipartite_left + bipartite_right must be in 0..num_variables");
  }
  if (o.kinds.bipartite && !o.tree && (o.bipartite_left > 0 || o.bipartite_right > 0) &&
      o.min_cardinality != 2) {
    fail("explicit bipartite sizes need min_cardinality = 2 (the block is binary)");
  }
}

std::string kinds_string(const FactorKindSet& k) {
  std::string s;
  auto add = [&s](bool on, const char* name) {
    if (!on) return;
    if (!s.empty()) s += ',';
    s += name;
  };
  add(k.unary, "unary");
  add(k.pairwise, "pairwise");
  add(k.ising, "ising");
  add(k.potts, "potts");
  add(k.table, "table");
  add(k.enumeration, "enumeration");
  add(k.logical_or, "or");
  add(k.logical_and, "and");
  add(k.bipartite, "bipartite");
  return s.empty() ? "none" : s;
}

class Builder {
 public:
  explicit Builder(const RandomModelOptions& options) : opt_(options), rng_(options.seed) {}

  RandomModel build() {
    model_.set_description(
        "dgm::testing random model seed=" + std::to_string(opt_.seed) +
        " n=" + std::to_string(opt_.num_variables) + " K=" + std::to_string(opt_.min_cardinality) +
        ".." + std::to_string(opt_.max_cardinality) + " kinds=" + kinds_string(opt_.kinds) +
        (opt_.tree ? " tree" : "") + (opt_.vary_syntax ? "" : " plain"));
    make_groups();
    witness_.resize(card_.size());
    for (std::size_t v = 0; v < card_.size(); ++v) witness_[v] = rng_.integer(0, card_[v] - 1);

    const FactorKindSet& k = opt_.kinds;
    if (k.unary) add_unaries();
    if (opt_.tree) {
      add_tree();
    } else {
      if (k.pairwise) repeat([this] { add_pair_group(PairKind::kPairwise); });
      if (k.ising) repeat([this] { add_pair_group(PairKind::kIsing); });
      if (k.potts) repeat([this] { add_pair_group(PairKind::kPotts); });
      if (k.table) repeat([this] { add_table_group(); });
      if (k.enumeration) repeat([this] { add_enumeration_group(); });
      if (k.logical_or) repeat([this] { add_logical_group(true); });
      if (k.logical_and) repeat([this] { add_logical_group(false); });
      if (k.bipartite) add_bipartite();
    }
    if (opt_.vary_syntax && rng_.bernoulli(0.25)) model_.set_log_constant(rng_.uniform(-2, 2));
    // Evidence last, so that a different evidence_probability leaves the rest unchanged.
    add_evidence();
    return {std::move(model_), std::move(witness_)};
  }

 private:
  template <class F>
  void repeat(F f) {
    const int count = rng_.integer(1, opt_.max_groups_per_kind);
    for (int i = 0; i < count; ++i) f();
  }

  int num_vars() const { return static_cast<int>(card_.size()); }

  // ---------------------------------------------------------------- variables

  void make_groups() {
    const int n = opt_.num_variables;
    int left = 0, right = 0;
    if (opt_.kinds.bipartite && !opt_.tree && opt_.min_cardinality == 2 && n >= 2) {
      left =
          opt_.bipartite_left > 0 ? opt_.bipartite_left : rng_.integer(1, std::clamp(n / 3, 1, 3));
      right = opt_.bipartite_right > 0 ? opt_.bipartite_right
                                       : rng_.integer(1, std::clamp((n - left) / 2, 1, 3));
    }
    const int m = n - left - right;
    std::vector<int> sizes, cards;
    if (m > 0) {
      const int g = rng_.integer(1, std::min(3, m));
      sizes.assign(static_cast<std::size_t>(g), 1);
      for (int i = g; i < m; ++i) ++sizes[static_cast<std::size_t>(rng_.integer(0, g - 1))];
      for (int i = 0; i < g; ++i) {
        cards.push_back(rng_.integer(opt_.min_cardinality, opt_.max_cardinality));
      }
      // Binary-only kinds need binary variables (logical factors at least two).
      const FactorKindSet& k = opt_.kinds;
      if (opt_.min_cardinality == 2 && (k.ising || k.logical_or || k.logical_and)) {
        int binary = left + right;
        for (std::size_t i = 0; i < sizes.size(); ++i) binary += cards[i] == 2 ? sizes[i] : 0;
        if (binary < 2) {
          const auto largest = std::max_element(sizes.begin(), sizes.end()) - sizes.begin();
          cards[static_cast<std::size_t>(largest)] = 2;
        }
      }
    }
    static const char* const kNames[] = {"x", "y", "z"};
    for (std::size_t i = 0; i < sizes.size(); ++i) {
      add_group(kNames[i], sizes[i], cards[i], opt_.vary_syntax);
    }
    if (left > 0) {
      left_group_ = static_cast<int>(groups_.size());
      add_group("v", left, 2, false);
      add_group("h", right, 2, false);
    }
  }

  void add_group(const std::string& name, int size, int card, bool vary_shape) {
    GroupSpec g;
    g.name = name;
    g.card = card;
    g.first = num_vars();
    g.size = size;
    if (vary_shape && size == 1 && rng_.coin()) {
      // scalar: no shape
    } else if (vary_shape && size >= 4 && rng_.coin()) {
      std::vector<int> divisors;
      for (int r = 2; r <= size / 2; ++r) {
        if (size % r == 0) divisors.push_back(r);
      }
      if (divisors.empty()) {
        g.shape = {size};
      } else {
        const int r = rng_.pick(divisors);
        g.shape = {r, size / r};
      }
    } else {
      g.shape = {size};
    }
    auto* proto_group = model_.add_variables();
    proto_group->set_name(g.name);
    for (std::int64_t d : g.shape) proto_group->add_shape(d);
    proto_group->set_cardinality(card);
    for (int i = 0; i < size; ++i) {
      card_.push_back(card);
      group_of_.push_back(static_cast<int>(groups_.size()));
    }
    groups_.push_back(std::move(g));
  }

  // A reference to variable v, in one of the spellings the language allows.
  std::string ref(int v) {
    const GroupSpec& g = groups_[static_cast<std::size_t>(group_of_[static_cast<std::size_t>(v)])];
    const int i = v - g.first;
    if (g.shape.empty()) return g.name;
    if (g.shape.size() == 2 && opt_.vary_syntax && rng_.coin()) {
      const auto w = g.shape[1];
      return g.name + "[" + std::to_string(i / w) + "," + std::to_string(i % w) + "]";
    }
    return g.name + "[" + std::to_string(i) + "]";
  }

  std::string scope_string(const std::vector<int>& scope) {
    std::string s;
    for (int v : scope) {
      if (!s.empty()) s += ' ';
      s += ref(v);
    }
    return s;
  }

  int card(int v) const { return card_[static_cast<std::size_t>(v)]; }
  int witness(int v) const { return witness_[static_cast<std::size_t>(v)]; }

  // Distinct variables whose cardinalities are `cards`, position by position; empty when none.
  std::vector<int> pick_scope(const std::vector<int>& cards) {
    std::vector<int> scope;
    for (int k : cards) {
      std::vector<int> candidates;
      for (int v = 0; v < num_vars(); ++v) {
        if (card(v) == k && std::find(scope.begin(), scope.end(), v) == scope.end()) {
          candidates.push_back(v);
        }
      }
      if (candidates.empty()) return {};
      scope.push_back(rng_.pick(candidates));
    }
    return scope;
  }

  // `first` and up to count − 1 more scopes with the same cardinalities (a block shares its
  // scope cardinalities), no two over the same set of variables.
  std::vector<std::vector<int>> more_scopes(std::vector<int> first, int count) {
    std::vector<int> cards(first.size());
    std::transform(first.begin(), first.end(), cards.begin(), [this](int v) { return card(v); });
    std::vector<std::vector<int>> scopes{first};
    std::set<std::vector<int>> seen;
    std::sort(first.begin(), first.end());
    seen.insert(first);
    for (int attempt = 0; attempt < 20 * count && static_cast<int>(scopes.size()) < count;
         ++attempt) {
      std::vector<int> s = pick_scope(cards);
      if (s.empty()) break;
      std::vector<int> key = s;
      std::sort(key.begin(), key.end());
      if (seen.insert(key).second) scopes.push_back(std::move(s));
    }
    return scopes;
  }

  std::string factor_name(const std::string& base) {
    return base + "_" + std::to_string(name_counter_[base]++);
  }

  // ---------------------------------------------------------------- parameters

  // Row-major index (last variable fastest) of the witness's configuration of `scope`.
  std::int64_t witness_index(const std::vector<int>& scope) const {
    std::int64_t idx = 0;
    for (int v : scope) idx = idx * card(v) + witness(v);
    return idx;
  }

  std::string add_inline(const std::string& name, const std::vector<std::int64_t>& shape,
                         const std::vector<double>& values) {
    auto* p = model_.add_parameters();
    p->set_name(name);
    for (std::int64_t d : shape) p->add_shape(d);
    for (double x : values) p->add_value(x);
    return name;
  }

  // A parameter of random soft values scale·N(0, 1): inline, or (vary_syntax) sometimes an
  // initialiser that the engine expands.
  std::string add_soft(const std::string& name, const std::vector<std::int64_t>& shape,
                       double scale) {
    if (opt_.vary_syntax && rng_.bernoulli(0.2)) {
      auto* p = model_.add_parameters();
      p->set_name(name);
      for (std::int64_t d : shape) p->add_shape(d);
      auto* init = p->mutable_init();
      switch (rng_.integer(0, 2)) {
        case 0:
          init->mutable_normal()->set_mean(0.0);
          init->mutable_normal()->set_stddev(scale);
          break;
        case 1:  // variance scale²
          init->mutable_uniform()->set_low(-1.7320508075688772 * scale);
          init->mutable_uniform()->set_high(1.7320508075688772 * scale);
          break;
        default:
          init->set_rademacher(scale);
          break;
      }
      init->set_seed(rng_.bits() >> 32);
      return name;
    }
    std::vector<double> values(static_cast<std::size_t>(product(shape)));
    for (double& x : values) x = scale * rng_.normal();
    return add_inline(name, shape, values);
  }

  // `size` values scale·N(0, 1); each becomes −inf with hard_zero_probability unless its index
  // is in `keep`.
  std::vector<double> table_values(std::int64_t size, double scale,
                                   const std::set<std::int64_t>& keep) {
    std::vector<double> values(static_cast<std::size_t>(size));
    for (std::int64_t i = 0; i < size; ++i) {
      double x = scale * rng_.normal();
      if (opt_.hard_zero_probability > 0.0 && !keep.contains(i) &&
          rng_.bernoulli(opt_.hard_zero_probability)) {
        x = kNegInf;
      }
      values[static_cast<std::size_t>(i)] = x;
    }
    return values;
  }

  // A table parameter for factors over `scopes` (all with cardinalities `cards`): shared
  // [cards...] or per factor [F, cards...], the witness's entries kept finite.
  std::string add_table_param(const std::string& name, const std::vector<std::vector<int>>& scopes,
                              const std::vector<std::int64_t>& cards, double scale) {
    const std::int64_t table = product(cards);
    const bool shared = opt_.vary_syntax && rng_.coin();
    std::set<std::int64_t> keep;
    for (std::size_t f = 0; f < scopes.size(); ++f) {
      keep.insert((shared ? 0 : static_cast<std::int64_t>(f) * table) + witness_index(scopes[f]));
    }
    std::vector<std::int64_t> shape = cards;
    if (!shared) shape.insert(shape.begin(), static_cast<std::int64_t>(scopes.size()));
    return add_inline(name, shape, table_values(product(shape), scale, keep));
  }

  // A scalar (shared) or per-factor [F] soft parameter.
  std::string add_weights(const std::string& name, std::int64_t num_factors, double scale) {
    if (opt_.vary_syntax && rng_.coin()) return add_soft(name, {}, scale);
    return add_soft(name, {num_factors}, scale);
  }

  // ---------------------------------------------------------------- factor kinds

  void add_unaries() {
    for (const GroupSpec& g : groups_) {
      auto* fg = model_.add_factors();
      fg->set_name(factor_name("unary_" + g.name));
      std::vector<std::vector<int>> scopes;
      if (!opt_.vary_syntax || rng_.coin()) {
        fg->set_each(g.name);
        for (int i = 0; i < g.size; ++i) scopes.push_back({g.first + i});
      } else {
        std::vector<int> vars(static_cast<std::size_t>(g.size));
        std::iota(vars.begin(), vars.end(), g.first);
        rng_.shuffle(vars);
        vars.resize(static_cast<std::size_t>(rng_.integer(1, g.size)));
        for (int v : vars) {
          scopes.push_back({v});
          fg->add_scope(ref(v));
        }
      }
      const auto f = static_cast<std::int64_t>(scopes.size());
      auto* unary = fg->mutable_unary();
      const int form = g.card == 2 ? rng_.integer(0, 2) : 0;
      const std::string pname = fg->name() + "_theta";
      if (form == 0) {
        unary->set_log_potentials(add_table_param(pname, scopes, {g.card}, opt_.unary_scale));
      } else if (form == 1) {
        unary->set_log_odds(add_weights(pname, f, opt_.unary_scale));
      } else {
        unary->set_field(add_weights(pname, f, opt_.unary_scale));
      }
    }
  }

  bool pair_fits(PairKind kind, int a, int b) const {
    switch (kind) {
      case PairKind::kPairwise:
        return true;
      case PairKind::kIsing:
        return card(a) == 2 && card(b) == 2;
      case PairKind::kPotts:
        return card(a) == card(b);
    }
    return false;
  }

  bool groups_fit(PairKind kind, const GroupSpec& a, const GroupSpec& b) const {
    return pair_fits(kind, a.first, b.first);
  }

  void set_pair_parameter(proto::FactorGroup* fg, PairKind kind,
                          const std::vector<std::vector<int>>& scopes, std::int64_t num_factors,
                          int ka, int kb) {
    const std::string pname = fg->name() + (kind == PairKind::kPairwise ? "_theta" : "_J");
    switch (kind) {
      case PairKind::kPairwise:
        if (scopes.empty()) {  // generator: no hard zeros (its pair order is the compiler's)
          const bool shared = rng_.coin();
          std::vector<std::int64_t> shape{ka, kb};
          if (!shared) shape.insert(shape.begin(), num_factors);
          fg->mutable_pairwise()->set_log_potentials(add_soft(pname, shape, opt_.coupling_scale));
        } else {
          fg->mutable_pairwise()->set_log_potentials(
              add_table_param(pname, scopes, {ka, kb}, opt_.coupling_scale));
        }
        break;
      case PairKind::kIsing:
        fg->mutable_ising()->set_coupling(add_weights(pname, num_factors, opt_.coupling_scale));
        break;
      case PairKind::kPotts:
        fg->mutable_potts()->set_coupling(add_weights(pname, num_factors, opt_.coupling_scale));
        break;
    }
  }

  // Tries to declare `fg`'s scopes with a generator; returns the number of factors, 0 if no
  // generator fits.
  std::int64_t try_generator(proto::FactorGroup* fg, PairKind kind, int* ka, int* kb) {
    struct Choice {
      int type;  // 0 all_pairs, 1 between, 2 lattice
      int a, b;
    };
    std::vector<Choice> choices;
    for (int i = 0; i < static_cast<int>(groups_.size()); ++i) {
      const GroupSpec& g = groups_[static_cast<std::size_t>(i)];
      if (g.size >= 2 && g.size <= 4 && groups_fit(kind, g, g)) choices.push_back({0, i, i});
      if (!g.shape.empty() && g.size >= 2 && groups_fit(kind, g, g)) choices.push_back({2, i, i});
      for (int j = 0; j < static_cast<int>(groups_.size()); ++j) {
        const GroupSpec& h = groups_[static_cast<std::size_t>(j)];
        if (i != j && g.size * h.size <= 6 && groups_fit(kind, g, h)) {
          choices.push_back({1, i, j});
        }
      }
    }
    if (choices.empty()) return 0;
    const Choice c = rng_.pick(choices);
    const GroupSpec& a = groups_[static_cast<std::size_t>(c.a)];
    const GroupSpec& b = groups_[static_cast<std::size_t>(c.b)];
    *ka = a.card;
    *kb = b.card;
    switch (c.type) {
      case 0:
        fg->set_all_pairs(a.name);
        return static_cast<std::int64_t>(a.size) * (a.size - 1) / 2;
      case 1:
        fg->mutable_between()->set_left(a.name);
        fg->mutable_between()->set_right(b.name);
        return static_cast<std::int64_t>(a.size) * b.size;
      default: {
        // Neighbourhood 0 is the default (4); 8 needs a 2-D group.
        const int neighbourhood =
            a.shape.size() == 2 ? 4 * rng_.integer(0, 2) : 4 * rng_.integer(0, 1);
        bool periodic = rng_.coin();
        for (std::int64_t d : a.shape) periodic = periodic && d >= 3;
        auto* lattice = fg->mutable_lattice();
        lattice->set_group(a.name);
        if (neighbourhood != 0) lattice->set_neighbourhood(neighbourhood);
        lattice->set_periodic(periodic);
        return lattice_pairs(a.shape, neighbourhood == 0 ? 4 : neighbourhood, periodic);
      }
    }
  }

  void add_pair_group(PairKind kind) {
    auto* fg = model_.add_factors();
    fg->set_name(factor_name(pair_kind_name(kind)));
    if (opt_.vary_syntax && rng_.bernoulli(0.4)) {
      int ka = 0, kb = 0;
      const std::int64_t f = try_generator(fg, kind, &ka, &kb);
      if (f > 0) {
        set_pair_parameter(fg, kind, {}, f, ka, kb);
        return;
      }
    }
    std::vector<std::pair<int, int>> candidates;
    for (int a = 0; a < num_vars(); ++a) {
      for (int b = 0; b < num_vars(); ++b) {
        if (a != b && pair_fits(kind, a, b)) candidates.emplace_back(a, b);
      }
    }
    if (candidates.empty()) {
      model_.mutable_factors()->RemoveLast();
      return;
    }
    const auto first = rng_.pick(candidates);
    const auto scopes =
        more_scopes({first.first, first.second}, rng_.integer(1, opt_.max_factors_per_group));
    for (const auto& s : scopes) fg->add_scope(scope_string(s));
    set_pair_parameter(fg, kind, scopes, static_cast<std::int64_t>(scopes.size()),
                       card(first.first), card(first.second));
  }

  // `arity` distinct random variables.
  std::vector<int> random_scope(int arity) {
    std::vector<int> vars(static_cast<std::size_t>(num_vars()));
    std::iota(vars.begin(), vars.end(), 0);
    rng_.shuffle(vars);
    vars.resize(static_cast<std::size_t>(arity));
    return vars;
  }

  std::vector<std::int64_t> scope_cards(const std::vector<int>& scope) const {
    std::vector<std::int64_t> cards(scope.size());
    std::transform(scope.begin(), scope.end(), cards.begin(), [this](int v) { return card(v); });
    return cards;
  }

  void add_table_group() {
    const int arity = std::min(opt_.table_arity, num_vars());
    const auto scopes =
        more_scopes(random_scope(arity), rng_.integer(1, opt_.max_factors_per_group));
    auto* fg = model_.add_factors();
    fg->set_name(factor_name("table"));
    for (const auto& s : scopes) fg->add_scope(scope_string(s));
    fg->mutable_table()->set_log_potentials(add_table_param(
        fg->name() + "_theta", scopes, scope_cards(scopes[0]), opt_.coupling_scale));
  }

  void add_enumeration_group() {
    const int arity = num_vars() >= 2 ? rng_.integer(2, std::min(3, num_vars())) : 1;
    const auto scopes =
        more_scopes(random_scope(arity), rng_.integer(1, opt_.max_factors_per_group));
    const auto cards = scope_cards(scopes[0]);
    const std::int64_t table = product(cards);

    // Every factor's witness configuration is listed; then random others, leaving at least
    // one configuration out when possible so that the factor is really sparse.
    std::set<std::int64_t> listed;
    for (const auto& s : scopes) listed.insert(witness_index(s));
    const auto must = static_cast<int>(listed.size());
    const int target = rng_.integer(must, std::max(must, static_cast<int>(table) - 1));
    std::vector<std::int64_t> all(static_cast<std::size_t>(table));
    for (std::int64_t i = 0; i < table; ++i) all[static_cast<std::size_t>(i)] = i;
    rng_.shuffle(all);
    for (std::int64_t i : all) {
      if (static_cast<int>(listed.size()) >= target) break;
      listed.insert(i);
    }
    std::vector<std::int64_t> rows(listed.begin(), listed.end());
    rng_.shuffle(rows);

    auto* fg = model_.add_factors();
    fg->set_name(factor_name("enumeration"));
    for (const auto& s : scopes) fg->add_scope(scope_string(s));
    auto* e = fg->mutable_enumeration();
    for (std::int64_t row : rows) {
      // Decode the row-major index, last variable fastest.
      std::vector<int> states(cards.size());
      for (std::size_t j = cards.size(); j-- > 0;) {
        states[j] = static_cast<int>(row % cards[j]);
        row /= cards[j];
      }
      for (int s : states) e->add_configurations(s);
    }
    const auto c = static_cast<std::int64_t>(rows.size());
    const auto f = static_cast<std::int64_t>(scopes.size());
    switch (opt_.vary_syntax ? rng_.integer(0, 2) : 2) {
      case 0:  // no log_potentials: all listed rows have θ = 0
        break;
      case 1:
        e->set_log_potentials(add_soft(fg->name() + "_theta", {c}, opt_.coupling_scale));
        break;
      default:
        e->set_log_potentials(add_soft(fg->name() + "_theta", {f, c}, opt_.coupling_scale));
        break;
    }
  }

  void add_logical_group(bool is_or) {
    std::vector<int> binary;
    for (int v = 0; v < num_vars(); ++v) {
      if (card(v) == 2) binary.push_back(v);
    }
    if (binary.size() < 2) return;
    auto op = [is_or, this](const std::vector<int>& parents) {
      bool any = false, all = true;
      for (int p : parents) {
        any = any || witness(p) != 0;
        all = all && witness(p) != 0;
      }
      return static_cast<int>(is_or ? any : all);
    };

    const int count = rng_.integer(1, opt_.max_factors_per_group);
    const bool shorthand = opt_.vary_syntax && count == 1 && rng_.coin();
    std::vector<std::vector<int>> factors;  // parents..., child
    std::string whole_group_parents;
    for (int f = 0; f < count; ++f) {
      for (int attempt = 0; attempt < 10; ++attempt) {
        std::vector<int> parents;
        whole_group_parents.clear();
        std::vector<int> small_groups;
        if (shorthand) {
          for (int gi = 0; gi < static_cast<int>(groups_.size()); ++gi) {
            const GroupSpec& g = groups_[static_cast<std::size_t>(gi)];
            if (g.card == 2 && g.size <= 3 && g.size < static_cast<int>(binary.size())) {
              small_groups.push_back(gi);
            }
          }
        }
        if (!small_groups.empty() && rng_.coin()) {
          const GroupSpec& g = groups_[static_cast<std::size_t>(rng_.pick(small_groups))];
          whole_group_parents = g.name;
          for (int i = 0; i < g.size; ++i) parents.push_back(g.first + i);
        } else {
          std::vector<int> pool = binary;
          rng_.shuffle(pool);
          const int p = rng_.integer(1, std::min(3, static_cast<int>(binary.size()) - 1));
          parents.assign(pool.begin(), pool.begin() + p);
        }
        const int value = op(parents);
        std::vector<int> children;
        for (int v : binary) {
          if (witness(v) == value &&
              std::find(parents.begin(), parents.end(), v) == parents.end()) {
            children.push_back(v);
          }
        }
        if (children.empty()) continue;
        parents.push_back(rng_.pick(children));
        factors.push_back(std::move(parents));
        break;
      }
    }
    if (factors.empty()) return;

    auto* fg = model_.add_factors();
    fg->set_name(factor_name(is_or ? "or" : "and"));
    auto* logical = is_or ? fg->mutable_logical_or() : fg->mutable_logical_and();
    if (shorthand) {
      std::vector<int> parents = factors[0];
      const int child = parents.back();
      parents.pop_back();
      logical->set_parents(whole_group_parents.empty() ? scope_string(parents)
                                                       : whole_group_parents);
      logical->set_child(ref(child));
    } else {
      for (const auto& s : factors) fg->add_scope(scope_string(s));
    }
  }

  void add_bipartite() {
    if (left_group_ < 0) return;
    const GroupSpec& v = groups_[static_cast<std::size_t>(left_group_)];
    const GroupSpec& h = groups_[static_cast<std::size_t>(left_group_) + 1];
    auto* fg = model_.add_factors();
    fg->set_name(factor_name("rbm"));
    auto* b = fg->mutable_bipartite();
    b->set_left(v.name);
    b->set_right(h.name);
    b->set_weights(add_soft(fg->name() + "_W", {v.size, h.size}, opt_.coupling_scale));
  }

  void add_tree() {
    std::vector<int> order(static_cast<std::size_t>(num_vars()));
    std::iota(order.begin(), order.end(), 0);
    rng_.shuffle(order);
    // Edges bucketed by (kind, K_a, K_b): a factor group's scopes share cardinalities.
    std::map<std::tuple<int, int, int>, std::vector<std::vector<int>>> buckets;
    for (std::size_t i = 1; i < order.size(); ++i) {
      int a = order[i];
      int b = order[static_cast<std::size_t>(rng_.integer(0, static_cast<int>(i) - 1))];
      if (rng_.coin()) std::swap(a, b);
      std::vector<PairKind> fits;
      if (opt_.kinds.pairwise) fits.push_back(PairKind::kPairwise);
      if (opt_.kinds.ising && pair_fits(PairKind::kIsing, a, b)) fits.push_back(PairKind::kIsing);
      if (opt_.kinds.potts && pair_fits(PairKind::kPotts, a, b)) fits.push_back(PairKind::kPotts);
      if (fits.empty()) continue;
      const PairKind kind = rng_.pick(fits);
      buckets[{static_cast<int>(kind), card(a), card(b)}].push_back({a, b});
    }
    for (const auto& [key, scopes] : buckets) {
      const auto kind = static_cast<PairKind>(std::get<0>(key));
      auto* fg = model_.add_factors();
      fg->set_name(factor_name(std::string("tree_") + pair_kind_name(kind)));
      for (const auto& s : scopes) fg->add_scope(scope_string(s));
      set_pair_parameter(fg, kind, scopes, static_cast<std::int64_t>(scopes.size()),
                         std::get<1>(key), std::get<2>(key));
    }
  }

  void add_evidence() {
    if (!rng_.bernoulli(opt_.evidence_probability) || opt_.max_evidence == 0) return;
    const int k = rng_.integer(1, std::min(opt_.max_evidence, num_vars()));
    for (int v : random_scope(k)) {
      auto* e = model_.add_evidence();
      e->set_variable(ref(v));
      if (opt_.vary_syntax && rng_.coin()) {
        e->add_values(witness(v));
      } else {
        e->set_value(witness(v));
      }
    }
  }

  const RandomModelOptions& opt_;
  Rng rng_;
  proto::Model model_;
  std::vector<GroupSpec> groups_;
  std::vector<int> card_;      // per variable
  std::vector<int> group_of_;  // per variable
  std::vector<std::int32_t> witness_;
  int left_group_ = -1;  // index of "v" ("h" follows) when there is a bipartite block
  std::map<std::string, int> name_counter_;
};

// ------------------------------------------------------------------ describe()

const char* kind_name(const proto::FactorGroup& fg) {
  switch (fg.kind_case()) {
    case proto::FactorGroup::kUnary:
      return "unary";
    case proto::FactorGroup::kPairwise:
      return "pairwise";
    case proto::FactorGroup::kIsing:
      return "ising";
    case proto::FactorGroup::kPotts:
      return "potts";
    case proto::FactorGroup::kTable:
      return "table";
    case proto::FactorGroup::kEnumeration:
      return "enumeration";
    case proto::FactorGroup::kLogicalOr:
      return "logical_or";
    case proto::FactorGroup::kLogicalAnd:
      return "logical_and";
    case proto::FactorGroup::kBipartite:
      return "bipartite";
    case proto::FactorGroup::KIND_NOT_SET:
      break;
  }
  return "no-kind";
}

// Number of factors `fg` expands to, or -1 when it names a group this model does not declare.
std::int64_t count_factors(const proto::FactorGroup& fg,
                           const std::map<std::string, const proto::VariableGroup*>& groups) {
  auto size_of = [&groups](const std::string& name) -> std::int64_t {
    auto it = groups.find(name);
    if (it == groups.end()) return -1;
    std::int64_t n = 1;
    for (std::int64_t d : it->second->shape()) n *= d;
    return n;
  };
  if (fg.has_bipartite()) {
    const auto a = size_of(fg.bipartite().left()), b = size_of(fg.bipartite().right());
    return a < 0 || b < 0 ? -1 : a * b;
  }
  switch (fg.generator_case()) {
    case proto::FactorGroup::kEach:
      return size_of(fg.each());
    case proto::FactorGroup::kAllPairs: {
      const auto n = size_of(fg.all_pairs());
      return n < 0 ? -1 : n * (n - 1) / 2;
    }
    case proto::FactorGroup::kBetween: {
      const auto a = size_of(fg.between().left()), b = size_of(fg.between().right());
      return a < 0 || b < 0 ? -1 : a * b;
    }
    case proto::FactorGroup::kLattice: {
      auto it = groups.find(fg.lattice().group());
      if (it == groups.end() || it->second->shape_size() < 1 || it->second->shape_size() > 2) {
        return -1;
      }
      const int nb = fg.lattice().neighbourhood() == 0 ? 4 : fg.lattice().neighbourhood();
      return lattice_pairs({it->second->shape().begin(), it->second->shape().end()}, nb,
                           fg.lattice().periodic());
    }
    case proto::FactorGroup::GENERATOR_NOT_SET:
      break;
  }
  const proto::Logical* logical = fg.has_logical_or()    ? &fg.logical_or()
                                  : fg.has_logical_and() ? &fg.logical_and()
                                                         : nullptr;
  if (logical != nullptr && !logical->child().empty()) return 1;
  return fg.scope_size();
}

}  // namespace

RandomModel generate_random_model(const RandomModelOptions& options) {
  validate(options);
  return Builder(options).build();
}

// ------------------------------------------------------------------ presets

RandomModelOptions binary_pairwise_options(std::uint64_t seed, int num_variables) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_variables;
  o.min_cardinality = o.max_cardinality = 2;
  o.kinds = FactorKindSet::none();
  o.kinds.unary = o.kinds.pairwise = o.kinds.ising = true;
  return o;
}

RandomModelOptions categorical_options(std::uint64_t seed, int num_variables, int K) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_variables;
  o.min_cardinality = std::min(3, K);
  o.max_cardinality = K;
  o.kinds = FactorKindSet::none();
  o.kinds.unary = o.kinds.pairwise = o.kinds.potts = o.kinds.table = true;
  return o;
}

RandomModelOptions soft_options(std::uint64_t seed, int num_variables, int K) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_variables;
  o.max_cardinality = K;
  o.kinds = FactorKindSet::soft();
  return o;
}

RandomModelOptions logical_options(std::uint64_t seed, int num_variables) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_variables;
  o.min_cardinality = o.max_cardinality = 2;
  o.kinds = FactorKindSet::none();
  o.kinds.unary = o.kinds.logical_or = o.kinds.logical_and = true;
  o.max_groups_per_kind = 1;
  o.max_factors_per_group = 2;
  o.evidence_probability = 0.5;
  return o;
}

RandomModelOptions tree_options(std::uint64_t seed, int num_variables, int K) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_variables;
  o.max_cardinality = K;
  o.kinds = FactorKindSet::pairwise_only();
  o.tree = true;
  return o;
}

RandomModelOptions rbm_options(std::uint64_t seed, int num_visible, int num_hidden) {
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = num_visible + num_hidden;
  o.min_cardinality = o.max_cardinality = 2;
  o.kinds = FactorKindSet::none();
  o.kinds.unary = o.kinds.bipartite = true;
  o.bipartite_left = num_visible;
  o.bipartite_right = num_hidden;
  return o;
}

RandomModelOptions mixed_options(std::uint64_t seed) {
  // The preset's own draws use a stream separate from the model's.
  Rng r(seed ^ 0x9e3779b97f4a7c15ULL);
  RandomModelOptions o;
  o.seed = seed;
  o.num_variables = r.integer(3, 8);
  o.min_cardinality = 2;
  o.max_cardinality = r.integer(2, 4);
  o.kinds = FactorKindSet::none();
  o.kinds.unary = true;
  bool* optional[] = {&o.kinds.pairwise,    &o.kinds.ising,       &o.kinds.potts,
                      &o.kinds.table,       &o.kinds.enumeration, &o.kinds.logical_or,
                      &o.kinds.logical_and, &o.kinds.bipartite};
  int on = 0;
  for (bool* k : optional) {
    *k = r.coin();
    on += *k;
  }
  while (on < 2) {
    bool* k = optional[r.integer(0, 7)];
    if (!*k) {
      *k = true;
      ++on;
    }
  }
  o.max_groups_per_kind = 1;
  o.hard_zero_probability = r.bernoulli(0.25) ? 0.15 : 0.0;
  o.evidence_probability = 0.3;
  return o;
}

RandomModelOptions with_evidence_options(std::uint64_t seed) {
  RandomModelOptions o = mixed_options(seed);
  o.evidence_probability = 1.0;
  return o;
}

proto::Model random_binary_pairwise(std::uint64_t seed, int num_variables) {
  return generate_random_model(binary_pairwise_options(seed, num_variables)).model;
}
proto::Model random_categorical(std::uint64_t seed, int num_variables, int K) {
  return generate_random_model(categorical_options(seed, num_variables, K)).model;
}
proto::Model random_soft(std::uint64_t seed, int num_variables, int K) {
  return generate_random_model(soft_options(seed, num_variables, K)).model;
}
proto::Model random_logical(std::uint64_t seed, int num_variables) {
  return generate_random_model(logical_options(seed, num_variables)).model;
}
proto::Model random_tree(std::uint64_t seed, int num_variables, int K) {
  return generate_random_model(tree_options(seed, num_variables, K)).model;
}
proto::Model random_rbm(std::uint64_t seed, int num_visible, int num_hidden) {
  return generate_random_model(rbm_options(seed, num_visible, num_hidden)).model;
}
proto::Model random_mixed(std::uint64_t seed) {
  return generate_random_model(mixed_options(seed)).model;
}
proto::Model random_with_evidence(std::uint64_t seed) {
  return generate_random_model(with_evidence_options(seed)).model;
}

// ------------------------------------------------------------------ messages

std::string describe(const proto::Model& model) {
  std::string s = model.description().empty() ? "model" : model.description();
  std::map<std::string, const proto::VariableGroup*> groups;
  s += ": vars";
  for (const auto& g : model.variables()) {
    groups[g.name()] = &g;
    s += ' ' + g.name();
    if (g.shape_size() > 0) {
      s += '[';
      for (int i = 0; i < g.shape_size(); ++i) {
        if (i > 0) s += ',';  // (one append per piece: GCC 12 misreads "," + to_string)
        s += std::to_string(g.shape(i));
      }
      s += ']';
    }
    s += ':' + std::to_string(g.cardinality());
  }
  s += " (" + std::to_string(num_joint_states(model)) + " states); factors";
  for (const auto& fg : model.factors()) {
    const std::int64_t n = count_factors(fg, groups);
    s += ' ' + fg.name() + ':' + kind_name(fg) + "×" + (n < 0 ? "?" : std::to_string(n)) + ',';
  }
  if (model.factors_size() == 0) s += " none";
  if (s.back() == ',') s.pop_back();
  if (model.evidence_size() > 0) {
    s += "; evidence";
    for (const auto& e : model.evidence()) {
      s += ' ' + e.variable() + '=';
      if (e.has_value()) {
        s += std::to_string(e.value());
      } else {
        s += '[';
        for (int i = 0; i < e.values_size(); ++i) {
          if (i > 0) s += ',';
          s += std::to_string(e.values(i));
        }
        s += ']';
      }
    }
  }
  if (model.log_constant() != 0.0) s += "; log_constant " + std::to_string(model.log_constant());
  return s;
}

std::string to_text(const proto::Model& model) {
  google::protobuf::TextFormat::Printer printer;
  printer.SetUseShortRepeatedPrimitives(true);  // shape: [2, 3], value: [...]
  std::string out;
  printer.PrintToString(model, &out);
  return out;
}

std::int64_t num_joint_states(const proto::Model& model) {
  constexpr std::int64_t kMax = std::numeric_limits<std::int64_t>::max();
  std::int64_t total = 1;
  for (const auto& g : model.variables()) {
    std::int64_t size = 1;
    for (std::int64_t d : g.shape()) size = d > 0 && size > kMax / d ? kMax : size * d;
    for (std::int64_t i = 0; i < size; ++i) {
      if (g.cardinality() <= 0) return 0;
      if (g.cardinality() == 1) break;
      if (total > kMax / g.cardinality()) return kMax;
      total *= g.cardinality();
    }
  }
  return total;
}

}  // namespace dgm::testing
