#include "core/agent/agent_resources.h"

#include <gtest/gtest.h>
#include <unistd.h>

namespace berth::agent {
namespace {

const mesos::v1::Resource* find(const std::vector<mesos::v1::Resource>& resources,
                                const std::string& name) {
  for (const auto& r : resources) {
    if (r.name() == name) return &r;
  }
  return nullptr;
}

TEST(AgentResourcesTest, ParsesMesosText) {
  auto parsed =
      parseResources("cpus:2.5; mem(*):1024;ports:[31000-31005, 32000-32000];zones:{a,b}");
  ASSERT_TRUE(parsed) << parsed.error().message();
  ASSERT_EQ(parsed->size(), 4u);
  EXPECT_EQ(find(*parsed, "cpus")->scalar().value(), 2.5);
  EXPECT_EQ(find(*parsed, "mem")->scalar().value(), 1024);
  const auto& ports = find(*parsed, "ports")->ranges();
  ASSERT_EQ(ports.range_size(), 2);
  EXPECT_EQ(ports.range(0).begin(), 31000u);
  EXPECT_EQ(ports.range(0).end(), 31005u);
  EXPECT_EQ(find(*parsed, "zones")->set().item_size(), 2);
  EXPECT_EQ(find(*parsed, "zones")->type(), mesos::v1::Value::SET);
}

TEST(AgentResourcesTest, ParsesJson) {
  auto parsed = parseResources(
      R"([{"name":"cpus","type":"SCALAR","scalar":{"value":4},"role":"*"},)"
      R"({"name":"ports","type":"RANGES","ranges":{"range":[{"begin":1,"end":2}]}}])");
  ASSERT_TRUE(parsed) << parsed.error().message();
  EXPECT_EQ(find(*parsed, "cpus")->scalar().value(), 4);
  EXPECT_EQ(find(*parsed, "ports")->ranges().range(0).end(), 2u);
}

TEST(AgentResourcesTest, BadInputNamesTheEntry) {
  const std::pair<const char*, const char*> cases[] = {
      {"cpus", "--resources: missing or extra ':' in 'cpus'"},
      {"cpus:1:2", "--resources: missing or extra ':' in 'cpus:1:2'"},
      {"cpus:two", "--resources: 'two' in 'cpus:two' is not a number"},
      {"cpus:-1", "--resources: 'cpus' must be a finite, non-negative number"},
      {"cpus:1;cpus:2", "--resources: 'cpus' is given twice"},
      {"cpus(web):1",
       "--resources: 'cpus(web):1' reserves for role 'web'; static reservations "
       "are not supported"},
      {"cpus(*:1", "--resources: mismatched parentheses in 'cpus(*:1'"},
      {"ports:[5-1]", "--resources: range '5-1' in 'ports:[5-1]' is inverted"},
      {"ports:[1-x]", "--resources: 'x' in 'ports:[1-x]' is not a whole number"},
      {"ports:[1-2", "--resources: unclosed '[' in 'ports:[1-2'"},
      {"[{\"name\":1}]", "--resources: not a JSON array of Resource objects: "},
      {"ports:31000-32000",
       "--resources: '31000-32000' in 'ports:31000-32000' is not a number (ranges go in "
       "brackets: 'ports:[31000-32000]')"},
      {R"([{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":5,"end":1}]}}])",
       "--resources: 'ports' has an inverted range 5-1"},
      {R"([{"name":"cpus","type":"SCALAR","scalar":{"value":1},"role":"web"}])",
       "--resources: 'cpus' is reserved for role 'web'; static reservations are not supported"},
      {R"([{"name":"ports","type":"RANGES"}])", "--resources: 'ports' has no ranges"},
  };
  for (const auto& [text, message] : cases) {
    auto parsed = parseResources(text);
    ASSERT_FALSE(parsed) << text;
    EXPECT_EQ(parsed.error().message().substr(0, std::string(message).size()), message) << text;
  }
}

TEST(AgentResourcesTest, WhatTheFlagLeavesOutIsDetected) {
  auto resources = agentResources("mem:512", "/");
  ASSERT_TRUE(resources) << resources.error().message();
  EXPECT_EQ(find(*resources, "mem")->scalar().value(), 512);
  EXPECT_EQ(find(*resources, "cpus")->scalar().value(), ::sysconf(_SC_NPROCESSORS_ONLN));
  EXPECT_GT(find(*resources, "disk")->scalar().value(), 0);
  EXPECT_EQ(find(*resources, "ports")->ranges().range(0).begin(), 31000u);

  auto bad_dir = agentResources("", "/nonexistent/work");
  ASSERT_FALSE(bad_dir);
  EXPECT_NE(bad_dir.error().message().find("--work_dir /nonexistent/work"), std::string::npos);
}

}  // namespace
}  // namespace berth::agent
