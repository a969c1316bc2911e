#include "engine/compiler.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <optional>
#include <unordered_map>
#include <unordered_set>

#include "dgm/model.pb.h"
#include "engine/analysis.h"
#include "engine/error.h"
#include "engine/npy.h"
#include "engine/numeric_range.h"
#include "engine/random.h"
#include "engine/variable_refs.h"
#include "factors/infinity.h"
#include "factors/table_layout.h"

namespace dgm::engine {

namespace {

using factors::FactorBlock;
using factors::FactorKind;
using factors::Potential;

std::string shape_text(const std::vector<std::int64_t>& shape) {
  std::string s = "[";
  for (std::size_t i = 0; i < shape.size(); ++i) s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + "]";
}

std::string value_text(double v) {
  if (std::isnan(v)) return "nan";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

// Product of `dims`, or -1 when a dimension is < 1, the product overflows or exceeds `limit`.
std::int64_t checked_product(const std::vector<std::int64_t>& dims, std::int64_t limit) {
  std::int64_t n = 1;
  for (std::int64_t d : dims) {
    if (d < 1 || n > limit / d) return -1;
    n *= d;
  }
  return n;
}

bool valid_name(const std::string& name) {
  if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_'))
    return false;
  for (char c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-'))
      return false;
  return true;
}

// FNV-1a: initialiser streams are keyed by the parameter's name, so reordering the parameters
// of a file does not change their values.
std::uint64_t name_hash(const std::string& name) {
  std::uint64_t h = 1469598103934665603ull;
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
  return h;
}

class Compiler {
 public:
  Compiler(const proto::Model& model, const SourceMap& source, std::string base_dir,
           const CompileOptions& options)
      : m_(model),
        src_(source),
        base_dir_(std::move(base_dir)),
        opt_(options),
        g_(std::make_shared<Graph>()) {}

  CompiledModel run() {
    compile_variables();
    compile_parameters();
    g_->factor_offsets.push_back(0);
    for (int i = 0; i < m_.factors_size(); ++i) compile_factor_group(i);
    if (!std::isfinite(m_.log_constant()))
      throw Error(src_.where("log_constant", 0) + ": log_constant is " +
                  value_text(m_.log_constant()) + "; it must be finite");
    g_->log_constant = m_.log_constant();
    check_scale();
    compile_evidence();
    build_adjacency();
    if (opt_.analyse) g_->analysis = analyse_graph(*g_);
    CompiledModel out;
    out.graph = std::move(g_);
    out.params = std::move(params_);
    out.evidence = std::move(evidence_);
    out.source = src_.file();
    return out;
  }

 private:
  // The model's numbers within dgm's numerical range (engine/numeric_range.h); the error
  // points at the factor group that contributes most.
  void check_scale() const {
    const LogPotentialScale scale = log_potential_scale(*g_, params_.values);
    if (scale.total <= kMaxLogPotentialScale) return;
    std::string where = src_.file();
    if (scale.largest_block >= 0)
      for (int i = 0; i < m_.factors_size(); ++i)
        if (m_.factors(i).name() == g_->blocks[scale.largest_block].name) {
          where = src_.where("factors", i);
          break;
        }
    throw_log_potential_scale_error(*g_, scale, where);
  }

  // compile() adds the file:line:col that `where` starts with to the error's fields.
  [[noreturn]] void fail(const std::string& where, const std::string& what,
                         ErrorDetails details = {}) const {
    throw Error(where + ": " + what, std::move(details));
  }

  // ---------------------------------------------------------------- variables
  void compile_variables() {
    if (m_.variables_size() == 0)
      fail(src_.file().empty() ? "<model>" : src_.file(),
           "the model declares no variables; add at least one `variables { name: ... "
           "cardinality: ... }`");
    std::unordered_set<std::string> seen;
    std::int64_t total = 0;
    for (int i = 0; i < m_.variables_size(); ++i) {
      const auto& vg = m_.variables(i);
      const std::string where = src_.where("variables", i);
      if (!valid_name(vg.name()))
        fail(where,
             "variable group name '" + vg.name() +
                 "' is not valid (letters, digits, '_', '.', '-'; not starting with a digit)");
      const std::string ctx = where + ": variable group '" + vg.name() + "'";
      if (!seen.insert(vg.name()).second) fail(ctx, "duplicate variable group name");
      if (vg.cardinality() < 2)
        fail(src_.where("variables", i, "cardinality") + ": variable group '" + vg.name() + "'",
             "cardinality " + std::to_string(vg.cardinality()) +
                 " is invalid; a variable needs at least 2 states");
      if (vg.cardinality() > opt_.max_cardinality)
        fail(ctx, "cardinality " + std::to_string(vg.cardinality()) + " exceeds the limit of " +
                      std::to_string(opt_.max_cardinality));
      std::vector<std::int64_t> shape(vg.shape().begin(), vg.shape().end());
      for (std::int64_t d : shape)
        if (d < 1) fail(ctx, "shape " + shape_text(shape) + " has a dimension < 1");
      const std::int64_t size = checked_product(shape, std::numeric_limits<std::int64_t>::max());
      check_cap(ctx, "shape " + shape_text(shape) + (i > 0 ? " with the groups before it" : ""),
                size < 0 ? -1 : total + size, "variables", opt_.max_variables, "--max-variables");
      if (vg.state_names_size() != 0 && vg.state_names_size() != vg.cardinality())
        fail(ctx, std::to_string(vg.state_names_size()) + " state names for cardinality " +
                      std::to_string(vg.cardinality()));
      VariableGroupInfo info;
      info.name = vg.name();
      info.shape = std::move(shape);
      info.cardinality = vg.cardinality();
      info.first = static_cast<std::int32_t>(total);
      info.size = static_cast<std::int32_t>(size);
      info.state_names.assign(vg.state_names().begin(), vg.state_names().end());
      g_->groups.push_back(std::move(info));
      total += size;
    }
    reserve_bytes(src_.file().empty() ? "<model>" : src_.file(),
                  std::to_string(total) + " variables", total * kBytesPerVariable);
    g_->cardinality.resize(total);
    g_->state_offset.resize(total + 1);
    for (const auto& group : g_->groups)
      std::fill_n(g_->cardinality.begin() + group.first, group.size, group.cardinality);
    g_->state_offset[0] = 0;
    for (std::int64_t v = 0; v < total; ++v)
      g_->state_offset[v + 1] = g_->state_offset[v] + g_->cardinality[v];
    refs_.emplace(g_->groups);
  }

  // ---------------------------------------------------------------- parameters
  void compile_parameters() {
    std::unordered_set<std::string> seen;
    for (int i = 0; i < m_.parameters_size(); ++i) {
      const auto& p = m_.parameters(i);
      const std::string where = src_.where("parameters", i);
      if (!valid_name(p.name())) fail(where, "parameter name '" + p.name() + "' is not valid");
      const std::string ctx = where + ": parameter '" + p.name() + "'";
      if (!seen.insert(p.name()).second) fail(ctx, "duplicate parameter name");
      ParamInfo info;
      info.name = p.name();
      info.shape.assign(p.shape().begin(), p.shape().end());
      info.learnable = p.learnable();
      const int sources = (p.value_size() > 0) + !p.npy().empty() + p.has_init();
      if (sources == 0) fail(ctx, "no values; give `value`, `npy` or `init`");
      if (sources > 1) fail(ctx, "give exactly one of `value`, `npy` and `init`");

      std::vector<double> values;
      if (!p.npy().empty()) {
        std::filesystem::path path(p.npy());
        if (path.is_relative() && !base_dir_.empty())
          path = std::filesystem::path(base_dir_) / path;
        std::error_code ec;
        const std::uintmax_t file_bytes = std::filesystem::file_size(path, ec);
        if (!ec && file_bytes > static_cast<std::uintmax_t>(opt_.max_file_bytes))
          refuse_over_cap(ctx, path.string(), static_cast<std::int64_t>(file_bytes), "bytes",
                          opt_.max_file_bytes, "--max-file-size");
        NpyArray array;
        try {
          array = read_npy(path.string());
        } catch (const Error& e) {
          fail(ctx, e.what(), e.details());
        }
        if (info.shape.empty() && !array.shape.empty()) info.shape = array.shape;
        if (array.shape != info.shape)
          fail(ctx, path.string() + " has shape " + shape_text(array.shape) +
                        " but the parameter declares " + shape_text(info.shape));
        values = std::move(array.values);
      }
      // Inline values without a shape form a vector (one value: a scalar).
      if (info.shape.empty() && p.value_size() > 1) info.shape = {p.value_size()};
      for (std::int64_t d : info.shape)
        if (d < 1) fail(ctx, "shape " + shape_text(info.shape) + " has a dimension < 1");
      const std::int64_t size = checked_product(info.shape, opt_.max_parameter_elements);
      if (size < 0)
        fail(ctx,
             "shape " + shape_text(info.shape) + " has more than " +
                 std::to_string(opt_.max_parameter_elements) + " elements (the limit)",
             error_details(ErrorCode::kLimit, shape_text(info.shape)));
      reserve_bytes(ctx, "its " + std::to_string(size) + " values",
                    saturating_product(size, sizeof(double)));
      if (p.value_size() > 0) {
        if (p.value_size() != size)
          fail(ctx, std::to_string(p.value_size()) + " values given but shape " +
                        shape_text(info.shape) + " needs " + std::to_string(size));
        values.assign(p.value().begin(), p.value().end());
      } else if (p.has_init()) {
        values = initialise(p, size, ctx);
      }
      for (std::size_t k = 0; k < values.size(); ++k) {
        if (std::isnan(values[k]) || values[k] == kPosInf)
          fail(ctx, "value " + std::to_string(k) + " is " + value_text(values[k]) +
                        "; log-potentials must be finite or -inf (a hard zero)");
      }
      info.offset = static_cast<std::int64_t>(params_.values.size());
      info.size = size;
      params_.values.insert(params_.values.end(), values.begin(), values.end());
      params_.info.push_back(std::move(info));
    }
  }

  std::vector<double> initialise(const proto::Parameter& p, std::int64_t size,
                                 const std::string& ctx) const {
    const auto& init = p.init();
    const CounterRng rng(init.seed(), name_hash(p.name()));
    std::vector<double> v(size);
    auto finite = [&](double x, const char* what) {
      if (!std::isfinite(x)) fail(ctx, std::string("initialiser ") + what + " is " + value_text(x));
    };
    switch (init.kind_case()) {
      case proto::Initializer::kConstant:
        finite(init.constant(), "constant");
        std::fill(v.begin(), v.end(), init.constant());
        break;
      case proto::Initializer::kNormal:
        finite(init.normal().mean(), "mean");
        finite(init.normal().stddev(), "stddev");
        if (init.normal().stddev() < 0) fail(ctx, "initialiser stddev is negative");
        for (std::int64_t k = 0; k < size; ++k)
          v[k] = init.normal().mean() + init.normal().stddev() * rng.normal(k);
        break;
      case proto::Initializer::kUniform:
        finite(init.uniform().low(), "low");
        finite(init.uniform().high(), "high");
        if (init.uniform().high() < init.uniform().low()) fail(ctx, "initialiser has high < low");
        for (std::int64_t k = 0; k < size; ++k)
          v[k] = init.uniform().low() +
                 (init.uniform().high() - init.uniform().low()) * rng.uniform(k);
        break;
      case proto::Initializer::kRademacher:
        finite(init.rademacher(), "rademacher scale");
        for (std::int64_t k = 0; k < size; ++k)
          v[k] = (rng.bits(k)[0] & 1u) ? init.rademacher() : -init.rademacher();
        break;
      case proto::Initializer::KIND_NOT_SET:
        fail(ctx, "initialiser has no kind; choose one of constant, normal, uniform, rademacher");
    }
    return v;
  }

  // ---------------------------------------------------------------- factor groups
  // Appends one factor with the variables in scope_ to the CSR arrays.
  void push_factor(const std::string& ctx) {
    const std::int64_t f = g_->num_factors();
    if (f >= opt_.max_factors)
      refuse_over_cap(ctx, "the model", f + 1, "factors", opt_.max_factors, "--max-factors");
    const std::int64_t bytes = factor_bytes(static_cast<std::int64_t>(scope_.size()));
    if (reserved_bytes_ + bytes > opt_.max_memory_bytes)
      reserve_bytes(ctx,
                    "factor " + std::to_string(f - current_first_) + " over " +
                        std::to_string(scope_.size()) + " variables",
                    bytes);
    reserved_bytes_ += bytes;
    check_distinct(ctx, f);
    g_->factor_vars.insert(g_->factor_vars.end(), scope_.begin(), scope_.end());
    g_->factor_offsets.push_back(static_cast<std::int64_t>(g_->factor_vars.size()));
  }

  void check_distinct(const std::string& ctx, std::int64_t f) {
    bool repeated = false;
    std::int32_t which = -1;
    if (scope_.size() <= 16) {
      for (std::size_t a = 0; a < scope_.size() && !repeated; ++a)
        for (std::size_t b = a + 1; b < scope_.size(); ++b)
          if (scope_[a] == scope_[b]) {
            repeated = true;
            which = scope_[a];
            break;
          }
    } else {
      sorted_.assign(scope_.begin(), scope_.end());
      std::sort(sorted_.begin(), sorted_.end());
      auto it = std::adjacent_find(sorted_.begin(), sorted_.end());
      if (it != sorted_.end()) {
        repeated = true;
        which = *it;
      }
    }
    if (repeated)
      fail(ctx, "variable " + g_->variable_name(which) + " appears twice in factor " +
                    std::to_string(f - current_first_));
  }

  // Before generating `count` factors over `arity` variables each (arity 0: not known yet;
  // push_factor counts their memory one by one).
  void check_factor_budget(const std::string& ctx, std::int64_t count, std::int64_t arity = 0) {
    if (count < 0 || count > opt_.max_factors - g_->num_factors())
      refuse_over_cap(ctx,
                      g_->num_factors() == 0
                          ? std::string("the group")
                          : "the model, with this group's " + std::to_string(count) + " factors,",
                      count < 0 ? -1 : g_->num_factors() + count, "factors", opt_.max_factors,
                      "--max-factors");
    if (arity > 0) {
      reserve_bytes(ctx, std::to_string(count) + " factors",
                    saturating_product(count, factor_bytes(arity)));
    }
  }

  // Adds `bytes` to the estimate of the compiled model's memory; refuses it over the cap.
  void reserve_bytes(const std::string& ctx, const std::string& what, std::int64_t bytes) {
    const std::int64_t total = bytes < 0 ? -1 : reserved_bytes_ + bytes;
    check_cap(ctx, "the model, with " + what + ",", total, "bytes", opt_.max_memory_bytes,
              "--max-memory");
    reserved_bytes_ = total;
  }

  std::vector<std::string> all_group_names() const {
    std::vector<std::string> names;
    for (const auto& group : g_->groups) names.push_back(group.name);
    return names;
  }

  const VariableGroupInfo& group_named(const std::string& name, const std::string& ctx,
                                       const char* field) {
    const int gi = refs_->find_group(name);
    if (name.empty()) fail(ctx, std::string("`") + field + "` names no variable group");
    if (gi < 0)
      fail(ctx,
           std::string("`") + field + "`: unknown variable group '" + name + "'; groups are " +
               refs_->group_names(),
           error_details(ErrorCode::kUnknownName, name, all_group_names()));
    return g_->groups[gi];
  }

  void generate_lattice(const proto::Lattice& lat, const std::string& ctx) {
    const VariableGroupInfo& group = group_named(lat.group(), ctx, "lattice.group");
    const int hood = lat.neighbourhood() == 0 ? 4 : lat.neighbourhood();
    if (hood != 4 && hood != 8)
      fail(ctx, "lattice neighbourhood " + std::to_string(lat.neighbourhood()) +
                    " is invalid; choose 4 or 8");
    std::int64_t rows = 1, cols = 0;
    if (group.shape.size() == 1) {
      cols = group.shape[0];
      if (hood == 8) fail(ctx, "an 8-neighbourhood needs a 2-D group; '" + group.name + "' is 1-D");
    } else if (group.shape.size() == 2) {
      rows = group.shape[0];
      cols = group.shape[1];
    } else {
      fail(ctx, "a lattice needs a 1-D or 2-D group; '" + group.name + "' has shape " +
                    shape_text(group.shape));
    }
    const bool periodic = lat.periodic();
    if (periodic && (cols < 3 || (group.shape.size() == 2 && rows < 3)))
      fail(ctx, "a periodic lattice needs every dimension ≥ 3 so that no pair repeats; '" +
                    group.name + "' has shape " + shape_text(group.shape));
    const bool two_d = group.shape.size() == 2;
    check_factor_budget(ctx, rows * cols * (two_d ? hood / 2 : 1), 2);
    g_->factor_vars.reserve(g_->factor_vars.size() + 2 * rows * cols * (two_d ? hood / 2 : 1));
    g_->factor_offsets.reserve(g_->factor_offsets.size() + rows * cols * (two_d ? hood / 2 : 1));
    auto id = [&](std::int64_t r, std::int64_t c) {
      return group.first + static_cast<std::int32_t>(r * cols + c);
    };
    auto emit = [&](std::int64_t r, std::int64_t c, std::int64_t r2, std::int64_t c2) {
      if (periodic) {
        r2 = (r2 + rows) % rows;
        c2 = (c2 + cols) % cols;
      } else if (r2 < 0 || r2 >= rows || c2 < 0 || c2 >= cols) {
        return;
      }
      g_->factor_vars.push_back(id(r, c));
      g_->factor_vars.push_back(id(r2, c2));
      g_->factor_offsets.push_back(static_cast<std::int64_t>(g_->factor_vars.size()));
    };
    // Factor order: sites row-major; per site right, down, down-right, down-left.
    for (std::int64_t r = 0; r < rows; ++r)
      for (std::int64_t c = 0; c < cols; ++c) {
        emit(r, c, r, c + 1);
        if (!two_d) continue;
        emit(r, c, r + 1, c);
        if (hood == 8) {
          emit(r, c, r + 1, c + 1);
          emit(r, c, r + 1, c - 1);
        }
      }
  }

  void generate_pairs(const std::vector<std::int32_t>& left, const std::vector<std::int32_t>& right,
                      bool upper_triangle, const std::string& ctx) {
    const std::int64_t n = static_cast<std::int64_t>(left.size());
    const std::int64_t count =
        upper_triangle ? n * (n - 1) / 2 : n * static_cast<std::int64_t>(right.size());
    check_factor_budget(ctx, count, 2);
    g_->factor_vars.reserve(g_->factor_vars.size() + 2 * count);
    g_->factor_offsets.reserve(g_->factor_offsets.size() + count);
    for (std::int64_t a = 0; a < n; ++a)
      for (std::size_t b = upper_triangle ? a + 1 : 0; b < right.size(); ++b) {
        if (left[a] == right[b])
          fail(ctx, "variable " + g_->variable_name(left[a]) + " would be paired with itself");
        g_->factor_vars.push_back(left[a]);
        g_->factor_vars.push_back(right[b]);
        g_->factor_offsets.push_back(static_cast<std::int64_t>(g_->factor_vars.size()));
      }
  }

  // Generates the scopes of factor group `fg` into the CSR arrays.
  void generate_scopes(const proto::FactorGroup& fg, const std::string& ctx, int index) {
    const bool has_generator = fg.generator_case() != proto::FactorGroup::GENERATOR_NOT_SET;
    const bool has_scopes = fg.scope_size() > 0;
    const proto::Logical* logical = fg.has_logical_or()    ? &fg.logical_or()
                                    : fg.has_logical_and() ? &fg.logical_and()
                                                           : nullptr;
    const bool shorthand =
        logical != nullptr && (!logical->parents().empty() || !logical->child().empty());
    if (fg.has_bipartite()) {
      if (has_generator || has_scopes)
        fail(ctx, "a bipartite group takes `left` and `right`, not a scope generator or `scope`");
      const auto& bp = fg.bipartite();
      const VariableGroupInfo& l = group_named(bp.left(), ctx, "bipartite.left");
      const VariableGroupInfo& r = group_named(bp.right(), ctx, "bipartite.right");
      if (l.name == r.name) fail(ctx, "bipartite `left` and `right` are the same group");
      std::vector<std::int32_t> lv(l.size), rv(r.size);
      for (int i = 0; i < l.size; ++i) lv[i] = l.first + i;
      for (int i = 0; i < r.size; ++i) rv[i] = r.first + i;
      generate_pairs(lv, rv, false, ctx);
      return;
    }
    if (has_generator + has_scopes + shorthand > 1)
      fail(ctx,
           "give only one of: a generator (each, lattice, all_pairs, between), `scope` "
           "lists, or logical parents/child");
    if (shorthand) {
      if (logical->parents().empty() || logical->child().empty())
        fail(ctx, "a logical factor needs both `parents` and `child`");
      scope_.clear();
      refs_->resolve_list(logical->parents(), scope_, ctx + ": parents");
      const std::size_t before = scope_.size();
      refs_->resolve(logical->child(), scope_, ctx + ": child");
      if (scope_.size() != before + 1)
        fail(ctx, "`child` '" + logical->child() + "' must name exactly one variable");
      push_factor(ctx);
      return;
    }
    switch (fg.generator_case()) {
      case proto::FactorGroup::kEach: {
        const VariableGroupInfo& group = group_named(fg.each(), ctx, "each");
        check_factor_budget(ctx, group.size, 1);
        for (std::int32_t i = 0; i < group.size; ++i) {
          g_->factor_vars.push_back(group.first + i);
          g_->factor_offsets.push_back(static_cast<std::int64_t>(g_->factor_vars.size()));
        }
        return;
      }
      case proto::FactorGroup::kLattice:
        generate_lattice(fg.lattice(), ctx);
        return;
      case proto::FactorGroup::kAllPairs: {
        const VariableGroupInfo& group = group_named(fg.all_pairs(), ctx, "all_pairs");
        std::vector<std::int32_t> v(group.size);
        for (int i = 0; i < group.size; ++i) v[i] = group.first + i;
        generate_pairs(v, v, true, ctx);
        return;
      }
      case proto::FactorGroup::kBetween: {
        std::vector<std::int32_t> l, r;
        refs_->resolve_list(fg.between().left(), l, ctx + ": between.left");
        refs_->resolve_list(fg.between().right(), r, ctx + ": between.right");
        if (l.empty() || r.empty()) fail(ctx, "`between` needs `left` and `right`");
        generate_pairs(l, r, false, ctx);
        return;
      }
      case proto::FactorGroup::GENERATOR_NOT_SET:
        break;
    }
    if (!has_scopes)
      fail(ctx,
           "no factors: give a generator (each, lattice, all_pairs, between) or `scope` "
           "lists");
    check_factor_budget(ctx, fg.scope_size());
    for (int k = 0; k < fg.scope_size(); ++k) {
      scope_.clear();
      const std::string sctx = src_.where("factors", index, "scope", k) + ": factor group '" +
                               fg.name() + "': scope " + std::to_string(k);
      refs_->resolve_list(fg.scope(k), scope_, sctx);
      if (scope_.empty())
        fail(sctx,
             "empty scope; a factor needs at least one variable (use log_constant for a "
             "constant)");
      push_factor(sctx);
    }
  }

  // Binds the parameter called `name` to `block`: shared (one table) or one table per factor.
  void bind_parameter(FactorBlock& block, const std::string& name, const char* field,
                      const std::vector<std::int64_t>& table_shape, const std::string& ctx,
                      bool allow_neg_inf) {
    if (name.empty()) fail(ctx, std::string("`") + field + "` names no parameter");
    const int pi = params_.find(name);
    if (pi < 0) {
      std::string known;
      for (std::size_t i = 0; i < params_.info.size() && i < 12; ++i)
        known += (i ? ", '" : "'") + params_.info[i].name + "'";
      std::vector<std::string> all;
      for (const auto& info : params_.info) all.push_back(info.name);
      fail(ctx,
           std::string("`") + field + "`: unknown parameter '" + name + "'; parameters are " +
               (known.empty() ? "(none declared)" : known),
           error_details(ErrorCode::kUnknownName, name, std::move(all)));
    }
    const ParamInfo& p = params_.info[pi];
    std::int64_t table = 1;
    for (std::int64_t d : table_shape) table *= d;
    const std::int64_t F = block.num_factors;
    std::int64_t stride = -1;
    if (p.size == table && (p.shape.size() <= 1 || p.shape == table_shape)) {
      stride = 0;  // shared; a multi-dimensional parameter must have the table's exact shape
    } else if (F > 0 && p.size == F * table) {
      // The trailing dimensions must be the table's (a flat [F·table] vector is accepted for
      // scalar potentials, where the table shape is empty).
      const std::size_t k = table_shape.size();
      bool trailing = p.shape.size() >= k;
      for (std::size_t d = 0; trailing && d < k; ++d)
        trailing = p.shape[p.shape.size() - k + d] == table_shape[d];
      if (trailing) stride = table;
    }
    if (stride < 0) {
      std::vector<std::int64_t> per_factor{F};
      per_factor.insert(per_factor.end(), table_shape.begin(), table_shape.end());
      fail(ctx, "parameter '" + name + "' has shape " + shape_text(p.shape) + " (" +
                    std::to_string(p.size) + " values); this group needs " +
                    shape_text(table_shape) + " (one table shared by all factors) or " +
                    shape_text(per_factor) + " (one per factor; the group has " +
                    std::to_string(F) + " factors)");
    }
    if (!allow_neg_inf) {
      auto v = params_.view(pi);
      for (std::size_t k = 0; k < v.size(); ++k)
        if (!std::isfinite(v[k]))
          fail(ctx, "parameter '" + name + "' value " + std::to_string(k) + " is " +
                        value_text(v[k]) + "; this kind needs finite values");
    }
    block.param = pi;
    block.param_offset = p.offset;
    block.param_stride = stride;
  }

  // The interaction graph stores every pair of variables sharing a factor: a factor over k
  // variables adds k(k−1) entries. Bound the total so that one very wide factor is an error,
  // not an exhausted machine.
  void count_interactions(const FactorBlock& block, const std::string& ctx) {
    for (std::int64_t f = block.first_factor; f < block.end_factor(); ++f) {
      const auto k = static_cast<std::int64_t>(g_->scope(f).size());
      interaction_entries_ += k * (k - 1);
      if (interaction_entries_ > opt_.max_interaction_entries)
        fail(ctx,
             "factor " + std::to_string(f - block.first_factor) + " connects " + std::to_string(k) +
                 " variables; the interaction graph would exceed " +
                 std::to_string(opt_.max_interaction_entries) +
                 " entries (the limit; each factor over k variables adds k(k-1))",
             error_details(ErrorCode::kLimit, std::to_string(k)));
    }
  }

  void require_binary(const FactorBlock& block, const std::string& ctx, const char* why) {
    for (std::int64_t f = block.first_factor; f < block.end_factor(); ++f)
      for (std::int32_t v : g_->scope(f))
        if (g_->cardinality[v] != 2)
          fail(ctx, std::string(why) + " needs binary variables; " + g_->variable_name(v) +
                        " has cardinality " + std::to_string(g_->cardinality[v]));
  }

  void compile_factor_group(int index) {
    const auto& fg = m_.factors(index);
    const std::string where = src_.where("factors", index);
    if (!valid_name(fg.name())) fail(where, "factor group name '" + fg.name() + "' is not valid");
    const std::string ctx = where + ": factor group '" + fg.name() + "'";
    if (!factor_names_.insert(fg.name()).second) fail(ctx, "duplicate factor group name");

    FactorBlock block;
    block.name = fg.name();
    block.first_factor = g_->num_factors();
    current_first_ = block.first_factor;
    switch (fg.kind_case()) {
      case proto::FactorGroup::kUnary:
        block.kind = FactorKind::kUnary;
        break;
      case proto::FactorGroup::kPairwise:
      case proto::FactorGroup::kIsing:
      case proto::FactorGroup::kPotts:
        block.kind = FactorKind::kPairwise;
        break;
      case proto::FactorGroup::kTable:
        block.kind = FactorKind::kTable;
        break;
      case proto::FactorGroup::kEnumeration:
        block.kind = FactorKind::kEnumeration;
        break;
      case proto::FactorGroup::kLogicalOr:
        block.kind = FactorKind::kOr;
        break;
      case proto::FactorGroup::kLogicalAnd:
        block.kind = FactorKind::kAnd;
        break;
      case proto::FactorGroup::kBipartite:
        block.kind = FactorKind::kBipartite;
        break;
      case proto::FactorGroup::KIND_NOT_SET:
        fail(ctx,
             "no factor kind; choose one of unary, pairwise, ising, potts, table, "
             "enumeration, logical_or, logical_and, bipartite",
             error_details(ErrorCode::kUnknownName, "",
                           {"unary", "pairwise", "ising", "potts", "table", "enumeration",
                            "logical_or", "logical_and", "bipartite"}));
    }
    generate_scopes(fg, ctx, index);
    block.num_factors = g_->num_factors() - block.first_factor;
    if (block.num_factors == 0)
      fail(ctx,
           "expands to no factors (a lattice or all_pairs over a group too small to have "
           "a pair?)");
    count_interactions(block, ctx);

    // Arity and the cardinality signature shared by every factor of the block.
    const bool logical = block.kind == FactorKind::kOr || block.kind == FactorKind::kAnd;
    block.arity = static_cast<std::int32_t>(g_->scope(block.first_factor).size());
    for (std::int64_t f = block.first_factor; f < block.end_factor(); ++f) {
      auto s = g_->scope(f);
      if (static_cast<std::int32_t>(s.size()) != block.arity) {
        if (logical) {
          block.arity = -1;
          break;
        }
        fail(ctx, "factor " + std::to_string(f - block.first_factor) + " has " +
                      std::to_string(s.size()) + " variables but factor 0 has " +
                      std::to_string(block.arity) + "; all factors of a group have one arity");
      }
    }
    auto expect_arity = [&](std::int32_t a, const char* kind) {
      if (block.arity != a)
        fail(ctx, std::string(kind) + " factors connect " + std::to_string(a) +
                      " variable(s) but the scopes have " + std::to_string(block.arity));
    };
    if (block.arity > 0) {
      block.cards = g_->scope_cards(block.first_factor);
      for (std::int64_t f = block.first_factor + 1; f < block.end_factor(); ++f) {
        auto s = g_->scope(f);
        for (std::size_t j = 0; j < s.size(); ++j)
          if (g_->cardinality[s[j]] != block.cards[j])
            fail(ctx, "factor " + std::to_string(f - block.first_factor) + " has variable " +
                          g_->variable_name(s[j]) + " of cardinality " +
                          std::to_string(g_->cardinality[s[j]]) + " at position " +
                          std::to_string(j) + " where factor 0 has cardinality " +
                          std::to_string(block.cards[j]) +
                          "; the factors of a group share one table shape");
      }
      block.table_size =
          factors::table_size(block.cards, std::numeric_limits<std::int64_t>::max() / 2);
    }
    std::vector<std::int64_t> table_shape(block.cards.begin(), block.cards.end());
    auto check_table_limit = [&]() {
      check_cap(ctx, "a dense table over cardinalities " + shape_text(table_shape),
                block.table_size, "entries", opt_.max_table_entries, "--max-factor-table");
    };

    switch (fg.kind_case()) {
      case proto::FactorGroup::kUnary: {
        expect_arity(1, "unary");
        const auto& u = fg.unary();
        switch (u.potential_case()) {
          case proto::Unary::kLogPotentials:
            block.potential = Potential::kTable;
            bind_parameter(block, u.log_potentials(), "log_potentials", table_shape, ctx, true);
            break;
          case proto::Unary::kLogOdds:
            require_binary(block, ctx, "unary log_odds");
            block.potential = Potential::kLogOdds;
            bind_parameter(block, u.log_odds(), "log_odds", {}, ctx, true);
            break;
          case proto::Unary::kField:
            require_binary(block, ctx, "unary field");
            block.potential = Potential::kSpin;
            bind_parameter(block, u.field(), "field", {}, ctx, false);
            break;
          case proto::Unary::POTENTIAL_NOT_SET:
            fail(ctx, "unary needs one of log_potentials, log_odds, field");
        }
        break;
      }
      case proto::FactorGroup::kPairwise:
        expect_arity(2, "pairwise");
        check_table_limit();
        block.potential = Potential::kTable;
        bind_parameter(block, fg.pairwise().log_potentials(), "log_potentials", table_shape, ctx,
                       true);
        break;
      case proto::FactorGroup::kIsing:
        expect_arity(2, "ising");
        require_binary(block, ctx, "ising");
        block.potential = Potential::kSpin;
        bind_parameter(block, fg.ising().coupling(), "coupling", {}, ctx, false);
        break;
      case proto::FactorGroup::kPotts:
        expect_arity(2, "potts");
        block.potential = Potential::kPotts;
        bind_parameter(block, fg.potts().coupling(), "coupling", {}, ctx, true);
        break;
      case proto::FactorGroup::kTable:
        check_table_limit();
        block.potential = Potential::kTable;
        bind_parameter(block, fg.table().log_potentials(), "log_potentials", table_shape, ctx,
                       true);
        break;
      case proto::FactorGroup::kEnumeration:
        compile_enumeration(block, fg.enumeration(), ctx);
        break;
      case proto::FactorGroup::kLogicalOr:
      case proto::FactorGroup::kLogicalAnd:
        if (block.arity == -1) {
          for (std::int64_t f = block.first_factor; f < block.end_factor(); ++f)
            if (g_->scope(f).size() < 2)
              fail(ctx, "factor " + std::to_string(f - block.first_factor) +
                            ": a logical factor needs at least one parent and a child");
        } else if (block.arity < 2) {
          fail(ctx, "a logical factor needs at least one parent and a child");
        }
        require_binary(block, ctx, block.kind == FactorKind::kOr ? "logical_or" : "logical_and");
        block.potential = Potential::kNone;
        break;
      case proto::FactorGroup::kBipartite: {
        const auto& bp = fg.bipartite();
        const VariableGroupInfo& l = g_->groups[refs_->find_group(bp.left())];
        const VariableGroupInfo& r = g_->groups[refs_->find_group(bp.right())];
        require_binary(block, ctx, "bipartite");
        block.potential = Potential::kLogOdds;
        block.left_begin = l.first;
        block.left_count = l.size;
        block.right_begin = r.first;
        block.right_count = r.size;
        bind_parameter(block, bp.weights(), "weights", {}, ctx, false);
        const ParamInfo& w = params_.info[block.param];
        if (block.param_stride != 1 || w.shape.size() != 2 || w.shape[0] != l.size ||
            w.shape[1] != r.size)
          fail(ctx, "weights '" + w.name + "' have shape " + shape_text(w.shape) + "; need [" +
                        std::to_string(l.size) + ", " + std::to_string(r.size) + "]");
        break;
      }
      case proto::FactorGroup::KIND_NOT_SET:
        break;
    }
    g_->factor_block.insert(g_->factor_block.end(), static_cast<std::size_t>(block.num_factors),
                            static_cast<std::int32_t>(g_->blocks.size()));
    g_->blocks.push_back(std::move(block));
  }

  void compile_enumeration(FactorBlock& block, const proto::Enumeration& e,
                           const std::string& ctx) {
    const std::int32_t k = block.arity;
    if (e.configurations_size() == 0) fail(ctx, "enumeration lists no configurations");
    if (e.configurations_size() % k != 0)
      fail(ctx, std::to_string(e.configurations_size()) +
                    " configuration entries is not a multiple of the arity " + std::to_string(k));
    const std::int64_t rows = e.configurations_size() / k;
    if (rows > opt_.max_enumeration_rows)
      fail(ctx, std::to_string(rows) + " configurations exceed the limit of " +
                    std::to_string(opt_.max_enumeration_rows));
    block.potential = Potential::kEnumerated;
    block.config_offset = static_cast<std::int64_t>(g_->enum_configs.size());
    block.num_configs = rows;
    std::unordered_set<std::int64_t> seen;
    for (std::int64_t c = 0; c < rows; ++c) {
      std::int64_t key = 0;
      for (std::int32_t j = 0; j < k; ++j) {
        const std::int32_t x = e.configurations(static_cast<int>(c * k + j));
        if (x < 0 || x >= block.cards[j])
          fail(ctx, "configuration " + std::to_string(c) + " has state " + std::to_string(x) +
                        " at position " + std::to_string(j) + "; valid states are 0.." +
                        std::to_string(block.cards[j] - 1));
        if (block.table_size > 0) key = key * block.cards[j] + x;
        g_->enum_configs.push_back(x);
      }
      if (block.table_size > 0 && !seen.insert(key).second)
        fail(ctx, "configuration " + std::to_string(c) + " is listed twice");
    }
    if (!e.log_potentials().empty())
      bind_parameter(block, e.log_potentials(), "log_potentials", {rows}, ctx, true);
  }

  // ---------------------------------------------------------------- evidence
  void compile_evidence() {
    evidence_.assign(g_->num_variables(), kFree);
    std::vector<std::int32_t> vars;
    for (int i = 0; i < m_.evidence_size(); ++i) {
      const auto& ev = m_.evidence(i);
      const std::string ctx = src_.where("evidence", i) + ": evidence";
      vars.clear();
      if (ev.variable().empty()) fail(ctx, "`variable` is empty");
      refs_->resolve_list(ev.variable(), vars, ctx);
      std::vector<std::int32_t> values;
      if (ev.has_value() == (ev.values_size() > 0))
        fail(ctx, "give exactly one of `value` (one variable) and `values` (one per variable)");
      if (ev.has_value()) {
        if (vars.size() != 1)
          fail(ctx, "'" + ev.variable() + "' refers to " + std::to_string(vars.size()) +
                        " variables; use `values` with one state per variable");
        values.push_back(ev.value());
      } else {
        if (static_cast<std::size_t>(ev.values_size()) != vars.size())
          fail(ctx, std::to_string(ev.values_size()) + " values for " +
                        std::to_string(vars.size()) + " variables of '" + ev.variable() + "'");
        values.assign(ev.values().begin(), ev.values().end());
      }
      for (std::size_t j = 0; j < vars.size(); ++j) {
        const std::int32_t v = vars[j], x = values[j];
        if (x < 0 || x >= g_->cardinality[v])
          fail(ctx, "value " + std::to_string(x) + " for " + g_->variable_name(v) +
                        " is out of range; valid states are 0.." +
                        std::to_string(g_->cardinality[v] - 1));
        if (evidence_[v] != kFree && evidence_[v] != x)
          fail(ctx, g_->variable_name(v) + " is clamped to " + std::to_string(evidence_[v]) +
                        " and to " + std::to_string(x));
        evidence_[v] = x;
      }
    }
  }

  // ---------------------------------------------------------------- adjacency
  void build_adjacency() {
    Graph& g = *g_;
    const std::int32_t n = g.num_variables();
    const std::int64_t F = g.num_factors();
    g.var_factor_offsets.assign(n + 1, 0);
    for (std::int32_t v : g.factor_vars) ++g.var_factor_offsets[v + 1];
    for (std::int32_t v = 0; v < n; ++v) g.var_factor_offsets[v + 1] += g.var_factor_offsets[v];
    g.var_factors.resize(g.factor_vars.size());
    g.var_slots.resize(g.factor_vars.size());
    std::vector<std::int64_t> cursor(g.var_factor_offsets.begin(), g.var_factor_offsets.end() - 1);
    for (std::int64_t f = 0; f < F; ++f) {
      const std::int64_t begin = g.factor_offsets[f], end = g.factor_offsets[f + 1];
      for (std::int64_t k = begin; k < end; ++k) {
        const std::int32_t v = g.factor_vars[k];
        g.var_factors[cursor[v]] = static_cast<std::int32_t>(f);
        g.var_slots[cursor[v]] = static_cast<std::int32_t>(k - begin);
        ++cursor[v];
      }
    }
    // Interaction graph: neighbours of v = union of its factors' scopes, minus v.
    g.neighbour_offsets.assign(n + 1, 0);
    g.neighbours.clear();
    std::vector<std::int32_t> buffer;
    for (std::int32_t v = 0; v < n; ++v) {
      buffer.clear();
      for (std::int32_t f : g.factors_of(v))
        for (std::int32_t u : g.scope(f))
          if (u != v) buffer.push_back(u);
      std::sort(buffer.begin(), buffer.end());
      buffer.erase(std::unique(buffer.begin(), buffer.end()), buffer.end());
      g.neighbours.insert(g.neighbours.end(), buffer.begin(), buffer.end());
      g.neighbour_offsets[v + 1] = static_cast<std::int64_t>(g.neighbours.size());
    }
    g.neighbours.shrink_to_fit();
    g.factor_vars.shrink_to_fit();
    g.factor_offsets.shrink_to_fit();
  }

  const proto::Model& m_;
  const SourceMap& src_;
  std::string base_dir_;
  const CompileOptions& opt_;
  std::shared_ptr<Graph> g_;
  Params params_;
  std::vector<std::int32_t> evidence_;
  std::optional<VariableResolver> refs_;
  std::unordered_set<std::string> factor_names_;
  std::vector<std::int32_t> scope_, sorted_;
  std::int64_t current_first_ = 0;
  std::int64_t interaction_entries_ = 0;
  std::int64_t reserved_bytes_ = 0;  // the estimate of the compiled model's memory so far
};

}  // namespace

CompiledModel compile(const proto::Model& model, const SourceMap& source,
                      const std::string& base_dir, const CompileOptions& options) {
  try {
    return Compiler(model, source, base_dir, options).run();
  } catch (const Error& e) {
    // Every compile error's message starts with where it is ("model.pbtxt:12:7: ..."); the
    // same place goes into the fields, once, here. An error without a code is a model
    // that says something invalid.
    if (e.line() > 0) throw;
    ErrorDetails details = e.details();
    if (details.code == ErrorCode::kUnspecified) details.code = ErrorCode::kBadValue;
    if (details.file.empty()) details.file = source.file();
    const std::string message = e.what();
    const std::string prefix = source.file() + ":";
    int line = 0, column = 0;
    if (!source.file().empty() && message.starts_with(prefix) &&
        std::sscanf(message.c_str() + prefix.size(), "%d:%d:", &line, &column) == 2) {
      details.line = line;
      details.column = column;
    }
    throw Error(message, std::move(details));
  }
}

}  // namespace dgm::engine
