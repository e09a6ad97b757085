// The clinic page (village_agent/web/), built into village_agent by
// sanji_web_assets() in village_agent/CMakeLists.txt; see
// common/web_assets.h.
#ifndef SANJI_VILLAGE_AGENT_WEB_ASSETS_H_
#define SANJI_VILLAGE_AGENT_WEB_ASSETS_H_

#include <vector>

#include "common/web_assets.h"

namespace sanji::clinic_web {

// Every file of the page, index.html first.
const std::vector<WebAsset>& WebAssets();

}  // namespace sanji::clinic_web

#endif  // SANJI_VILLAGE_AGENT_WEB_ASSETS_H_
