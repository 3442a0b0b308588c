#include "core/api/call_endpoint.h"

#include <google/protobuf/message.h>

#include "core/api/codec.h"

namespace berth::api {

void CallResponder::ok(const google::protobuf::Message& response) {
  responder_.respond(net::Response::withBody(200, std::string(net::mediaTypeOf(response_type_)),
                                             encode(response_type_, response)));
}

void CallResponder::okEmpty() {
  responder_.respond(net::Response::text(200));
}

void CallResponder::accepted() {
  responder_.respond(net::Response::text(202));
}

void CallResponder::fail(int status, std::string message) {
  responder_.respond(net::Response::text(status, std::move(message)));
}

net::Handler anyCallEndpoint(std::string call_name,
                             std::function<std::unique_ptr<google::protobuf::Message>()> make_call,
                             AnyCallHandler handler) {
  return [call_name = std::move(call_name), make_call = std::move(make_call),
          handler = std::move(handler)](net::Request request, net::Responder responder) {
    if (request.method != "POST") {
      return responder.respond(net::Response::methodNotAllowed({"POST"}, request.method));
    }
    auto negotiated = net::negotiateApiCall(request);
    if (auto* rejection = std::get_if<net::Response>(&negotiated)) {
      return responder.respond(std::move(*rejection));
    }
    const auto types = std::get<net::ApiMediaTypes>(negotiated);

    std::unique_ptr<google::protobuf::Message> call = make_call();
    if (Status decoded = decode(types.request, request.body, *call); !decoded) {
      const std::string what = types.request == net::ContentType::kJson
                                   ? "Failed to convert JSON into Call protobuf: "
                                   : "Failed to parse body into Call protobuf: ";
      return responder.respond(net::Response::text(400, what + decoded.error().message()));
    }
    handler(std::move(call), CallResponder(std::move(responder), types.response));
  };
}

}  // namespace berth::api
