// Protobuf messages to and from HTTP bodies, in the media type negotiated for a call.
//
// JSON is read with protobuf's own JSON mapping (field names in snake_case or
// lowerCamelCase, integers as numbers or strings) and printed as Mesos prints it
// (json_printer.h: snake_case names, integers as numbers).
// Unlike Mesos, an unknown field is an error rather than silently ignored: a misspelt
// field would otherwise be dropped without a word.
#pragma once

#include <string>
#include <string_view>

#include "core/common/result.h"
#include "core/net/content_negotiation.h"

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace berth::api {

// Decodes `body` into `message` (cleared first). The error names what is wrong: the JSON
// syntax error, the unknown field or bad enum value, or the required fields missing.
Status decode(net::ContentType type, std::string_view body, google::protobuf::Message& message);

// Encodes `message`. All required fields must be set.
std::string encode(net::ContentType type, const google::protobuf::Message& message);

}  // namespace berth::api
