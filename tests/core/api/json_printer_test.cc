#include "core/api/json_printer.h"

#include <gtest/gtest.h>

#include <limits>

#include "berth/v1/isolator.pb.h"
#include "mesos/v1/agent/agent.pb.h"

namespace berth::api {
namespace {

TEST(JsonPrinterTest, PrintsAsMesosDoes) {
  mesos::v1::agent::Response response;
  response.set_type(mesos::v1::agent::Response::GET_AGENT);
  auto* info = response.mutable_get_agent()->mutable_agent_info();
  info->set_hostname("h\"o\\st\n\x01");
  info->set_port(5051);
  auto* ports = info->add_resources();
  ports->set_name("ports");
  ports->set_type(mesos::v1::Value::RANGES);
  auto* range = ports->mutable_ranges()->add_range();
  range->set_begin(31000);
  range->set_end(std::numeric_limits<uint64_t>::max());
  auto* cpus = info->add_resources();
  cpus->set_name("cpus");
  cpus->set_type(mesos::v1::Value::SCALAR);
  cpus->mutable_scalar()->set_value(0.1);
  EXPECT_EQ(printJson(response),
            R"({"type":"GET_AGENT","get_agent":{"agent_info":{"hostname":"h\"o\\st\n\u0001",)"
            R"("resources":[{"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,)"
            R"("end":18446744073709551615}]}},{"name":"cpus","type":"SCALAR","scalar":)"
            R"({"value":0.1}}],"port":5051}}})");
}

TEST(JsonPrinterTest, BytesInBase64AndNonFiniteAsNull) {
  berth::v1::ContainerCheckpoint checkpoint;
  checkpoint.set_container_id("c");
  for (const auto& [bytes, base64] : std::initializer_list<std::pair<std::string, std::string>>{
           {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}}) {
    checkpoint.set_checkpoint(bytes);
    EXPECT_EQ(printJson(checkpoint), R"({"container_id":"c","checkpoint":")" + base64 + R"("})");
  }
  mesos::v1::Value::Scalar scalar;
  scalar.set_value(std::numeric_limits<double>::infinity());
  EXPECT_EQ(printJson(scalar), R"({"value":null})");
}

}  // namespace
}  // namespace berth::api
