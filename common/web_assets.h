// A page's static files, built into the program that serves them, so that
// nothing needs to sit beside the binary at run time, the page always matches
// the node that serves it, and nothing is loaded from the internet.
// cmake/SanjiWebAssets.cmake's sanji_web_assets() generates, for each page,
// a .cc whose assembler places every file's bytes (.incbin) and its gzip -9
// form, and which defines `WebAssets()` in the page's own namespace.
//
// InstallWebAssets serves them: index.html at "/", the others at "/NAME";
// 304 when the browser has the file (ETag), otherwise the gzipped bytes to a
// browser that takes gzip, as they are (cpp-httplib would compress a body
// again on every request); no framing by other sites, no type sniffing.
//
// Thread-safety: the assets are immutable, for the program's lifetime.
#ifndef SANJI_COMMON_WEB_ASSETS_H_
#define SANJI_COMMON_WEB_ASSETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "httplib.h"

namespace sanji {

struct WebAsset {
  std::string path;          // "index.html", "app.js", "echarts.min.js" ...
  const char* content_type;  // e.g. "text/html; charset=utf-8"
  absl::string_view data;    // the file's bytes
  absl::string_view gzip;    // the same gzipped (gzip -9 -n)
};

// Adds a GET route for each of `assets` (which must outlive `server`), with
// `content_security_policy` on each answer when it is not empty.
void InstallWebAssets(httplib::Server* server,
                      const std::vector<WebAsset>& assets,
                      const std::string& content_security_policy = "");

}  // namespace sanji

#endif  // SANJI_COMMON_WEB_ASSETS_H_
