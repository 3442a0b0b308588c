#include "core/agent/http/debug_endpoints.h"

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>

#include <ctime>

namespace berth::agent {

namespace {

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const std::time_t seconds = std::chrono::system_clock::to_time_t(t);
  const auto micros =
      std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count() % 1000000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof(buffer), "%Y-%m-%dT%H:%M:%S", &utc);
  char result[80];
  std::snprintf(result, sizeof(result), "%s.%06ldZ", buffer, static_cast<long>(micros));
  return result;
}

}  // namespace

std::string containerizerDebugJson(const OperationTracker& tracker) {
  using google::protobuf::Struct;
  using google::protobuf::Value;
  const auto now = OperationTracker::Clock::now();
  const auto wall_now = std::chrono::system_clock::now();

  Struct root;
  auto* pending = (*root.mutable_fields())["pending"].mutable_list_value();
  for (const auto& entry : tracker.snapshot()) {
    Struct op;
    auto& fields = *op.mutable_fields();
    fields["operation"].set_string_value(entry.plugin + "::" + entry.hook);
    auto& args = *fields["args"].mutable_struct_value()->mutable_fields();
    if (!entry.container_id.empty()) args["containerId"].set_string_value(entry.container_id);
    fields["id"].set_number_value(static_cast<double>(entry.id));
    fields["startTime"].set_string_value(rfc3339(entry.started_wall));
    fields["ageSeconds"].set_number_value(
        std::chrono::duration<double>(now - entry.started).count());
    if (entry.deadline != OperationTracker::Clock::time_point::max()) {
      const auto left =
          std::chrono::duration_cast<std::chrono::system_clock::duration>(entry.deadline - now);
      fields["deadline"].set_string_value(rfc3339(wall_now + left));
    }
    fields["state"].set_string_value(entry.abandoned          ? "abandoned"
                                     : entry.cancel_requested ? "cancelling"
                                                              : "pending");
    *pending->add_values()->mutable_struct_value() = std::move(op);
  }
  std::string json;
  (void)google::protobuf::util::MessageToJsonString(root, &json);
  return json;
}

void installDebugEndpoints(net::HttpServer& server, PluginHost& host) {
  server.route("/containerizer/debug", [&host](net::Request request, net::Responder responder) {
    if (request.method != "GET") {
      return responder.respond(net::Response::methodNotAllowed({"GET"}, request.method));
    }
    responder.respond(
        net::Response::withBody(200, "application/json", containerizerDebugJson(host.tracker())));
  });
  server.route("/metrics", [&host](net::Request request, net::Responder responder) {
    if (request.method != "GET") {
      return responder.respond(net::Response::methodNotAllowed({"GET"}, request.method));
    }
    responder.respond(
        net::Response::withBody(200, "text/plain; version=0.0.4", host.metrics().prometheus()));
  });
}

}  // namespace berth::agent
