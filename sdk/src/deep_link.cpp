#include <profo/sdk/deep_link.hpp>

#include <limits>
#include <stdexcept>

namespace profo::sdk {

namespace {

constexpr std::string_view kBase62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

int base62_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'Z') return c - 'A' + 10;
    if (c >= 'a' && c <= 'z') return c - 'a' + 36;
    return -1;
}

bool is_alnum(char c) {
    return base62_digit(c) >= 0;
}

// What Telegram lets a start link carry.
bool is_link_character(char c) {
    return is_alnum(c) || c == '_' || c == '-';
}

StartPayload malformed(std::string problem) {
    StartPayload p;
    p.kind = StartPayload::Kind::malformed;
    p.problem = std::move(problem);
    return p;
}

// `__utmsII<source>` and `__utmcII<campaign>` after a legacy alias. Other
// parts are ignored: the alias is what chooses the course.
StartPayload legacy(std::string_view payload) {
    StartPayload p;
    p.kind = StartPayload::Kind::legacy;
    std::size_t cut = payload.find("__");
    p.alias = std::string(payload.substr(0, cut));
    if (p.alias.empty()) return malformed("the link starts with '__' where a course alias belongs");
    while (cut != std::string_view::npos) {
        const std::size_t from = cut + 2;
        cut = payload.find("__", from);
        const auto part = payload.substr(from, cut == std::string_view::npos ? cut : cut - from);
        if (part.size() > 6 && part.substr(0, 6) == "utmsII") p.utm_source = std::string(part.substr(6));
        if (part.size() > 6 && part.substr(0, 6) == "utmcII") p.utm_campaign = std::string(part.substr(6));
    }
    return p;
}

}  // namespace

std::string encode_short_id(Id id) {
    if (id <= 0) throw std::invalid_argument("a short id encodes a positive id, not " + std::to_string(id));
    std::string out;
    auto rest = static_cast<std::uint64_t>(id);
    while (rest > 0) {
        out.insert(out.begin(), kBase62[rest % 62]);
        rest /= 62;
    }
    return out;
}

std::optional<Id> decode_short_id(std::string_view text) {
    if (text.empty() || text.size() > 11 || text.front() == '0') return std::nullopt;
    constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<Id>::max());
    std::uint64_t value = 0;
    for (char c : text) {
        const int digit = base62_digit(c);
        if (digit < 0) return std::nullopt;
        if (value > (kMax - static_cast<std::uint64_t>(digit)) / 62) return std::nullopt;
        value = value * 62 + static_cast<std::uint64_t>(digit);
    }
    return static_cast<Id>(value);
}

bool is_token_code(std::string_view code) {
    if (code.empty() || code.size() > kMaxTokenCode) return false;
    for (char c : code)
        if (!is_alnum(c) && c != '-') return false;
    return true;
}

StartPayload parse_start_payload(std::string_view payload) {
    if (payload.empty()) return {};
    if (payload.size() > kMaxStartPayload)
        return malformed("the link is " + std::to_string(payload.size()) + " characters long; at most " +
                         std::to_string(kMaxStartPayload) + " fit a Telegram start link");
    for (std::size_t i = 0; i < payload.size(); ++i)
        if (!is_link_character(payload[i]))
            return malformed("character " + std::to_string(i + 1) +
                             " is not one of A-Z a-z 0-9 _ - that start links carry");
    if (payload.substr(0, kDeepLinkPrefix.size()) != kDeepLinkPrefix) return legacy(payload);

    const auto rest = payload.substr(kDeepLinkPrefix.size());
    const auto after_deployment = rest.find('_');
    if (after_deployment == std::string_view::npos)
        return malformed("'cd_' is followed by no '_<token>' after the deployment");
    const auto deployment = rest.substr(0, after_deployment);
    if (deployment.empty()) return malformed("the deployment part after 'cd_' is empty");
    const auto id = decode_short_id(deployment);
    if (!id) return malformed("'" + std::string(deployment) + "' is not a deployment's short id");

    const auto tail = rest.substr(after_deployment + 1);
    const auto after_code = tail.find('_');
    const auto code = tail.substr(0, after_code);
    if (code.empty()) return malformed("the token part after the deployment is empty");
    if (!is_token_code(code))
        return malformed("the token code is longer than " + std::to_string(kMaxTokenCode) + " characters");
    std::string_view argument;
    if (after_code != std::string_view::npos) {
        argument = tail.substr(after_code + 1);
        if (argument.empty()) return malformed("the link ends with '_' after the token code");
    }
    StartPayload p;
    p.kind = StartPayload::Kind::deep_link;
    p.deployment_id = *id;
    p.code = std::string(code);
    p.argument = std::string(argument);
    return p;
}

std::string deep_link_payload(Id deployment_id, std::string_view code, std::string_view argument) {
    if (!is_token_code(code))
        throw std::invalid_argument("token code '" + std::string(code) + "' must be 1 to " +
                                    std::to_string(kMaxTokenCode) + " of A-Z a-z 0-9 -");
    for (char c : argument)
        if (!is_link_character(c))
            throw std::invalid_argument("the link argument may carry only A-Z a-z 0-9 _ -");
    std::string payload =
        std::string(kDeepLinkPrefix) + encode_short_id(deployment_id) + "_" + std::string(code);
    if (!argument.empty()) payload += "_" + std::string(argument);
    if (payload.size() > kMaxStartPayload)
        throw std::invalid_argument("the start link would be " + std::to_string(payload.size()) +
                                    " characters long, " + std::to_string(payload.size() - kMaxStartPayload) +
                                    " more than the " + std::to_string(kMaxStartPayload) +
                                    " Telegram allows");
    return payload;
}

std::string deep_link_url(std::string_view bot_username, std::string_view payload) {
    if (!bot_username.empty() && bot_username.front() == '@') bot_username.remove_prefix(1);
    return "https://t.me/" + std::string(bot_username) + "?start=" + std::string(payload);
}

}  // namespace profo::sdk
