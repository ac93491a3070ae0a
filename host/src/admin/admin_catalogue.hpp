// The platform's services as sdk::AdminServices (sdk/admin.hpp): every
// operation a creator or the operator may call, each described by the
// arguments it takes, checked here before it runs, so each operation's code
// reads typed values and an unknown or malformed argument is refused by name.
#pragma once

#include "accounts/account_directory.hpp"
#include "admin/call_arguments.hpp"
#include "bots/bot_registry.hpp"
#include "deployments/deployment_registry.hpp"
#include "enrollment/access_rules.hpp"
#include "enrollment/token_registry.hpp"
#include "preview/preview_chat.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/host.hpp>

#include <nlohmann/json.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace profo::host {

class Engine;
class PluginRegistry;

struct AdminCall {
    const sdk::AdminCaller& caller;
    const CallArguments& arguments;
    sdk::Millis now;
};

// What the operations work with: the host's services, made once.
struct AdminServicesDeps {
    sdk::Storage& storage;
    const sdk::SecretBox& secrets;
    sdk::HttpClient& http;
    const PluginRegistry& plugins;
    const sdk::Clock& clock;
    std::string bot_api_base_url;
    std::map<std::string, std::string> platform_texts;
    Engine& engine;  // the preview chat plays through it
};

class AdminCatalogue final : public sdk::AdminServices {
public:
    using Handler = std::function<nlohmann::json(const AdminCall&)>;

    explicit AdminCatalogue(AdminServicesDeps deps);
    ~AdminCatalogue() override;

    const std::vector<sdk::AdminOperation>& operations() const override { return operations_; }
    nlohmann::json call(const std::string& operation, const sdk::AdminCaller& caller,
                        const nlohmann::json& arguments) override;
    std::vector<std::pair<sdk::Account, sdk::AdminRole>> accounts_of(std::int64_t telegram_user_id) override;

    // Registers an operation; its arguments schema is made from `specs`. A
    // GET whose result is list_of(...) and that takes no `limit` of its own
    // is paged and sorted here: `limit`, `offset` and `sort` (a field,
    // "-field" for descending) are added to its arguments and `total` to
    // its result.
    void add(sdk::AdminOperation operation, std::vector<ArgumentSpec> specs, const nlohmann::json& result,
             Handler handler);

    AdminServicesDeps& deps() { return deps_; }
    AccountDirectory& accounts() { return accounts_; }
    BotRegistry& bots() { return bots_; }
    DeploymentRegistry& deployments() { return deployments_; }
    TokenRegistry& tokens() { return tokens_; }
    AccessRules& access() { return access_; }
    PreviewChat& preview() { return preview_; }

private:
    struct Entry {
        std::vector<ArgumentSpec> specs;
        Handler handler;
        sdk::AdminRole role;
        // A list the catalogue pages and sorts itself (the operation returns
        // it whole): its key in the result.
        std::string paged_list;
    };
    AdminServicesDeps deps_;
    AccountDirectory accounts_;
    BotRegistry bots_;
    DeploymentRegistry deployments_;
    TokenRegistry tokens_;
    AccessRules access_;
    PreviewChat preview_;
    std::vector<sdk::AdminOperation> operations_;
    std::map<std::string, Entry> entries_;
};

// The operation groups, each in its own file.
void add_account_operations(AdminCatalogue& catalogue);
void add_bot_operations(AdminCatalogue& catalogue);
void add_course_operations(AdminCatalogue& catalogue);
void add_deployment_operations(AdminCatalogue& catalogue);
void add_token_operations(AdminCatalogue& catalogue);
void add_run_operations(AdminCatalogue& catalogue);
void add_access_operations(AdminCatalogue& catalogue);
void add_analytics_operations(AdminCatalogue& catalogue);
void add_preview_operations(AdminCatalogue& catalogue);

// The account's course, its versions, and one of them by number; not_found
// (naming /course_id, or `field` for the number) when there is none.
sdk::Course course_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id);
std::vector<sdk::CourseVersion> versions_of(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id);
sdk::CourseVersion version_numbered(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id course_id,
                                    std::int64_t number, const std::string& field);

// A schema `{"<key>": [<record>...]}` for list results, and the record itself.
nlohmann::json list_of(const std::string& key, const std::string& record);
nlohmann::json record_schema(const std::string& record);

}  // namespace profo::host
