// The plain-HTTP behaviour of HttpServer, driven by HttpClient and by raw sockets for the
// inputs no well-behaved client sends.

#include "core/net/http_server.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "core/net/http_client.h"
#include "core/net/recordio.h"
#include "tests/support/raw_connection.h"

namespace berth::net {
namespace {

using namespace std::chrono_literals;
using testing::RawConnection;

Request get(std::string target) {
  Request r;
  r.method = "GET";
  r.target = std::move(target);
  return r;
}

Request post(std::string target, std::string body) {
  Request r;
  r.method = "POST";
  r.target = std::move(target);
  r.body = std::move(body);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void start(ServerOptions options = {}) {
    server_ = std::make_unique<HttpServer>(options, nullptr);
    server_->route("/echo", [this](Request request, Responder responder) {
      {
        std::lock_guard lock(mutex_);
        peers_.insert(request.peer);
      }
      Response response = Response::text(200, request.method + " " + request.body);
      response.headers.set("X-Query", request.query);
      responder.respond(std::move(response));
    });
    for (auto& [path, handler] : extra_routes_)
      server_->route(path, handler);
    ASSERT_TRUE(server_->start());
    ASSERT_NE(server_->port(), 0);
  }

  std::unique_ptr<HttpClient> client(std::chrono::milliseconds timeout = 5s) {
    auto c = HttpClient::connect(url(), {.timeout = timeout});
    EXPECT_TRUE(c) << c.error().message();
    return c ? std::move(*c) : nullptr;
  }

  std::string url() const { return "http://127.0.0.1:" + std::to_string(server_->port()); }

  std::map<std::string, Handler> extra_routes_;
  std::unique_ptr<HttpServer> server_;
  std::mutex mutex_;
  std::set<std::string> peers_;
};

TEST_F(HttpServerTest, ServesManyRequestsOnOneKeepAliveConnection) {
  start();
  auto c = client();
  for (int i = 0; i < 5; ++i) {
    auto response = c->send(post("/echo?i=" + std::to_string(i), "body" + std::to_string(i)));
    ASSERT_TRUE(response) << response.error().message();
    EXPECT_EQ(response->status, 200);
    EXPECT_EQ(response->body, "POST body" + std::to_string(i));
    EXPECT_EQ(response->headers.get("X-Query"), "i=" + std::to_string(i));
  }
  std::lock_guard lock(mutex_);
  EXPECT_EQ(peers_.size(), 1u) << "every request should arrive on the same connection";
}

TEST_F(HttpServerTest, UnknownPathIs404) {
  start();
  auto response = client()->send(get("/nowhere"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 404);
  EXPECT_EQ(response->body, "No endpoint at '/nowhere'");
}

TEST_F(HttpServerTest, HandlerMayAnswerLaterFromAnotherThread) {
  std::promise<Responder> parked;
  extra_routes_["/later"] = [&](Request, Responder responder) {
    parked.set_value(std::move(responder));
  };
  start();
  std::thread answerer([&] {
    Responder responder = parked.get_future().get();
    std::this_thread::sleep_for(50ms);
    responder.respond(Response::text(202, "done"));
  });
  auto response = client()->send(get("/later"));
  answerer.join();
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 202);
  EXPECT_EQ(response->body, "done");
}

TEST_F(HttpServerTest, DroppedResponderAnswers500) {
  extra_routes_["/drop"] = [](Request, Responder) {};
  start();
  auto response = client()->send(get("/drop"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
}

TEST_F(HttpServerTest, ThrowingHandlerAnswers500AndServerSurvives) {
  extra_routes_["/throw"] = [](Request, Responder) { throw std::runtime_error("boom"); };
  start();
  auto c = client();
  auto response = c->send(get("/throw"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->status, 500);
  auto next = c->send(post("/echo", "still here"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "POST still here");
}

TEST_F(HttpServerTest, SecondAnswerIsIgnored) {
  extra_routes_["/twice"] = [](Request, Responder responder) {
    responder.respond(Response::text(200, "first"));
    responder.respond(Response::text(500, "second"));
    EXPECT_TRUE(responder.startStream(200, {})->closed());
  };
  start();
  auto c = client();
  auto response = c->send(get("/twice"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "first");
  auto next = c->send(post("/echo", "x"));
  ASSERT_TRUE(next);
  EXPECT_EQ(next->body, "POST x");
}

TEST_F(HttpServerTest, StreamsChunksAsTheyAreWritten) {
  // The producer writes the next record only after the client has seen the previous one,
  // so this passes only if chunks travel as they are written, not buffered until close.
  std::mutex mutex;
  std::condition_variable cv;
  int seen = 0;
  std::shared_ptr<ResponseStream> stream;
  std::thread producer;
  extra_routes_["/events"] = [&](Request, Responder responder) {
    Headers headers;
    headers.set("Content-Type", "application/recordio");
    stream = responder.startStream(200, headers);
    producer = std::thread([&] {
      for (int i = 0; i < 3; ++i) {
        EXPECT_TRUE(stream->write(encodeRecord("event " + std::to_string(i))));
        std::unique_lock lock(mutex);
        EXPECT_TRUE(cv.wait_for(lock, 5s, [&] { return seen > i; })) << "record " << i;
      }
      stream->close();
    });
  };
  start();

  RecordIoDecoder decoder;
  std::vector<std::string> records;
  auto response = client()->stream(get("/events"), [&](std::string_view data) {
    auto decoded = decoder.decode(data);
    EXPECT_TRUE(decoded);
    std::lock_guard lock(mutex);
    for (auto& r : *decoded)
      records.push_back(std::move(r));
    seen = static_cast<int>(records.size());
    cv.notify_all();
    return true;
  });
  producer.join();
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->headers.get("Content-Type"), "application/recordio");
  EXPECT_EQ(response->headers.get("Transfer-Encoding"), "chunked");
  EXPECT_EQ(records, (std::vector<std::string>{"event 0", "event 1", "event 2"}));
  EXPECT_TRUE(decoder.atBoundary());
}

TEST_F(HttpServerTest, StreamNoticesClientGoingAway) {
  std::promise<std::shared_ptr<ResponseStream>> opened;
  extra_routes_["/events"] = [&](Request, Responder responder) {
    auto stream = responder.startStream(200, {});
    stream->write("hello");
    opened.set_value(stream);
  };
  start();
  auto response = client()->stream(get("/events"), [](std::string_view) { return false; });
  ASSERT_TRUE(response);
  auto stream = opened.get_future().get();
  std::promise<void> closed;
  stream->onClose([&] { closed.set_value(); });
  ASSERT_EQ(closed.get_future().wait_for(5s), std::future_status::ready);
  EXPECT_TRUE(stream->closed());
  EXPECT_FALSE(stream->write("nobody listens"));
}

TEST_F(HttpServerTest, OversizedHeadersAre431) {
  ServerOptions options;
  options.max_header_bytes = 1024;
  start(options);
  RawConnection raw(server_->port());
  raw.send("GET /echo HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  const std::string reply = raw.readUntilClosed(5s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 431 ")) << reply;
  EXPECT_NE(reply.find("exceed 1024 bytes"), std::string::npos) << reply;
  EXPECT_TRUE(raw.closedByPeer());
}

TEST_F(HttpServerTest, OversizedBodyIs413BeforeItIsSent) {
  ServerOptions options;
  options.max_body_bytes = 100;
  start(options);
  RawConnection raw(server_->port());
  raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\n");
  const std::string reply = raw.readUntilClosed(5s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 413 ")) << reply;
  EXPECT_NE(reply.find("exceeds 100 bytes"), std::string::npos) << reply;
}

TEST_F(HttpServerTest, MalformedRequestIs400) {
  start();
  for (const char* garbage : {"GARBAGE\r\n\r\n", "GET / HTTP/9.Z\r\n\r\n",
                              "GET /echo HTTP/1.1\r\nBad Header Line\r\n\r\n"}) {
    RawConnection raw(server_->port());
    raw.send(garbage);
    const std::string reply = raw.readUntilClosed(5s);
    EXPECT_TRUE(reply.starts_with("HTTP/1.1 400 ")) << garbage << " -> " << reply;
    EXPECT_NE(reply.find("Malformed HTTP request"), std::string::npos) << reply;
  }
  auto response = client()->send(post("/echo", "ok"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST ok");
}

TEST_F(HttpServerTest, SilentAndSlowClientsAreCutOffWhileOthersAreServed) {
  ServerOptions options;
  options.read_timeout = 300ms;
  start(options);
  RawConnection silent(server_->port());
  RawConnection slow(server_->port());
  slow.send("GET /echo HTTP/1.1\r\nHo");

  auto response = client()->send(post("/echo", "served"));
  ASSERT_TRUE(response);
  EXPECT_EQ(response->body, "POST served");

  const auto started = std::chrono::steady_clock::now();
  EXPECT_EQ(silent.readUntilClosed(5s), "");
  EXPECT_TRUE(silent.closedByPeer());
  slow.readUntilClosed(5s);
  EXPECT_TRUE(slow.closedByPeer());
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);
}

TEST_F(HttpServerTest, AnswersExpect100Continue) {
  start();
  RawConnection raw(server_->port());
  raw.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  const std::string interim = raw.readUntil("\r\n\r\n", 5s);
  EXPECT_TRUE(interim.starts_with("HTTP/1.1 100 Continue\r\n")) << interim;
  raw.send("hello");
  const std::string reply = raw.readUntil("POST hello", 5s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
}

TEST_F(HttpServerTest, AcceptsChunkedRequestBodies) {
  start();
  RawConnection raw(server_->port());
  raw.send(
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  const std::string reply = raw.readUntilClosed(5s);
  EXPECT_TRUE(reply.starts_with("HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_NE(reply.find("POST abcde"), std::string::npos) << reply;
  EXPECT_NE(reply.find("Connection: close"), std::string::npos) << reply;
}

TEST_F(HttpServerTest, ConcurrentClientsOnSeveralThreads) {
  ServerOptions options;
  options.threads = 2;
  start(options);
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      auto c = client();
      for (int i = 0; i < 50; ++i) {
        const std::string body = std::to_string(t) + "-" + std::to_string(i);
        auto response = c->send(post("/echo", body));
        if (response && response->body == "POST " + body) ++ok;
      }
    });
  }
  for (auto& t : threads)
    t.join();
  EXPECT_EQ(ok, 400);
}

TEST_F(HttpServerTest, StopFinishesRequestsInFlightThenRefusesConnections) {
  std::promise<void> arrived;
  extra_routes_["/slow"] = [&](Request, Responder responder) {
    arrived.set_value();
    std::thread([r = std::move(responder)]() mutable {
      std::this_thread::sleep_for(200ms);
      r.respond(Response::text(200, "finished"));
    }).detach();
  };
  start();
  auto c = client();
  auto idle = client();
  auto pending = std::async(std::launch::async, [&] { return c->send(get("/slow")); });
  arrived.get_future().wait();
  const uint16_t port = server_->port();
  server_->stop();

  auto response = pending.get();
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(response->body, "finished");
  EXPECT_EQ(response->headers.get("Connection"), "close");
  EXPECT_EQ(server_->connectionCount(), 0u);
  EXPECT_FALSE(idle->send(get("/echo")));
  EXPECT_FALSE(HttpClient::connect("http://127.0.0.1:" + std::to_string(port), {.timeout = 1s}));
}

TEST_F(HttpServerTest, StopClosesOpenStreams) {
  std::promise<std::shared_ptr<ResponseStream>> opened;
  extra_routes_["/events"] = [&](Request, Responder responder) {
    auto stream = responder.startStream(200, {});
    stream->write("first");
    opened.set_value(stream);
  };
  start();
  std::string received;
  auto pending = std::async(std::launch::async, [&] {
    return client()->stream(get("/events"), [&](std::string_view data) {
      received += data;
      return true;
    });
  });
  auto stream = opened.get_future().get();
  server_->stop();
  auto response = pending.get();
  ASSERT_TRUE(response) << response.error().message();
  EXPECT_EQ(received, "first");
  EXPECT_TRUE(stream->closed());
}

TEST_F(HttpServerTest, BindFailureIsReported) {
  start();
  ServerOptions options;
  options.port = server_->port();
  HttpServer second(options, nullptr);
  Status s = second.start();
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code(), ErrorCode::kUnavailable);
  EXPECT_NE(s.error().message().find("cannot listen on 127.0.0.1:"), std::string::npos);

  options.address = "not-an-ip";
  HttpServer third(options, nullptr);
  Status bad = third.start();
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

TEST(UrlTest, Parses) {
  auto u = Url::parse("https://[::1]:8443/api/v1?x=1");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "https");
  EXPECT_EQ(u->host, "::1");
  EXPECT_EQ(u->port, 8443);
  EXPECT_EQ(u->target, "/api/v1?x=1");
  auto d = Url::parse("http://localhost");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  for (const char* bad : {"localhost:80", "ftp://x", "http://", "http://x:0", "http://x:99999",
                          "http://[::1", "http://x:8a"}) {
    auto r = Url::parse(bad);
    ASSERT_FALSE(r) << bad;
    EXPECT_NE(r.error().message().find(bad), std::string::npos) << r.error().message();
  }
}

}  // namespace
}  // namespace berth::net
