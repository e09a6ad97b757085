#include "common/web_assets.h"

#include <memory>
#include <thread>

#include "county_hub/web_assets.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "village_agent/web_assets.h"

namespace sanji {
namespace {

// What cmake/SanjiWebAssets.cmake generated for both pages: every file with
// its bytes and a gzip form of them, index.html first.
void CheckGenerated(const std::vector<WebAsset>& assets) {
  ASSERT_FALSE(assets.empty());
  EXPECT_EQ(assets[0].path, "index.html");
  for (const WebAsset& a : assets) {
    EXPECT_GT(a.data.size(), 100u) << a.path;
    ASSERT_GE(a.gzip.size(), 18u) << a.path;
    EXPECT_EQ(a.gzip.substr(0, 2), "\x1f\x8b") << a.path << " is not gzip";
    EXPECT_LT(a.gzip.size(), a.data.size()) << a.path;
  }
}

TEST(WebAssetsTest, BothPagesAreBuiltInWithTheirGzipForms) {
  CheckGenerated(dashboard_web::WebAssets());
  CheckGenerated(clinic_web::WebAssets());
}

TEST(WebAssetsTest, ServesGzipToWhoTakesItAnd304ForWhatTheBrowserHas) {
  static const std::string kData(500, 'a');
  const std::vector<WebAsset> assets = {
      {"index.html", "text/html; charset=utf-8", kData, "\x1f\x8bgz"}};
  httplib::Server server;
  InstallWebAssets(&server, assets, "default-src 'self'");
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread serving([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::yield();
  httplib::Client client("127.0.0.1", port);
  client.set_decompress(false);  // the test's gzip form is not a real one
  httplib::Result plain = client.Get("/");
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->body, kData);
  EXPECT_EQ(plain->get_header_value("Content-Security-Policy"),
            "default-src 'self'");
  EXPECT_EQ(plain->get_header_value("X-Frame-Options"), "DENY");
  httplib::Result gz = client.Get("/", {{"Accept-Encoding", "br, gzip"}});
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->get_header_value("Content-Encoding"), "gzip");
  EXPECT_EQ(gz->body, "\x1f\x8bgz");
  const std::string tag = plain->get_header_value("ETag");
  ASSERT_FALSE(tag.empty());
  httplib::Result again = client.Get("/", {{"If-None-Match", tag}});
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 304);
  EXPECT_TRUE(again->body.empty());
  server.stop();
  serving.join();
}

}  // namespace
}  // namespace sanji
