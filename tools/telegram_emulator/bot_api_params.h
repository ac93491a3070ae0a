// The parameters of one Bot API call, however the client sent them: a JSON
// body, an application/x-www-form-urlencoded body, multipart/form-data (file
// uploads) or the query string. Form values are strings; the getters convert
// the way the Bot API does ("true"/"1", numbers in strings, JSON-serialized
// objects such as reply_markup).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace profo::telegram_emulator {

struct UploadedFile {
    std::string filename;
    std::string content_type;
    std::size_t size = 0;
};

class BotApiParams {
public:
    // Throws std::invalid_argument with a Bot API description when the body
    // cannot be read (e.g. malformed JSON).
    static BotApiParams parse(std::string_view content_type, std::string_view body, std::string_view query);

    bool has(const std::string& key) const;
    // The value as the client wrote it: strings as they are, other JSON as text.
    std::optional<std::string> string(const std::string& key) const;
    // Integers given as JSON numbers or decimal strings; nullopt when absent,
    // std::invalid_argument when present but not an integer.
    std::optional<std::int64_t> integer(const std::string& key) const;
    std::optional<double> number(const std::string& key) const;
    bool boolean(const std::string& key, bool fallback = false) const;
    // A JSON value given inline (JSON body) or serialized in a string (form).
    // Throws std::invalid_argument when the string is not JSON.
    std::optional<nlohmann::json> json_value(const std::string& key) const;
    const UploadedFile* file(const std::string& key) const;

    const nlohmann::json& all() const { return values_; }

private:
    nlohmann::json values_ = nlohmann::json::object();
    std::map<std::string, UploadedFile> files_;
};

std::string url_decode(std::string_view s);
// Splits a=b&c=d into the object (later keys win, as in the Bot API).
void parse_urlencoded(std::string_view s, nlohmann::json& into);

}  // namespace profo::telegram_emulator
