#include "admin/record_json.hpp"

#include "cli/time_option.hpp"
#include "deployments/deployment_overrides.hpp"
#include "secrets/secret_names.hpp"

namespace profo::host {

using nlohmann::json;

namespace {

json optional_number(const std::optional<std::int64_t>& n) {
    return n ? json(*n) : json(nullptr);
}

json object_or_empty(const std::string& text) {
    auto parsed = json::parse(text, nullptr, false);
    return parsed.is_object() ? parsed : json::object();
}

// The overrides as they may be shown: every sealed secret only as "(sealed)".
json shown_overrides(const sdk::CourseDeployment& d) {
    auto overrides = overrides_of(d);
    if (overrides.contains("plugins") && overrides["plugins"].is_object())
        for (auto& [plugin, settings] : overrides["plugins"].items())
            if (settings.is_object())
                for (auto& [key, value] : settings.items())
                    if (is_sealed_setting(key)) value = "(sealed)";
    return overrides;
}

}  // namespace

json time_json(const std::optional<sdk::Millis>& at) {
    return at ? json(format_time(*at)) : json(nullptr);
}

json account_json(const sdk::Account& a) {
    return {{"id", a.id}, {"name", a.name}, {"created_at", format_time(a.created_at)}};
}

json member_json(const sdk::AccountMember& m) {
    return {{"id", m.id},
            {"account_id", m.account_id},
            {"telegram_user_id", m.telegram_user_id},
            {"username", m.username},
            {"role", m.role},
            {"created_at", format_time(m.created_at)}};
}

json bot_json(const sdk::Bot& b, const sdk::BotHealth* health) {
    const auto at = [](sdk::Millis t) { return t > 0 ? json(format_time(t)) : json(nullptr); };
    json h = {{"state", health && !health->state.empty() ? health->state : "unknown"},
              {"last_error", health ? health->last_error : ""},
              {"last_error_at", health ? at(health->last_error_at) : json(nullptr)},
              {"updated_at", health ? at(health->updated_at) : json(nullptr)}};
    return {{"id", b.id},
            {"account_id", b.account_id},
            {"username", b.username},
            {"mode", b.mode},
            {"enabled", b.enabled},
            {"update_offset", b.update_offset},
            {"created_at", format_time(b.created_at)},
            {"health", std::move(h)}};
}

json course_json(const sdk::Course& c) {
    return {{"id", c.id},
            {"account_id", c.account_id},
            {"name", c.name},
            {"created_at", format_time(c.created_at)},
            {"updated_at", format_time(c.updated_at)}};
}

json version_json(const sdk::CourseVersion& v) {
    return {{"id", v.id},
            {"course_id", v.course_id},
            {"number", v.number},
            {"source", v.source_name},
            {"published_at", format_time(v.created_at)}};
}

json deployment_json(const DeploymentView& v) {
    const auto& d = v.deployment;
    return {{"id", d.id},
            {"account_id", d.account_id},
            {"course_id", d.course_id},
            {"course", v.course},
            {"version_id", d.version_id},
            {"version", v.version},
            {"bot_id", d.bot_id},
            {"bot", v.bot},
            {"environment", d.environment},
            {"state", d.archived_at ? "archived"
                      : d.active    ? "active"
                                    : "paused"},
            {"archived_at", time_json(d.archived_at)},
            {"alias", d.legacy_alias},
            {"active", d.active},
            {"restricted", d.restricted},
            {"allow_restart", d.allow_restart},
            {"collect_email", d.collect_email},
            {"overrides", shown_overrides(d)}};
}

std::string token_state(const sdk::EnrollmentToken& t, sdk::Millis now) {
    if (t.revoked) return "revoked";
    if (!t.active) return "paused";
    if (t.expires_at && now >= *t.expires_at) return "expired";
    if (t.max_uses && t.uses >= *t.max_uses) return "used-up";
    if (t.starts_at && now < *t.starts_at) return "not-open";
    if (t.ends_at && now >= *t.ends_at) return "closed";
    return "active";
}

json token_json(const IssuedToken& issued, sdk::Millis now) {
    const auto& t = issued.token;
    return {{"id", t.id},
            {"account_id", t.account_id},
            {"deployment_id", t.deployment_id},
            {"type", t.type},
            {"code", t.code},
            {"label", t.label},
            {"state", token_state(t, now)},
            {"active", t.active},
            {"revoked", t.revoked},
            {"uses", t.uses},
            {"max_uses", optional_number(t.max_uses)},
            {"expires_at", time_json(t.expires_at)},
            {"starts_at", time_json(t.starts_at)},
            {"ends_at", time_json(t.ends_at)},
            {"user_id", optional_number(t.user_id)},
            {"username", t.username},
            {"utm", object_or_empty(t.utm_json)},
            {"bot", issued.bot_username},
            {"payload", issued.payload},
            {"link", issued.link}};
}

json run_json(const sdk::Run& r) {
    return {{"id", r.id},
            {"account_id", r.account_id},
            {"bot_id", r.bot_id},
            {"deployment_id", r.deployment_id},
            {"chat_id", r.chat_id},
            {"user_id", r.user_id},
            {"username", r.username},
            {"token_id", r.token_id ? json(*r.token_id) : json(nullptr)},
            {"status", sdk::to_string(r.status)},
            {"active", r.active},
            {"cursor", r.cursor},
            {"utm", object_or_empty(r.utm_json)},
            {"started_at", format_time(r.started_at)},
            {"updated_at", format_time(r.updated_at)},
            {"ended_at", time_json(r.ended_at)},
            {"version_id", r.version_id ? json(r.version_id) : json(nullptr)},
            {"preview", r.preview}};
}

json conversation_entry_json(const sdk::ConversationEntry& e) {
    auto payload = json::parse(e.payload_json, nullptr, false);
    return {{"id", e.id},
            {"run_id", e.run_id},
            {"element_id", e.element_id},
            {"role", e.role},
            {"payload", payload.is_discarded() ? json::object() : payload},
            {"score", e.score ? json(*e.score) : json(nullptr)},
            {"maxscore", e.maxscore ? json(*e.maxscore) : json(nullptr)},
            {"attempt", e.attempt},
            {"at", format_time(e.created_at)}};
}

json ban_json(const sdk::Ban& b) {
    return {{"id", b.id},
            {"account_id", b.account_id},
            {"bot_id", b.bot_id ? json(*b.bot_id) : json(nullptr)},
            {"user_id", b.user_id},
            {"reason", b.reason},
            {"message", b.message},
            {"created_at", format_time(b.created_at)}};
}

json api_key_json(const sdk::ApiKey& k) {
    return {{"id", k.id},
            {"account_id", k.account_id},
            {"label", k.label},
            {"prefix", k.prefix},
            {"role", k.role},
            {"created_by_user_id", k.created_by_user_id},
            {"created_at", format_time(k.created_at)},
            {"last_used_at", time_json(k.last_used_at)},
            {"revoked_at", time_json(k.revoked_at)}};
}

json participant_json(const sdk::Participant& p) {
    return {{"id", p.id},
            {"deployment_id", p.deployment_id},
            {"user_id", optional_number(p.user_id)},
            {"username", p.username},
            {"created_at", format_time(p.created_at)}};
}

namespace {

// A schema of an object with exactly these properties, all present.
json record(std::initializer_list<std::pair<const char*, json>> properties) {
    json props = json::object();
    json required = json::array();
    for (const auto& [name, schema] : properties) {
        props[name] = schema;
        required.push_back(name);
    }
    return {{"type", "object"}, {"properties", props}, {"required", required}};
}

const json kId = {{"type", "integer"}, {"minimum", 1}};
const json kInteger = {{"type", "integer"}};
const json kString = {{"type", "string"}};
const json kBoolean = {{"type", "boolean"}};
const json kTime = {{"type", "string"}, {"format", "date-time"}};
const json kOptionalTime = {{"type", {"string", "null"}}, {"format", "date-time"}};
const json kOptionalId = {{"type", {"integer", "null"}}};
const json kObject = {{"type", "object"}};

}  // namespace

const json& record_schemas() {
    static const json schemas = {
        {"Account", record({{"id", kId}, {"name", kString}, {"created_at", kTime}})},
        {"Member", record({{"id", kId},
                           {"account_id", kId},
                           {"telegram_user_id", kInteger},
                           {"username", kString},
                           {"role", {{"enum", {"owner", "admin"}}}},
                           {"created_at", kTime}})},
        {"Bot",
         record({{"id", kId},
                 {"account_id", kId},
                 {"username", kString},
                 {"mode", {{"enum", {"poll", "webhook"}}}},
                 {"enabled", kBoolean},
                 {"update_offset", kInteger},
                 {"created_at", kTime},
                 // As its transport last reported: "unknown" until it did.
                 {"health",
                  record({{"state", {{"enum", {"unknown", "polling", "webhook", "failing", "stopped"}}}},
                          {"last_error", kString},
                          {"last_error_at", kOptionalTime},
                          {"updated_at", kOptionalTime}})}})},
        {"Course", record({{"id", kId},
                           {"account_id", kId},
                           {"name", kString},
                           {"created_at", kTime},
                           {"updated_at", kTime}})},
        {"Version", record({{"id", kId},
                            {"course_id", kId},
                            {"number", kInteger},
                            {"source", kString},
                            {"published_at", kTime}})},
        {"Deployment", record({{"id", kId},
                               {"account_id", kId},
                               {"course_id", kId},
                               {"course", kString},
                               {"version_id", kId},
                               {"version", kInteger},
                               {"bot_id", kId},
                               {"bot", kString},
                               {"environment", {{"enum", {"test", "prod"}}}},
                               {"state", {{"enum", {"active", "paused", "archived"}}}},
                               {"archived_at", kOptionalTime},
                               {"alias", kString},
                               {"active", kBoolean},
                               {"restricted", kBoolean},
                               {"allow_restart", kBoolean},
                               {"collect_email", kBoolean},
                               {"overrides", kObject}})},
        {"Token",
         record({{"id", kId},
                 {"account_id", kId},
                 {"deployment_id", kId},
                 {"type", kString},
                 {"code", kString},
                 {"label", kString},
                 {"state",
                  {{"enum", {"revoked", "paused", "expired", "used-up", "not-open", "closed", "active"}}}},
                 {"active", kBoolean},
                 {"revoked", kBoolean},
                 {"uses", kInteger},
                 {"max_uses", {{"type", {"integer", "null"}}}},
                 {"expires_at", kOptionalTime},
                 {"starts_at", kOptionalTime},
                 {"ends_at", kOptionalTime},
                 {"user_id", {{"type", {"integer", "null"}}}},
                 {"username", kString},
                 {"utm", kObject},
                 {"bot", kString},
                 {"payload", kString},
                 {"link", {{"type", "string"}, {"format", "uri"}}}})},
        {"Run", record({{"id", kId},
                        {"account_id", kId},
                        {"bot_id", kId},
                        {"deployment_id", kId},
                        {"chat_id", kInteger},
                        {"user_id", kInteger},
                        {"username", kString},
                        {"token_id", kOptionalId},
                        {"status", {{"enum", {"active", "completed", "stopped", "blocked", "abandoned"}}}},
                        {"active", kBoolean},
                        {"cursor", kString},
                        {"utm", kObject},
                        {"started_at", kTime},
                        {"updated_at", kTime},
                        {"ended_at", kOptionalTime},
                        {"version_id", kOptionalId},
                        {"preview", kBoolean}})},
        {"ConversationEntry", record({{"id", kId},
                                      {"run_id", kId},
                                      {"element_id", kString},
                                      {"role", {{"enum", {"bot", "user"}}}},
                                      {"payload", kObject},
                                      {"score", {{"type", {"number", "null"}}}},
                                      {"maxscore", {{"type", {"number", "null"}}}},
                                      {"attempt", kInteger},
                                      {"at", kTime}})},
        {"Ban", record({{"id", kId},
                        {"account_id", kId},
                        {"bot_id", kOptionalId},
                        {"user_id", kInteger},
                        {"reason", kString},
                        {"message", kString},
                        {"created_at", kTime}})},
        {"ApiKey", record({{"id", kId},
                           {"account_id", kId},
                           {"label", kString},
                           {"prefix", kString},
                           {"role", {{"type", "string"}, {"enum", {"owner", "admin"}}}},
                           {"created_by_user_id", kInteger},
                           {"created_at", kTime},
                           {"last_used_at",
                            {{"type", {"string", "null"}},
                             {"format", "date-time"},
                             {"description", "its last use, to the minute"}}},
                           {"revoked_at", kOptionalTime}})},
        {"Participant", record({{"id", kId},
                                {"deployment_id", kId},
                                {"user_id", {{"type", {"integer", "null"}}}},
                                {"username", kString},
                                {"created_at", kTime}})},
    };
    return schemas;
}

}  // namespace profo::host
