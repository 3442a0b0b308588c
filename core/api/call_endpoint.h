// The shared front of every Mesos v1 call endpoint (`POST /api/v1` on agent and master):
// method check, content negotiation, decoding of the call, and encoding of the answer, with
// Mesos's status codes and texts. The dispatch function sees a decoded call only.
//
//   server.route("/api/v1", api::callEndpoint<mesos::v1::agent::Call>(
//       "agent::Call", [&](mesos::v1::agent::Call call, api::CallResponder responder) {
//         ...
//         responder.ok(response);
//       }));
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "core/net/content_negotiation.h"
#include "core/net/http_server.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace berth::api {

// Answers one decoded call in the media type the client accepts. Like net::Responder,
// exactly one answer counts and it may come later from any thread.
class CallResponder {
 public:
  CallResponder(net::Responder responder, net::ContentType response_type)
      : responder_(std::move(responder)), response_type_(response_type) {}

  // 200 with the encoded message.
  void ok(const google::protobuf::Message& response);
  // 200 with no body: how Mesos answers calls that return nothing (KILL_CONTAINER, ...).
  void okEmpty();
  // 202 with no body.
  void accepted();
  // An error status with a text/plain message.
  void fail(int status, std::string message);

  net::ContentType responseType() const { return response_type_; }
  // For streaming answers (RecordIO event streams).
  net::Responder& raw() { return responder_; }

 private:
  net::Responder responder_;
  net::ContentType response_type_;
};

using AnyCallHandler =
    std::function<void(std::unique_ptr<google::protobuf::Message> call, CallResponder responder)>;

// The untyped form of callEndpoint(). `call_name` ("agent::Call") appears in error texts,
// as in Mesos's "Failed to convert JSON into Call protobuf".
net::Handler anyCallEndpoint(std::string call_name,
                             std::function<std::unique_ptr<google::protobuf::Message>()> make_call,
                             AnyCallHandler handler);

// Serves calls of protobuf type `Call`.
template <class Call>
net::Handler callEndpoint(std::string call_name,
                          std::function<void(Call call, CallResponder responder)> handler) {
  return anyCallEndpoint(
      std::move(call_name), [] { return std::make_unique<Call>(); },
      [handler = std::move(handler)](std::unique_ptr<google::protobuf::Message> call,
                                     CallResponder responder) {
        handler(std::move(static_cast<Call&>(*call)), std::move(responder));
      });
}

}  // namespace berth::api
