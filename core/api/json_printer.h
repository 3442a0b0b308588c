// Protobuf messages as JSON the way Mesos prints them (stout's JSON::protobuf): field
// names as in the .proto, enums by name, and every integer as a JSON number.
//
// protobuf's own JSON mapping prints 64-bit integers as strings ("31000"), which Mesos
// clients that read numbers (Go's encoding/json into uint64, for one) reject. Parsing
// needs no counterpart: protobuf's parser accepts numbers and strings alike.
#pragma once

#include <string>

namespace google::protobuf {
class Message;
}  // namespace google::protobuf

namespace berth::api {

// Set fields only, as proto2 has them; bytes in base64; a double that is not finite
// (which JSON cannot hold) as null.
std::string printJson(const google::protobuf::Message& message);

}  // namespace berth::api
