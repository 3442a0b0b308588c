// The agent's HTTP API through a real server and client: the Mesos v1 request and response
// shapes, both media types, and Mesos's error answers.

#include "core/agent/http/agent_api.h"

#include <gtest/gtest.h>

#include "core/agent/agent_resources.h"
#include "core/api/codec.h"
#include "core/common/build_info.h"
#include "core/net/http_client.h"
#include "mesos/v1/agent/agent.pb.h"

namespace berth::agent {
namespace {

using namespace std::chrono_literals;

class AgentApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto flags = AgentFlags::parse({"--work_dir=/tmp/w", "--runtime_dir=/tmp/r"}, Environment({}));
    ASSERT_TRUE(flags);
    auto resources = parseResources("cpus:2;ports:[31000-31001]");
    ASSERT_TRUE(resources);
    api_ = std::make_unique<AgentApi>(*flags, nullptr, *resources);
    api_->markRecovered();
    server_ = std::make_unique<net::HttpServer>(net::ServerOptions{}, nullptr);
    api_->install(*server_);
    ASSERT_TRUE(server_->start());
    auto client = net::HttpClient::connect("http://127.0.0.1:" + std::to_string(server_->port()),
                                           {.timeout = 5s});
    ASSERT_TRUE(client);
    client_ = std::move(*client);
  }

  net::Response call(const std::string& body, const std::string& content_type = "application/json",
                     const std::string& accept = "") {
    net::Request request;
    request.method = "POST";
    request.target = "/api/v1";
    request.body = body;
    if (!content_type.empty()) request.headers.set("Content-Type", content_type);
    if (!accept.empty()) request.headers.set("Accept", accept);
    auto response = client_->send(request);
    EXPECT_TRUE(response) << response.error().message();
    return response ? *response : net::Response{};
  }

  std::unique_ptr<AgentApi> api_;
  std::unique_ptr<net::HttpServer> server_;
  std::unique_ptr<net::HttpClient> client_;
};

TEST_F(AgentApiTest, GetHealthInJson) {
  auto response = call(R"({"type": "GET_HEALTH"})");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/json");
  EXPECT_EQ(response.body, R"({"type":"GET_HEALTH","get_health":{"healthy":true}})");
}

TEST_F(AgentApiTest, GetAgentReportsTheResources) {
  auto response = call(R"({"type": "GET_AGENT"})");
  EXPECT_EQ(response.status, 200) << response.body;
  EXPECT_NE(
      response.body.find(R"("resources":[{"name":"cpus","type":"SCALAR","scalar":{"value":2}},)"
                         R"({"name":"ports","type":"RANGES","ranges":{"range":[{"begin":31000,)"
                         R"("end":31001}]}}])"),
      std::string::npos)
      << response.body;
  EXPECT_NE(response.body.find(R"("port":5051)"), std::string::npos) << response.body;
}

TEST_F(AgentApiTest, GetVersionInProtobuf) {
  mesos::v1::agent::Call call_message;
  call_message.set_type(mesos::v1::agent::Call::GET_VERSION);
  auto response =
      call(call_message.SerializeAsString(), "application/x-protobuf", "application/x-protobuf");
  EXPECT_EQ(response.status, 200);
  EXPECT_EQ(response.headers.get("Content-Type"), "application/x-protobuf");
  mesos::v1::agent::Response decoded;
  ASSERT_TRUE(decoded.ParseFromString(response.body));
  EXPECT_EQ(decoded.type(), mesos::v1::agent::Response::GET_VERSION);
  EXPECT_EQ(decoded.get_version().version_info().version(), BERTH_VERSION);
}

