// The county dashboard's page (county_hub/web/ and Apache ECharts, which the
// build fetches once from npm: scripts/fetch-echarts.sh), built into
// county_hub by sanji_web_assets() in county_hub/CMakeLists.txt; see
// common/web_assets.h.
#ifndef SANJI_COUNTY_HUB_WEB_ASSETS_H_
#define SANJI_COUNTY_HUB_WEB_ASSETS_H_

#include <vector>

#include "common/web_assets.h"

namespace sanji::dashboard_web {

// Every file of the page, index.html first.
const std::vector<WebAsset>& WebAssets();

}  // namespace sanji::dashboard_web

#endif  // SANJI_COUNTY_HUB_WEB_ASSETS_H_
