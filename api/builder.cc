// dgm::ModelBuilder: fills a proto::Model field by field; compile() does every check.
#include "dgm/builder.h"

namespace dgm {

FactorGroupBuilder& FactorGroupBuilder::unary(const std::string& log_potentials) {
  group_->mutable_unary()->set_log_potentials(log_potentials);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::unary_log_odds(const std::string& param) {
  group_->mutable_unary()->set_log_odds(param);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::unary_field(const std::string& param) {
  group_->mutable_unary()->set_field(param);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::pairwise(const std::string& log_potentials) {
  group_->mutable_pairwise()->set_log_potentials(log_potentials);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::ising(const std::string& coupling) {
  group_->mutable_ising()->set_coupling(coupling);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::potts(const std::string& coupling) {
  group_->mutable_potts()->set_coupling(coupling);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::table(const std::string& log_potentials) {
  group_->mutable_table()->set_log_potentials(log_potentials);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::enumeration(const std::vector<std::int32_t>& configurations,
                                                    const std::string& log_potentials) {
  auto* e = group_->mutable_enumeration();
  e->mutable_configurations()->Assign(configurations.begin(), configurations.end());
  e->set_log_potentials(log_potentials);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::logical_or(const std::string& parents,
                                                   const std::string& child) {
  auto* l = group_->mutable_logical_or();
  l->set_parents(parents);
  l->set_child(child);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::logical_and(const std::string& parents,
                                                    const std::string& child) {
  auto* l = group_->mutable_logical_and();
  l->set_parents(parents);
  l->set_child(child);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::bipartite(const std::string& left, const std::string& right,
                                                  const std::string& weights) {
  auto* b = group_->mutable_bipartite();
  b->set_left(left);
  b->set_right(right);
  b->set_weights(weights);
  return *this;
}

FactorGroupBuilder& FactorGroupBuilder::each(const std::string& group) {
  group_->set_each(group);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::lattice(const std::string& group,
                                                const LatticeOptions& options) {
  auto* l = group_->mutable_lattice();
  l->set_group(group);
  // 0 is the schema's "default" (4); writing 4 explicitly would be the same model.
  l->set_neighbourhood(options.neighbourhood == 4 ? 0 : options.neighbourhood);
  l->set_periodic(options.periodic);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::all_pairs(const std::string& group) {
  group_->set_all_pairs(group);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::between(const std::string& left, const std::string& right) {
  auto* b = group_->mutable_between();
  b->set_left(left);
  b->set_right(right);
  return *this;
}
FactorGroupBuilder& FactorGroupBuilder::scope(const std::string& references) {
  group_->add_scope(references);
  return *this;
}

ModelBuilder& ModelBuilder::variables(const std::string& name,
                                      const std::vector<std::int64_t>& shape,
                                      std::int32_t cardinality,
                                      const std::vector<std::string>& state_names) {
  auto* g = model_.add_variables();
  g->set_name(name);
  g->mutable_shape()->Assign(shape.begin(), shape.end());
  g->set_cardinality(cardinality);
  for (const std::string& s : state_names) g->add_state_names(s);
  return *this;
}

ModelBuilder& ModelBuilder::parameter(const std::string& name, const std::vector<double>& values,
                                      const std::vector<std::int64_t>& shape, bool learnable) {
  auto* p = model_.add_parameters();
  p->set_name(name);
  p->mutable_shape()->Assign(shape.begin(), shape.end());
  p->mutable_value()->Assign(values.begin(), values.end());
  p->set_learnable(learnable);
  return *this;
}

ModelBuilder& ModelBuilder::parameter(const std::string& name, double value, bool learnable) {
  return parameter(name, std::vector<double>{value}, {}, learnable);
}

ModelBuilder& ModelBuilder::parameter(const std::string& name,
                                      const std::vector<std::int64_t>& shape,
                                      const proto::Initializer& init, bool learnable) {
  auto* p = model_.add_parameters();
  p->set_name(name);
  p->mutable_shape()->Assign(shape.begin(), shape.end());
  *p->mutable_init() = init;
  p->set_learnable(learnable);
  return *this;
}

ModelBuilder& ModelBuilder::parameter_npy(const std::string& name, const std::string& npy_path,
                                          const std::vector<std::int64_t>& shape, bool learnable) {
  auto* p = model_.add_parameters();
  p->set_name(name);
  p->mutable_shape()->Assign(shape.begin(), shape.end());
  p->set_npy(npy_path);
  p->set_learnable(learnable);
  return *this;
}

FactorGroupBuilder ModelBuilder::factors(const std::string& name) {
  // Elements of a repeated message field live on the heap, so the pointer stays valid when
  // more groups are added.
  auto* g = model_.add_factors();
  g->set_name(name);
  return FactorGroupBuilder(g);
}

ModelBuilder& ModelBuilder::evidence(const std::string& reference, std::int32_t value) {
  auto* e = model_.add_evidence();
  e->set_variable(reference);
  e->set_value(value);
  return *this;
}

ModelBuilder& ModelBuilder::evidence(const std::string& reference,
                                     const std::vector<std::int32_t>& values) {
  auto* e = model_.add_evidence();
  e->set_variable(reference);
  e->mutable_values()->Assign(values.begin(), values.end());
  return *this;
}

ModelBuilder& ModelBuilder::log_constant(double value) {
  model_.set_log_constant(value);
  return *this;
}

ModelBuilder& ModelBuilder::description(const std::string& text) {
  model_.set_description(text);
  return *this;
}

Model ModelBuilder::compile(const std::string& name, const CompileLimits& limits) const {
  return Model::from_proto(model_, name, "", limits);
}

}  // namespace dgm
