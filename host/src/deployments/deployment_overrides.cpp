#include "deployments/deployment_overrides.hpp"

#include "http/http_client.hpp"

#include <profo/sdk/deep_link.hpp>

#include <algorithm>
#include <cmath>

namespace profo::host {

namespace {

// The dialog element's own test of a plain-http endpoint
// (plugins/elements/dialog is_loopback_url): a URL it would refuse must be
// refused here too, or the tenant's key would go to the platform's default.
bool names_this_machine(std::string_view url) {
    const auto scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) return false;
    std::string_view authority = url.substr(scheme_end + 3);
    authority = authority.substr(0, authority.find_first_of("/?#"));
    if (authority.find('@') != std::string_view::npos) return false;
    std::string_view host = authority;
    if (!host.empty() && host.front() == '[') return host.substr(0, host.find(']') + 1) == "[::1]";
    host = host.substr(0, host.find(':'));
    if (host == "localhost") return true;
    if (host.substr(0, 4) != "127.") return false;
    int dots = 0;
    std::size_t digits = 0;
    for (const char c : host) {
        if (c == '.') {
            if (digits == 0 || digits > 3) return false;
            ++dots;
            digits = 0;
        } else if (c >= '0' && c <= '9') {
            ++digits;
        } else {
            return false;
        }
    }
    return dots == 3 && digits > 0 && digits <= 3;
}

}  // namespace

nlohmann::json overrides_of(const sdk::CourseDeployment& deployment) {
    auto overrides = nlohmann::json::parse(
        deployment.overrides_json.empty() ? "{}" : deployment.overrides_json, nullptr, false);
    return overrides.is_object() ? overrides : nlohmann::json::object();
}

double deployment_time_scale(const sdk::CourseDeployment& deployment, sdk::Logger& log) {
    // Most deployments have none: spare them the parse.
    if (deployment.overrides_json.find("\"time_scale\"") == std::string::npos) return 1;
    const auto overrides = overrides_of(deployment);
    const auto scale = overrides.find("time_scale");
    if (scale == overrides.end()) return 1;
    if (!scale->is_number() || !std::isfinite(scale->get<double>()) || scale->get<double>() < 1 ||
        scale->get<double>() > kMaxTimeScale) {
        log.warn("deployment " + std::to_string(deployment.id) + " has a time_scale of " + scale->dump() +
                 ", which is not a number from 1 to 1000000; its timers run in real time");
        return 1;
    }
    if (deployment.environment != "test") {
        log.warn("deployment " + std::to_string(deployment.id) +
                 " is prod but has a time_scale; prod deployments run in real time");
        return 1;
    }
    return scale->get<double>();
}

std::string endpoint_problem(std::string_view url) {
    const bool https = url.substr(0, 8) == "https://";
    const bool http = url.substr(0, 7) == "http://";
    if (!https && !http) return "must start with https:// (or http:// for this machine only)";
    try {
        parse_http_url(url);
    } catch (const std::exception& e) {
        return e.what();
    }
    if (http && !names_this_machine(url))
        return "http:// is allowed only to this machine (127.0.0.1, localhost, [::1]): the key and the "
               "conversation would cross the network unencrypted; use https://";
    return {};
}

std::optional<std::string> alias_problem(const std::string& alias) {
    if (alias.empty()) return std::nullopt;
    const auto parsed = sdk::parse_start_payload(alias);
    if (parsed.kind == sdk::StartPayload::Kind::legacy && parsed.alias == alias) return std::nullopt;
    return "cannot be a start link: use up to 64 of A-Z a-z 0-9 _ -, without '__', not starting with 'cd_'";
}

std::optional<std::string> model_problem(const std::string& model) {
    if (model.size() > kMaxModelCharacters ||
        std::any_of(model.begin(), model.end(), [](unsigned char c) { return c < ' ' || c == 0x7F; }))
        return "is no model name: one line of at most " + std::to_string(kMaxModelCharacters) + " characters";
    return std::nullopt;
}

std::optional<std::string> api_key_problem(const std::string& key) {
    if (key.empty()) return "is empty";
    if (key.size() > kMaxApiKeyBytes)
        return "is more than " + std::to_string(kMaxApiKeyBytes) + " bytes, which is no API key";
    if (std::any_of(key.begin(), key.end(), [](unsigned char c) { return c <= ' ' || c == 0x7F; }))
        return "is not one line of printable characters without spaces";
    return std::nullopt;
}

std::optional<std::string> time_scale_problem(double scale) {
    if (std::isfinite(scale) && scale >= 1 && scale <= kMaxTimeScale) return std::nullopt;
    return "takes a number from 1 (real time) to 1000000 (1440 makes a day last a minute)";
}

}  // namespace profo::host
