// HTTP requests and responses as plain values, free of Asio and Beast, so that handlers
// and their tests compile without the heavy networking headers.
#pragma once

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace berth::net {

// Header fields in arrival order. Names compare case-insensitively; duplicates are kept.
class Headers {
 public:
  using Field = std::pair<std::string, std::string>;

  // Appends a field, keeping any earlier field of the same name.
  void add(std::string name, std::string value);
  // Replaces every field of that name with one field.
  void set(std::string name, std::string value);
  void remove(std::string_view name);

  // The value of the first field with that name.
  std::optional<std::string_view> get(std::string_view name) const;
  bool contains(std::string_view name) const { return get(name).has_value(); }

  std::vector<Field>::const_iterator begin() const { return fields_.begin(); }
  std::vector<Field>::const_iterator end() const { return fields_.end(); }
  size_t size() const { return fields_.size(); }

 private:
  std::vector<Field> fields_;
};

bool equalsIgnoreCase(std::string_view a, std::string_view b);

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // as sent: "/api/v1?x=1"
  std::string path;    // target up to '?': "/api/v1"
  std::string query;   // after '?', without it; empty if none
  Headers headers;
  std::string body;
  bool keep_alive = true;  // what the client asked for
  std::string peer;        // "ip:port" of the client (server side only)
  bool secure = false;     // arrived over TLS (server side only)
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

  // A response with a text/plain body (omitted when empty).
  static Response text(int status, std::string body = {});
  // A response with an already-encoded body of the given media type.
  static Response withBody(int status, std::string content_type, std::string body);
  // 405 with the Allow header and Mesos's text: "405 Method Not Allowed. Expecting one of
  // { 'POST' }, but received 'GET'."
  static Response methodNotAllowed(std::initializer_list<std::string_view> allowed,
                                   std::string_view received);
};

}  // namespace berth::net
