// The API's OpenAPI 3.1 document, made from the operations the platform
// describes (sdk::AdminOperation) and the panel's own routes, so it cannot
// drift from what is served: the same list builds both.
#pragma once

#include <profo/sdk/admin.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

namespace profo::panel {

// A route the panel serves besides the operations (sign-in, the session).
struct PanelRoute {
    PanelRoute(std::string method_, std::string path_, std::string summary_, bool needs_session_ = false)
        : method(std::move(method_)),
          path(std::move(path_)),
          summary(std::move(summary_)),
          needs_session(needs_session_) {}
    std::string method;
    std::string path;
    std::string summary;
    bool needs_session = false;
};

// Operations a creator may call through the API: every one but the
// platform operator's.
std::vector<sdk::AdminOperation> served_operations(const std::vector<sdk::AdminOperation>& operations);

nlohmann::json openapi_document(const std::vector<sdk::AdminOperation>& operations,
                                const std::vector<PanelRoute>& panel_routes, const std::string& version);

}  // namespace profo::panel
