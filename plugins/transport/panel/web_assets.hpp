// The panel's screens (web/), built into the module so it needs no files
// beside it and nothing from another site: it works offline.
#pragma once

#include <string_view>
#include <vector>

namespace profo::panel {

struct WebAsset {
    std::string_view name;  // "app.js", relative to web/
    std::string_view content_type;
    std::string_view bytes;
};

const std::vector<WebAsset>& web_assets();

}  // namespace profo::panel
