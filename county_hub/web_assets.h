// The county dashboard's static files (county_hub/web/ and Apache ECharts),
// built into the binary so that nothing needs to sit beside it at run time
// and the page loads nothing from the internet. The bytes are placed by the
// assembler (.incbin) in a .cc that county_hub/CMakeLists.txt generates.
//
// Thread-safety: immutable data; thread-safe.
#ifndef SANJI_COUNTY_HUB_WEB_ASSETS_H_
#define SANJI_COUNTY_HUB_WEB_ASSETS_H_

#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace sanji {

struct WebAsset {
  std::string path;          // "index.html", "app.js", "echarts.min.js" ...
  const char* content_type;  // e.g. "text/html; charset=utf-8"
  absl::string_view data;    // the file's bytes, for the program's lifetime
  absl::string_view gzip;    // the same gzipped (gzip -9 -n), likewise
};

// Every file of the page, index.html first.
const std::vector<WebAsset>& WebAssets();

}  // namespace sanji

#endif  // SANJI_COUNTY_HUB_WEB_ASSETS_H_
