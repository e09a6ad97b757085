#include "common/http_endpoint.h"

#include "gtest/gtest.h"
#include "httplib.h"

namespace sanji {
namespace {

TEST(IsLoopbackHostTest, OnlyThisMachine) {
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1:8080"));
  EXPECT_TRUE(IsLoopbackHost("127.0.0.1"));
  EXPECT_TRUE(IsLoopbackHost("127.8.9.10:80"));
  EXPECT_TRUE(IsLoopbackHost("localhost"));
  EXPECT_TRUE(IsLoopbackHost("LocalHost:8080"));
  EXPECT_TRUE(IsLoopbackHost("[::1]:8080"));
  EXPECT_TRUE(IsLoopbackHost("::1"));
  EXPECT_FALSE(IsLoopbackHost(""));
  EXPECT_FALSE(IsLoopbackHost("evil.example"));
  EXPECT_FALSE(IsLoopbackHost("localhost.evil.example"));
  EXPECT_FALSE(IsLoopbackHost("192.168.1.5:8080"));
  EXPECT_FALSE(IsLoopbackHost("[2001:db8::1]:80"));
}

TEST(HttpEndpointTest, ServesOnAPortItPicksAndStops) {
  HttpEndpoint::Options options;
  options.listen = "127.0.0.1:0";
  absl::StatusOr<std::unique_ptr<HttpEndpoint>> endpoint =
      HttpEndpoint::Create(options);
  ASSERT_TRUE(endpoint.ok()) << endpoint.status();
  (*endpoint)->server().Get(
      "/x", [](const httplib::Request&, httplib::Response& res) {
        ReplyError(&res, 418, "茶壶");
      });
  ASSERT_TRUE((*endpoint)->Start().ok());
  ASSERT_GT((*endpoint)->port(), 0);
  httplib::Client client("127.0.0.1", (*endpoint)->port());
  httplib::Result r = client.Get("/x");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 418);
  EXPECT_EQ(r->body, R"({"error":"茶壶"})");
  EXPECT_EQ(r->get_header_value("Content-Type"),
            "application/json; charset=utf-8");
  (*endpoint)->Stop();
  EXPECT_FALSE(client.Get("/x"));
}

TEST(HttpEndpointTest, RefusesABadAddressAndUnusableHttpsFiles) {
  HttpEndpoint::Options options;
  options.listen = "nowhere";
  EXPECT_TRUE(absl::IsInvalidArgument(HttpEndpoint::Create(options).status()));
  options.listen = "127.0.0.1:99999";
  EXPECT_TRUE(absl::IsInvalidArgument(HttpEndpoint::Create(options).status()));
  options.listen = "127.0.0.1:0";
  options.cert = "/nonexistent/cert.pem";
  options.key = "/nonexistent/key.pem";
  EXPECT_TRUE(
      absl::IsFailedPrecondition(HttpEndpoint::Create(options).status()));
}

}  // namespace
}  // namespace sanji
