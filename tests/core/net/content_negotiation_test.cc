#include "core/net/content_negotiation.h"

#include <gtest/gtest.h>

namespace berth::net {
namespace {

Request call(std::optional<std::string> content_type, std::optional<std::string> accept) {
  Request r;
  r.method = "POST";
  r.path = "/api/v1";
  if (content_type) r.headers.add("Content-Type", *content_type);
  if (accept) r.headers.add("Accept", *accept);
  return r;
}

int statusOf(const std::variant<ApiMediaTypes, Response>& result) {
  return std::holds_alternative<Response>(result) ? std::get<Response>(result).status : 200;
}

TEST(ContentNegotiationTest, MissingContentTypeIs400) {
  auto result = negotiateApiCall(call(std::nullopt, std::nullopt));
  ASSERT_EQ(statusOf(result), 400);
  EXPECT_EQ(std::get<Response>(result).body, "Expecting 'Content-Type' to be present");
}

TEST(ContentNegotiationTest, UnsupportedContentTypeIs415) {
  for (const char* type : {"text/plain", "application/xml", "application/jsonx", ""}) {
    auto result = negotiateApiCall(call(type, std::nullopt));
    ASSERT_EQ(statusOf(result), 415) << type;
    EXPECT_EQ(std::get<Response>(result).body,
              "Expecting 'Content-Type' of application/json or application/x-protobuf");
  }
}

TEST(ContentNegotiationTest, UnacceptableAcceptIs406) {
  for (const char* accept :
       {"text/html", "application/json;q=0, application/x-protobuf;q=0", "*/*;q=0", "text/*"}) {
    auto result = negotiateApiCall(call("application/json", accept));
    ASSERT_EQ(statusOf(result), 406) << accept;
    EXPECT_EQ(std::get<Response>(result).body,
              "Expecting 'Accept' to allow application/json or application/x-protobuf");
  }
}

TEST(ContentNegotiationTest, ChoosesTypes) {
  struct Case {
    const char* content_type;
    std::optional<std::string> accept;
    ContentType request;
    ContentType response;
  };
  const Case cases[] = {
      {"application/json", std::nullopt, ContentType::kJson, ContentType::kJson},
      {"application/x-protobuf", std::nullopt, ContentType::kProtobuf, ContentType::kJson},
      {"application/json; charset=utf-8", "application/x-protobuf", ContentType::kJson,
       ContentType::kProtobuf},
      {"Application/JSON", "*/*", ContentType::kJson, ContentType::kJson},
      {"application/json", "application/*", ContentType::kJson, ContentType::kJson},
      {"application/json", "application/json;q=0.2, application/x-protobuf;q=0.8",
       ContentType::kJson, ContentType::kProtobuf},
      {"application/json", "*/*, application/json;q=0", ContentType::kJson, ContentType::kProtobuf},
  };
  for (const Case& c : cases) {
    auto result = negotiateApiCall(call(c.content_type, c.accept));
    ASSERT_TRUE(std::holds_alternative<ApiMediaTypes>(result))
        << c.content_type << " / " << c.accept.value_or("(none)");
    EXPECT_EQ(std::get<ApiMediaTypes>(result).request, c.request) << c.content_type;
    EXPECT_EQ(std::get<ApiMediaTypes>(result).response, c.response) << c.accept.value_or("(none)");
  }
}

TEST(ContentNegotiationTest, AcceptQualityUsesMostSpecificRange) {
  Headers h;
  h.add("Accept", "text/*;q=0.3, text/html;q=0.7, */*;q=0.5");
  EXPECT_DOUBLE_EQ(acceptQuality(h, "text/html"), 0.7);
  EXPECT_DOUBLE_EQ(acceptQuality(h, "text/plain"), 0.3);
  EXPECT_DOUBLE_EQ(acceptQuality(h, "image/png"), 0.5);
  EXPECT_DOUBLE_EQ(acceptQuality(Headers(), "image/png"), 1.0);
  Headers split;
  split.add("Accept", "application/x-protobuf");
  split.add("accept", "application/json;q=0.1");
  EXPECT_DOUBLE_EQ(acceptQuality(split, "application/json"), 0.1);
}

}  // namespace
}  // namespace berth::net
