#include "store/store.hpp"

#include <doctest/doctest.h>

using namespace cafflow;

namespace {

store_write instance(const std::string& id, const std::string& status) {
  instance_put p;
  p.record.id = id;
  p.record.status = status;
  return p;
}

store_write node(const std::string& instance, const std::string& name, const std::string& status) {
  node_put p;
  p.instance_id = instance;
  p.record.name = name;
  p.record.status = status;
  return p;
}

store_write attempt(const std::string& instance, const std::string& node, int number,
                    const std::string& status) {
  attempt_put p;
  p.instance_id = instance;
  p.node = node;
  p.record.number = number;
  p.record.status = status;
  return p;
}

store_write workflow(const std::string& name, const std::string& xml) {
  workflow_put p;
  p.record.name = name;
  p.xml = xml;
  return p;
}

store_write file_put(const std::string& path, const std::string& status) {
  xml_file_put p;
  p.record.path = path;
  p.record.status = status;
  return p;
}

store_write file_delete(const std::string& path) { return xml_file_delete{path}; }

store_write coordinator(const std::string& workflow, timestamp next_fire) {
  coordinator_put p;
  p.record.workflow = workflow;
  p.record.next_fire = next_fire;
  return p;
}

store_write coordinator_gone(const std::string& workflow) { return coordinator_delete{workflow}; }

store_write dependency(const std::string& workflow, const std::string& upstream,
                       timestamp logical_time, const std::string& instance_id) {
  dependency_put p;
  p.record.workflow = workflow;
  p.record.upstream = upstream;
  p.record.logical_time = logical_time;
  p.record.instance_id = instance_id;
  return p;
}

store_write fire(const std::string& workflow, timestamp logical_time,
                 const std::string& instance_id) {
  return fire_put{fire_record{workflow, logical_time, instance_id, 0}};
}

/// "kind key status" of every write, in order.
std::vector<std::string> describe(const std::vector<store_write>& writes) {
  std::vector<std::string> out;
  for (const auto& w : writes) {
    if (auto* i = write_if<instance_put>(w))
      out.push_back("instance " + i->record.id + " " + i->record.status);
    else if (auto* n = std::get_if<node_put>(&w))
      out.push_back("node " + n->instance_id + "/" + n->record.name + " " + n->record.status);
    else if (auto* a = std::get_if<attempt_put>(&w))
      out.push_back("attempt " + a->instance_id + "/" + a->node + "." + std::to_string(a->record.number)
                    + " " + a->record.status);
    else if (auto* f = std::get_if<workflow_put>(&w))
      out.push_back("workflow " + f->record.name + " " + f->xml);
    else if (auto* x = std::get_if<xml_file_put>(&w))
      out.push_back("file " + x->record.path + " " + x->record.status);
    else if (auto* d = std::get_if<xml_file_delete>(&w))
      out.push_back("delete " + d->path);
    else if (auto* c = std::get_if<coordinator_put>(&w))
      out.push_back("coordinator " + c->record.workflow + " "
                    + std::to_string(c->record.next_fire));
    else if (auto* c = std::get_if<coordinator_delete>(&w))
      out.push_back("forget " + c->workflow);
    else if (auto* p = std::get_if<dependency_put>(&w))
      out.push_back("dependency " + p->record.workflow + "<-" + p->record.upstream + "@"
                    + std::to_string(p->record.logical_time) + " " + p->record.instance_id);
    else if (auto* f = std::get_if<fire_put>(&w))
      out.push_back("fire " + f->record.workflow + "@" + std::to_string(f->record.logical_time)
                    + " " + f->record.instance_id);
  }
  return out;
}

} // namespace

