// `profo legacy import`: a legacy database (legacy_database.hpp) brought into
// one account, all of it in one storage transaction: a failure anywhere
// leaves the target as it was, and a dry run is the same work rolled back, so
// it finds every problem the import would meet (docs/legacy-import.md).
// Each legacy thing is recorded (sdk::LegacyIdStore) with what it became, so
// an import run again brings over only what is new.
#pragma once

#include "legacy/legacy_database.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace profo::host::legacy {

struct ImportOptions {
    sdk::Id account_id = sdk::kDefaultAccountId;
    std::map<std::string, std::string> tokens;  // bot name -> token; never printed
    bool dry_run = false;
    std::ostream* progress = nullptr;  // "rows done of rows total" lines, when set
    std::int64_t now_ms = 0;           // when the import happens (0: the clock)
};

struct ImportProblem {
    std::string where;  // "course bot/Intro", "run 17", "setting bot/model"
    std::string message;
};

struct ImportReport {
    bool dry_run = false;
    std::map<std::string, std::int64_t> counts;  // what was (or would be) brought over, by kind
    std::vector<ImportProblem> problems;
    std::vector<std::string> mapped_settings;  // "bot/key -> plugins.element/dialog.model"

    void add(const std::string& kind, std::int64_t n = 1) { counts[kind] += n; }
    std::int64_t count(const std::string& kind) const;
    nlohmann::json to_json() const;
    void print(std::ostream& out) const;
};

// Bad input that stops the import before it writes anything (a bot without a
// token, an account that does not exist); the message names what and where.
class ImportRefused : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

ImportReport import_legacy(LegacyDatabase& source, sdk::Storage& storage, const PluginRegistry& plugins,
                           const sdk::SecretBox& secrets, const std::map<std::string, std::string>& texts,
                           const ImportOptions& options);

// "BOTNAME=TOKEN" lines (blank lines and # comments skipped); a malformed
// line is refused with its number, never its text (it may hold a token).
std::map<std::string, std::string> parse_token_lines(const std::string& text, const std::string& source);

}  // namespace profo::host::legacy