TEST_F(AgentApiTest, GetFlagsListsEffectiveValues) {
  auto response = call(R"({"type": "GET_FLAGS"})");
  ASSERT_EQ(response.status, 200);
  mesos::v1::agent::Response decoded;
  ASSERT_TRUE(api::decode(net::ContentType::kJson, response.body, decoded));
  std::map<std::string, std::string> flags;
  for (const auto& f : decoded.get_flags().flags())
    flags[f.name()] = f.value();
  EXPECT_EQ(flags["work_dir"], "/tmp/w");
  EXPECT_EQ(flags["runtime_dir"], "/tmp/r");
  EXPECT_EQ(flags["port"], "5051");
}

TEST_F(AgentApiTest, MesosErrorAnswers) {
  EXPECT_EQ(call(R"({"type":"GET_HEALTH"})", "").status, 400);
  EXPECT_EQ(call(R"({"type":"GET_HEALTH"})", "text/plain").status, 415);
  EXPECT_EQ(call(R"({"type":"GET_HEALTH"})", "application/json", "text/html").status, 406);

  auto missing_type = call("{}");
  EXPECT_EQ(missing_type.status, 400);
  EXPECT_EQ(missing_type.body, "Failed to validate agent::Call: Expecting 'type' to be present");

  auto unknown_field = call(R"({"type":"GET_HEALTH","get_helth":{}})");
  EXPECT_EQ(unknown_field.status, 400);
  EXPECT_NE(unknown_field.body.find("Failed to convert JSON into Call protobuf: get_helth"),
            std::string::npos)
      << unknown_field.body;

  auto not_json = call("{type: GET_HEALTH");
  EXPECT_EQ(not_json.status, 400);
  EXPECT_TRUE(not_json.body.starts_with("Failed to convert JSON into Call protobuf: "));

  auto bad_protobuf = call("\xff\xff\xff", "application/x-protobuf");
  EXPECT_EQ(bad_protobuf.status, 400);
  EXPECT_TRUE(bad_protobuf.body.starts_with("Failed to parse body into Call protobuf: "));

  auto unimplemented = call(R"({"type":"GET_STATE"})");
  EXPECT_EQ(unimplemented.status, 501);
  EXPECT_EQ(unimplemented.body, "GET_STATE is not supported by this agent");
}

TEST(AgentApiRecoveryTest, ApiAnswers503UntilRecovered) {
  auto flags = AgentFlags::parse({"--work_dir=/tmp/w"}, Environment({}));
  ASSERT_TRUE(flags);
  AgentApi api(*flags);
  net::HttpServer server(net::ServerOptions{}, nullptr);
  api.install(server);
  ASSERT_TRUE(server.start());
  auto client = net::HttpClient::connect("http://127.0.0.1:" + std::to_string(server.port()), {});
  ASSERT_TRUE(client);
  net::Request request;
  request.method = "POST";
  request.target = "/api/v1";
  request.body = R"({"type":"GET_HEALTH"})";
  request.headers.set("Content-Type", "application/json");
  auto before = (*client)->send(request);
  ASSERT_TRUE(before);
  EXPECT_EQ(before->status, 503);
  EXPECT_EQ(before->body, "Agent has not finished recovery");
  api.markRecovered();
  auto after = (*client)->send(request);
  ASSERT_TRUE(after);
  EXPECT_EQ(after->status, 200);
}

TEST_F(AgentApiTest, OnlyPostOnTheApi) {
  net::Request get;
  get.method = "GET";
  get.target = "/api/v1";
  auto response = client_->send(get);
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(response->headers.get("Allow"), "POST");
}

TEST_F(AgentApiTest, HealthAndVersionEndpoints) {
  net::Request health;
  health.method = "GET";
  health.target = "/health";
  auto h = client_->send(health);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->status, 200);

  net::Request version;
  version.method = "GET";
  version.target = "/version";
  auto v = client_->send(version);
  ASSERT_TRUE(v);
  EXPECT_EQ(v->status, 200);
  EXPECT_EQ(v->body, std::string(R"({"version":")") + BERTH_VERSION + "\"}");
}

}  // namespace
}  // namespace berth::agent
