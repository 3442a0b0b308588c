#include "core/net/content_negotiation.h"

#include <cstdlib>
#include <string>

namespace berth::net {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// The media type of a Content-Type value without its parameters.
std::string_view essence(std::string_view value) {
  return trim(value.substr(0, value.find(';')));
}

// 3 for an exact match, 2 for "type/*", 1 for "*/*", 0 for no match.
int specificity(std::string_view range, std::string_view media_type) {
  if (range == "*/*") return 1;
  const size_t slash = media_type.find('/');
  if (range.size() == slash + 2 && range.ends_with("/*") &&
      equalsIgnoreCase(range.substr(0, slash), media_type.substr(0, slash))) {
    return 2;
  }
  return equalsIgnoreCase(range, media_type) ? 3 : 0;
}

}  // namespace

std::string_view mediaTypeOf(ContentType type) {
  return type == ContentType::kJson ? kApplicationJson : kApplicationProtobuf;
}

double acceptQuality(const Headers& headers, std::string_view media_type, std::string_view header) {
  bool present = false;
  int best_specificity = 0;
  double quality = 0;
  for (const auto& [name, value] : headers) {
    if (!equalsIgnoreCase(name, header)) continue;
    present = true;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      std::string_view item = rest.substr(0, comma);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);

      const int s = specificity(essence(item), media_type);
      if (s == 0 || s < best_specificity) continue;
      double q = 1;
      std::string_view params = item.substr(std::min(item.size(), item.find(';')));
      while (!params.empty()) {
        params.remove_prefix(1);  // ';'
        const size_t next = params.find(';');
        std::string_view param = trim(params.substr(0, next));
        params = next == std::string_view::npos ? std::string_view() : params.substr(next);
        if (param.size() > 2 && (param[0] == 'q' || param[0] == 'Q') && param[1] == '=') {
          q = std::strtod(std::string(param.substr(2)).c_str(), nullptr);
        }
      }
      best_specificity = s;
      quality = q;
    }
  }
  return present ? quality : 1;
}

std::variant<ApiMediaTypes, Response> negotiateApiCall(const Request& request) {
  const auto content_type = request.headers.get("Content-Type");
  if (!content_type) return Response::text(400, "Expecting 'Content-Type' to be present");

  ApiMediaTypes types{};
  const std::string_view type = essence(*content_type);
  if (equalsIgnoreCase(type, kApplicationJson)) {
    types.request = ContentType::kJson;
  } else if (equalsIgnoreCase(type, kApplicationProtobuf)) {
    types.request = ContentType::kProtobuf;
  } else {
    return Response::text(415, "Expecting 'Content-Type' of " + std::string(kApplicationJson) +
                                   " or " + std::string(kApplicationProtobuf));
  }

  const double json = acceptQuality(request.headers, kApplicationJson);
  const double protobuf = acceptQuality(request.headers, kApplicationProtobuf);
  if (json <= 0 && protobuf <= 0) {
    return Response::text(406, "Expecting 'Accept' to allow " + std::string(kApplicationJson) +
                                   " or " + std::string(kApplicationProtobuf));
  }
  types.response = json >= protobuf ? ContentType::kJson : ContentType::kProtobuf;
  return types;
}

}  // namespace berth::net
