// Media types and the Mesos v1 rules for choosing them.
//
// For a `POST /api/v1` call (operator, agent), as Mesos answers them:
//   no Content-Type                      -> 400 "Expecting 'Content-Type' to be present"
//   Content-Type not JSON or protobuf    -> 415
//   Accept allowing neither              -> 406
// Unlike Mesos, media type parameters ("application/json; charset=utf-8") and letter case
// are ignored, and among acceptable types the higher q-value wins (JSON on a tie).
#pragma once

#include <string_view>
#include <variant>

#include "core/net/http_message.h"

namespace berth::net {

inline constexpr std::string_view kApplicationJson = "application/json";
inline constexpr std::string_view kApplicationProtobuf = "application/x-protobuf";
inline constexpr std::string_view kApplicationRecordio = "application/recordio";

enum class ContentType { kJson, kProtobuf };

std::string_view mediaTypeOf(ContentType type);

// The q-value (0 to 1) the header named `header` gives `media_type`, following RFC 7231:
// the most specific matching range wins ("type/subtype" over "type/*" over "*/*"), and
// q=0 means not acceptable. A missing header accepts everything (1).
double acceptQuality(const Headers& headers, std::string_view media_type,
                     std::string_view header = "Accept");

struct ApiMediaTypes {
  ContentType request;   // how to decode the body
  ContentType response;  // how to encode the answer
};

// Applies the rules above. On failure returns the response to send.
std::variant<ApiMediaTypes, Response> negotiateApiCall(const Request& request);

}  // namespace berth::net
