// Element toolkit: checks of the field shapes every element type uses. Each
// check reports into the ValidationReport with the field's path
// ("answers[2].text") and a message naming that path, in the platform's
// wording, and never throws: course files are untrusted input and a hostile
// spec must end up as a report, not a crash.
//
// The pattern of ElementPlugin::compile(): wrap the report in an
// ErrorCountingReport, run the checks, return nullptr if any error was
// reported, else read the checked fields into the type's ElementSpec.
#pragma once

#include <profo/sdk/element.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace profo::elements {

enum class Presence { optional, required };

// Passes every issue on and counts the errors, so compile() knows whether
// the fields can be read into its spec.
class ErrorCountingReport final : public sdk::ValidationReport {
public:
    explicit ErrorCountingReport(sdk::ValidationReport& inner) : inner_(inner) {}
    void add(sdk::ValidationIssue issue) override {
        if (issue.severity == sdk::ValidationIssue::Severity::error) ++errors_;
        inner_.add(std::move(issue));
    }
    bool has_errors() const { return errors_ > 0; }

private:
    sdk::ValidationReport& inner_;
    int errors_ = 0;
};

// The value of `name` in `object`, or nullptr when `object` is not a mapping or
// the field is absent or null (YAML `text:` with nothing after it).
const nlohmann::json* field_value(const nlohmann::json& object, std::string_view name);

// A text field as the student will see it: strings as written, numbers in
// their shortest form (YAML 1.2 reads `- text: 1990` as a number). Empty when
// absent, null, or not text.
std::optional<std::string> text_field(const nlohmann::json& object, std::string_view name);
bool is_text(const nlohmann::json& value);

// "'answers[2].text'": how messages name a field.
std::string field_name(std::string_view path);
// A value shown in a message, cut short so huge hostile strings stay readable.
std::string shown(const nlohmann::json& value);

// The spec must be a mapping; reports under "" otherwise.
bool check_mapping(const nlohmann::json& spec, sdk::ValidationReport& report);

// `prefix` is prepended to `name` in reported paths ("answers[2]." for a
// field of one answer). Returns true when the field is present and valid.
bool check_text(const nlohmann::json& object, std::string_view name, Presence presence,
                sdk::ValidationReport& report, std::string_view prefix = "", std::size_t max_characters = 0);
// A whole number from `min` to `max`; written as a number or as digits.
std::optional<long long> check_integer(const nlohmann::json& object, std::string_view name, Presence presence,
                                       long long min, long long max, sdk::ValidationReport& report,
                                       std::string_view prefix = "");
bool check_flag(const nlohmann::json& object, std::string_view name, sdk::ValidationReport& report,
                std::string_view prefix = "");
// A checked flag's value (sdk::truthy), `fallback` when absent.
bool flag_field(const nlohmann::json& object, std::string_view name, bool fallback);
std::optional<std::chrono::seconds> check_duration(const nlohmann::json& object, std::string_view name,
                                                   Presence presence, sdk::ValidationReport& report,
                                                   std::string_view prefix = "");
bool check_goto(const nlohmann::json& object, std::string_view name, Presence presence,
                const sdk::CourseOutline& course, sdk::ValidationReport& report,
                std::string_view prefix = "");

// The fields elements.md gives every type: parse_mode and link_preview shape
// the text, media goes before it. A type declares which of them it uses.
enum class CommonFields { none, formatting, formatting_and_media };
void check_common_fields(const nlohmann::json& spec, CommonFields common, sdk::ValidationReport& report);

// Fields of a nested mapping (an answer, an option) that its type does not
// know: warnings, like unknown fields of an element.
void warn_unknown_fields(const nlohmann::json& object, std::initializer_list<std::string_view> known,
                         std::string_view prefix, sdk::ValidationReport& report);

}  // namespace profo::elements