TEST_CASE("coalesce keeps each row's last content at the place of its first write") {
  std::vector<store_write> batch{
    instance("i1", "running"),
    node("i1", "a", "queued"),
    attempt("i1", "a", 1, "running"),
    node("i1", "a", "running"),
    node("i1", "b", "queued"),
    attempt("i1", "a", 1, "failed"),
    attempt("i1", "a", 2, "succeeded"),
    node("i1", "a", "succeeded"),
    instance("i1", "succeeded"),
    node("i2", "a", "queued"),
  };
  CHECK(describe(coalesce(batch)) == std::vector<std::string>{
    "instance i1 succeeded",
    "node i1/a succeeded",
    "attempt i1/a.1 failed",
    "node i1/b queued",
    "attempt i1/a.2 succeeded",
    "node i2/a queued",
  });
}

TEST_CASE("coalesce keeps every workflow write, and an empty batch stays empty") {
  std::vector<store_write> batch{workflow("w", "<xml/>"), workflow("w", ""), workflow("w", "")};
  CHECK(describe(coalesce(batch))
        == std::vector<std::string>{"workflow w <xml/>", "workflow w ", "workflow w "});
  CHECK(coalesce({}).empty());
}

TEST_CASE("coalesce keeps the last write of each xml file, put or delete, at its first place") {
  std::vector<store_write> batch{
    file_put("/x/a.xml", "invalid"),
    instance("i1", "running"),
    file_put("/x/b.xml", "loaded"),
    file_put("/x/a.xml", "loaded"),
    file_delete("/x/b.xml"),
    file_delete("/x/c.xml"),
    file_put("/x/c.xml", "conflict"),
    instance("i1", "succeeded"),
  };
  CHECK(describe(coalesce(batch)) == std::vector<std::string>{
    "file /x/a.xml loaded",
    "instance i1 succeeded",
    "delete /x/b.xml",
    "file /x/c.xml conflict",
  });
}

TEST_CASE("coalesce tells xml files apart from instances with the same key") {
  // Row keys are per kind: a file whose path equals an instance id is
  // another row.
  std::vector<store_write> batch{instance("same", "running"), file_put("same", "loaded")};
  CHECK(describe(coalesce(batch))
        == std::vector<std::string>{"instance same running", "file same loaded"});
}

TEST_CASE("coalesce keeps the last write of each coordinator state, put or delete") {
  std::vector<store_write> batch{
    coordinator("c1", 100),
    coordinator("c2", 100),
    instance("i1", "queued"),
    coordinator("c1", 200),
    coordinator_gone("c2"),
    coordinator_gone("c3"),
    coordinator("c3", 300),
  };
  CHECK(describe(coalesce(batch)) == std::vector<std::string>{
    "coordinator c1 200",
    "forget c2",
    "instance i1 queued",
    "coordinator c3 300",
  });
}

TEST_CASE("coalesce keeps the last write of each dependency and fire by its whole key") {
  std::vector<store_write> batch{
    dependency("w", "up", 1000, "i1"),
    dependency("w", "up", 2000, "i2"),
    dependency("w", "other", 1000, "i3"),
    fire("w", 1000, "i4"),
    dependency("w", "up", 1000, "i5"),
    fire("w", 2000, "i6"),
    fire("w", 1000, "i7"),
    // A coordinator state of the same name is another row.
    coordinator("w", 3000),
    // Logical times are 64 bits: these are two rows.
    fire("w", 1000 + (timestamp{1} << 32), "i8"),
  };
  CHECK(describe(coalesce(batch)) == std::vector<std::string>{
    "dependency w<-up@1000 i5",
    "dependency w<-up@2000 i2",
    "dependency w<-other@1000 i3",
    "fire w@1000 i7",
    "fire w@2000 i6",
    "coordinator w 3000",
    "fire w@4294968296 i8",
  });
}

TEST_CASE("changed_instances names every instance whose rows a batch writes, once each") {
  std::vector<store_write> batch{
    node("i2", "a", "queued"),
    instance("i1", "running"),
    attempt("i3", "a", 1, "running"),
    node("i1", "a", "running"),
    xml_file_put{},
    instance("i2", "succeeded"),
  };
  CHECK(changed_instances(batch) == std::vector<std::string>{"i2", "i1", "i3"});
  CHECK(changed_instances({}).empty());
  CHECK(changed_instances({xml_file_put{}}).empty());
}
