#include "core/net/http_message.h"

#include <algorithm>
#include <cctype>

namespace berth::net {

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [](unsigned char x, unsigned char y) {
           return std::tolower(x) == std::tolower(y);
         });
}

void Headers::add(std::string name, std::string value) {
  fields_.emplace_back(std::move(name), std::move(value));
}

void Headers::set(std::string name, std::string value) {
  remove(name);
  add(std::move(name), std::move(value));
}

void Headers::remove(std::string_view name) {
  std::erase_if(fields_, [&](const Field& f) { return equalsIgnoreCase(f.first, name); });
}

std::optional<std::string_view> Headers::get(std::string_view name) const {
  for (const Field& f : fields_) {
    if (equalsIgnoreCase(f.first, name)) return std::string_view(f.second);
  }
  return std::nullopt;
}

Response Response::text(int status, std::string body) {
  Response r;
  r.status = status;
  if (!body.empty()) r.headers.set("Content-Type", "text/plain; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response Response::withBody(int status, std::string content_type, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", std::move(content_type));
  r.body = std::move(body);
  return r;
}

Response Response::methodNotAllowed(std::initializer_list<std::string_view> allowed,
                                    std::string_view received) {
  std::string list;
  for (std::string_view method : allowed) {
    if (!list.empty()) list += ", ";
    list += method;
  }
  std::string quoted;
  for (std::string_view method : allowed) {
    quoted += (quoted.empty() ? "'" : ", '") + std::string(method) + "'";
  }
  Response r = text(405, "405 Method Not Allowed. Expecting one of { " + quoted +
                             " }, but received '" + std::string(received) + "'.");
  r.headers.set("Allow", list);
  return r;
}

}  // namespace berth::net
