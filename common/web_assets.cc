#include "common/web_assets.h"

#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"

namespace sanji {
namespace {

// FNV-1a of the bytes: the file's version, for If-None-Match.
std::string AssetTag(absl::string_view bytes) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : bytes) h = (h ^ c) * 1099511628211ull;
  return absl::StrFormat("\"%016x\"", h);
}

// Whether the request's Accept-Encoding takes gzip.
bool TakesGzip(const httplib::Request& req) {
  for (absl::string_view coding : absl::StrSplit(
           req.get_header_value("Accept-Encoding"), ',', absl::SkipEmpty())) {
    coding = absl::StripAsciiWhitespace(coding);
    if (absl::StartsWith(coding, "gzip") && !absl::EndsWith(coding, "q=0")) {
      return true;
    }
  }
  return false;
}

// Given through a content provider of known length, which cpp-httplib sends
// as it is: it compresses only set_content() bodies.
void ServeAsset(const WebAsset& asset, const std::string& tag,
                const std::string& csp, const httplib::Request& req,
                httplib::Response* res) {
  res->set_header("ETag", tag);
  res->set_header("Vary", "Accept-Encoding");
  res->set_header("Cache-Control", "no-cache");
  res->set_header("X-Content-Type-Options", "nosniff");
  res->set_header("X-Frame-Options", "DENY");
  if (!csp.empty()) res->set_header("Content-Security-Policy", csp);
  if (req.get_header_value("If-None-Match") == tag) {
    res->status = 304;
    return;
  }
  const bool gzip = TakesGzip(req);
  const absl::string_view bytes = gzip ? asset.gzip : asset.data;
  if (gzip) res->set_header("Content-Encoding", "gzip");
  res->set_content_provider(
      bytes.size(), asset.content_type,
      [bytes](size_t offset, size_t length, httplib::DataSink& sink) {
        return sink.write(bytes.data() + offset, length);
      });
}

}  // namespace

void InstallWebAssets(httplib::Server* server,
                      const std::vector<WebAsset>& assets,
                      const std::string& content_security_policy) {
  for (const WebAsset& asset : assets) {
    const std::string path =
        asset.path == "index.html" ? "/" : absl::StrCat("/", asset.path);
    server->Get(path, [&asset, tag = AssetTag(asset.data),
                       csp = content_security_policy](
                          const httplib::Request& req, httplib::Response& res) {
      ServeAsset(asset, tag, csp, req, &res);
    });
  }
}

}  // namespace sanji
