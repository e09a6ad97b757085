// The clinic page's static files (village_agent/web/), built into the binary:
// village_agent/CMakeLists.txt turns each file into a byte array of a .cc it
// generates at build time (embed_files.cmake), so nothing is needed beside the
// binary at run time and the page always matches the agent it is served by.
//
// Thread-safety: constant data.
#ifndef SANJI_VILLAGE_AGENT_WEB_ASSETS_H_
#define SANJI_VILLAGE_AGENT_WEB_ASSETS_H_

#include <vector>

#include "absl/strings/string_view.h"

namespace sanji {

struct WebAsset {
  absl::string_view path;          // relative to web/, e.g. "app.js"
  absl::string_view content_type;  // from the extension
  absl::string_view body;
};

// Every file of web/, in name order.
const std::vector<WebAsset>& WebAssets();

}  // namespace sanji

#endif  // SANJI_VILLAGE_AGENT_WEB_ASSETS_H_
