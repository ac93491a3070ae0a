#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/toolkit/element_messages.hpp>

#include <profo/sdk/course_values.hpp>
#include <profo/sdk/text.hpp>

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace profo::elements {

namespace {

std::string path_of(std::string_view prefix, std::string_view name) {
    std::string path(prefix);
    path += name;
    return path;
}

}  // namespace

const nlohmann::json* field_value(const nlohmann::json& object, std::string_view name) {
    if (!object.is_object()) return nullptr;
    auto it = object.find(name);
    if (it == object.end() || it->is_null()) return nullptr;
    return &*it;
}

namespace {

// The field's value, or null when it is absent (reported when required).
const nlohmann::json* present_field(const nlohmann::json& object, std::string_view name, Presence presence,
                                    const std::string& path, sdk::ValidationReport& report) {
    const nlohmann::json* value = field_value(object, name);
    if (value == nullptr && presence == Presence::required)
        report.error(path, field_name(path) + " is required");
    return value;
}

}  // namespace

bool is_text(const nlohmann::json& value) {
    return value.is_string() || value.is_number();
}

std::optional<std::string> text_field(const nlohmann::json& object, std::string_view name) {
    const nlohmann::json* value = field_value(object, name);
    if (value == nullptr || !is_text(*value)) return std::nullopt;
    return sdk::scalar_text(*value);
}

std::string field_name(std::string_view path) {
    return "'" + std::string(path) + "'";
}

std::string shown(const nlohmann::json& value) {
    constexpr std::size_t kMaxShown = 40;
    // Course files are untrusted: bytes that are not UTF-8 are shown replaced, never thrown at.
    std::string text = value.is_string()
                           ? value.get<std::string>()
                           : value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    if (text.size() > kMaxShown) {
        std::size_t cut = kMaxShown;
        while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
        text = text.substr(0, cut) + "...";
    }
    return "'" + text + "'";
}

bool check_mapping(const nlohmann::json& spec, sdk::ValidationReport& report) {
    if (spec.is_object()) return true;
    report.error("", "an element must be a mapping of fields, not " + shown(spec));
    return false;
}

bool check_text(const nlohmann::json& object, std::string_view name, Presence presence,
                sdk::ValidationReport& report, std::string_view prefix, std::size_t max_characters) {
    const std::string path = path_of(prefix, name);
    const nlohmann::json* value = present_field(object, name, presence, path, report);
    if (value == nullptr) return false;
    if (!is_text(*value)) {
        report.error(path, field_name(path) + " must be text, not " + shown(*value));
        return false;
    }
    const std::string text = *sdk::scalar_text(*value);
    if (presence == Presence::required && text.find_first_not_of(" \t\r\n") == std::string::npos) {
        report.error(path, field_name(path) + " must not be empty");
        return false;
    }
    if (max_characters > 0 && sdk::telegram_length(text) > max_characters) {
        report.error(path, field_name(path) + " must be at most " + std::to_string(max_characters) +
                               " characters (has " + std::to_string(sdk::telegram_length(text)) + ")");
        return false;
    }
    return true;
}

bool check_flag(const nlohmann::json& object, std::string_view name, sdk::ValidationReport& report,
                std::string_view prefix) {
    const nlohmann::json* value = field_value(object, name);
    if (value == nullptr) return false;
    if (sdk::truthy(*value).has_value()) return true;
    const std::string path = path_of(prefix, name);
    report.error(path, field_name(path) + " must be yes or no, not " + shown(*value));
    return false;
}

bool flag_field(const nlohmann::json& object, std::string_view name, bool fallback) {
    const nlohmann::json* value = field_value(object, name);
    if (value == nullptr) return fallback;
    return sdk::truthy(*value).value_or(fallback);
}

std::optional<long long> check_integer(const nlohmann::json& object, std::string_view name, Presence presence,
                                       long long min, long long max, sdk::ValidationReport& report,
                                       std::string_view prefix) {
    const std::string path = path_of(prefix, name);
    const nlohmann::json* value = present_field(object, name, presence, path, report);
    if (value == nullptr) return std::nullopt;
    const std::optional<long long> number = sdk::course_whole_number(*value);
    if (!number || *number < min || *number > max) {
        report.error(path, field_name(path) + " must be a whole number from " + std::to_string(min) + " to " +
                               std::to_string(max) + ", not " + shown(*value));
        return std::nullopt;
    }
    return number;
}

std::optional<std::chrono::seconds> check_duration(const nlohmann::json& object, std::string_view name,
                                                   Presence presence, sdk::ValidationReport& report,
                                                   std::string_view prefix) {
    const std::string path = path_of(prefix, name);
    const nlohmann::json* value = present_field(object, name, presence, path, report);
    if (value == nullptr) return std::nullopt;
    std::optional<std::chrono::seconds> duration;
    if (value->is_string()) duration = sdk::parse_duration(value->get<std::string>());
    if (!duration)
        report.error(path, field_name(path) +
                               " must be a duration such as 30s, 2m, 1h:30m or 1d:2h:3m:4s, not " +
                               shown(*value));
    return duration;
}

bool check_goto(const nlohmann::json& object, std::string_view name, Presence presence,
                const sdk::CourseOutline& course, sdk::ValidationReport& report, std::string_view prefix) {
    const std::string path = path_of(prefix, name);
    const nlohmann::json* value = present_field(object, name, presence, path, report);
    if (value == nullptr) return false;
    if (!is_text(*value)) {
        report.error(path, field_name(path) + " must be an element id, not " + shown(*value));
        return false;
    }
    const std::string target = *sdk::scalar_text(*value);
    if (!course.has_element(target)) {
        report.error(path, field_name(path) + " goes to " + shown(target) +
                               ", which is not an element of this course");
        return false;
    }
    return true;
}

namespace {

// What Telegram takes for a file to send: an http(s) URL it downloads, or
// the id of a file it already has (letters, digits, '-' and '_', a few dozen
// of them). Anything else ('pic.jpg', 'asd') it refuses when the student is
// due to see it.
bool telegram_takes_as_file(std::string_view entry) {
    for (const std::string_view scheme : {"http://", "https://"})
        if (entry.size() > scheme.size() && boost::algorithm::istarts_with(entry, scheme)) return true;
    return entry.size() >= 20 && std::all_of(entry.begin(), entry.end(), [](unsigned char c) {
               return std::isalnum(c) || c == '-' || c == '_';
           });
}

}  // namespace

void check_common_fields(const nlohmann::json& spec, CommonFields common, sdk::ValidationReport& report) {
    if (common == CommonFields::none) return;
    if (const nlohmann::json* mode = field_value(spec, "parse_mode")) {
        if (!mode->is_string() || !canonical_parse_mode(mode->get<std::string>()))
            report.error("parse_mode",
                         "'parse_mode' must be HTML, HTML!, MARKDOWN or MarkdownV2, not " + shown(*mode));
    }
    check_flag(spec, "link_preview", report);
    if (common != CommonFields::formatting_and_media) return;
    const nlohmann::json* urls = field_value(spec, "media");
    if (urls == nullptr) return;
    if (!urls->is_array()) {
        report.error("media", "'media' must be a list of URLs, not " + shown(*urls));
        return;
    }
    for (std::size_t i = 0; i < urls->size(); ++i) {
        const nlohmann::json& url = (*urls)[i];
        const std::string path = "media[" + std::to_string(i) + "]";
        if (!url.is_string() || url.get<std::string>().empty())
            report.error(path, field_name(path) + " must be a URL, not " + shown(url));
        else if (!telegram_takes_as_file(url.get<std::string>()))
            report.warning(path, field_name(path) + " is " + shown(url) +
                                     ": neither an http(s) URL nor a Telegram file id, so Telegram will "
                                     "refuse to send it");
    }
}

void warn_unknown_fields(const nlohmann::json& object, std::initializer_list<std::string_view> known,
                         std::string_view prefix, sdk::ValidationReport& report) {
    if (!object.is_object()) return;
    for (const auto& [key, value] : object.items()) {
        bool is_known = false;
        for (std::string_view k : known) is_known = is_known || k == key;
        if (!is_known) {
            const std::string path = path_of(prefix, key);
            report.warning(path, "unknown field " + field_name(path) + " is kept but not used");
        }
    }
}

}  // namespace profo::elements
