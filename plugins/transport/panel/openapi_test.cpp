#include "openapi.hpp"

#include <gtest/gtest.h>

using namespace profo;
using namespace profo::panel;
using nlohmann::json;

namespace {

sdk::AdminOperation described(std::string name, std::string method, std::string path, sdk::AdminRole role,
                              json arguments) {
    sdk::AdminOperation op{std::move(name), "does it", std::move(method), std::move(path), role};
    op.arguments_schema = arguments.dump();
    op.result_schema = json{{"type", "object"}}.dump();
    return op;
}

}  // namespace

TEST(OpenApi, DescribesEveryServedOperationWhereItIsServed) {
    const json args = {{"type", "object"},
                       {"properties",
                        {{"bot_id", {{"type", "integer"}, {"x-in", "path"}}},
                         {"name", {{"type", "string"}}},
                         {"limit", {{"type", "integer"}}}}},
                       {"required", {"bot_id", "name"}}};
    const std::vector<sdk::AdminOperation> ops = {
        described("bots.get", "GET", "/bots/{bot_id}", sdk::AdminRole::admin, args),
        described("bots.update", "PATCH", "/bots/{bot_id}", sdk::AdminRole::owner, args),
        described("links.make", "POST", "/links", sdk::AdminRole::platform, args)};
    const auto doc = openapi_document(ops, {PanelRoute("GET", "/api/v1/session", "who", true)}, "1");
    EXPECT_EQ(doc["openapi"], "3.1.0");
    const auto& paths = doc["paths"];
    ASSERT_TRUE(paths.contains("/api/v1/accounts/{account_id}/bots/{bot_id}"));
    EXPECT_FALSE(paths.contains("/api/v1/accounts/{account_id}/links")) << "the operator's own is not served";
    EXPECT_TRUE(paths.contains("/api/v1/session"));

    const auto& get = paths["/api/v1/accounts/{account_id}/bots/{bot_id}"]["get"];
    EXPECT_EQ(get["operationId"], "bots.get");
    std::map<std::string, std::string> where;
    for (const auto& p : get["parameters"]) where[p["name"]] = p["in"];
    EXPECT_EQ(where, (std::map<std::string, std::string>{
                         {"account_id", "path"}, {"bot_id", "path"}, {"name", "query"}, {"limit", "query"}}));
    EXPECT_FALSE(get.contains("requestBody"));

    const auto& patch = paths["/api/v1/accounts/{account_id}/bots/{bot_id}"]["patch"];
    const auto& body = patch["requestBody"]["content"]["application/json"]["schema"];
    EXPECT_EQ(body["required"], json::array({"name"}));
    EXPECT_FALSE(body["properties"].contains("bot_id"));
    EXPECT_EQ(patch["x-role"], "owner");
    EXPECT_TRUE(patch["responses"].contains("409"));
    for (const auto& p : patch["parameters"]) EXPECT_FALSE(p["schema"].contains("x-in"));
}
