#include "core/api/codec.h"

#include <glog/logging.h>
#include <google/protobuf/message.h>
#include <google/protobuf/util/json_util.h>

#include "core/api/json_printer.h"

namespace berth::api {

namespace {

Status requireInitialized(const google::protobuf::Message& message) {
  if (message.IsInitialized()) return okStatus();
  return Error(ErrorCode::kInvalidArgument,
               "missing required fields: " + message.InitializationErrorString());
}

}  // namespace

Status decode(net::ContentType type, std::string_view body, google::protobuf::Message& message) {
  message.Clear();
  if (type == net::ContentType::kProtobuf) {
    if (!message.ParsePartialFromArray(body.data(), static_cast<int>(body.size()))) {
      return Error(ErrorCode::kInvalidArgument,
                   "not a valid " + message.GetTypeName() + " in protobuf wire format");
    }
    return requireInitialized(message);
  }
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(body.data(), body.size()), &message, options);
  if (!status.ok()) {
    return Error(ErrorCode::kInvalidArgument, std::string(status.message()));
  }
  return requireInitialized(message);
}

std::string encode(net::ContentType type, const google::protobuf::Message& message) {
  if (type == net::ContentType::kProtobuf) return message.SerializeAsString();
  return printJson(message);
}

}  // namespace berth::api
