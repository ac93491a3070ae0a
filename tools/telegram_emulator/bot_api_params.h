// The parameters of one Bot API call, however the client sent them: a JSON
// body, an application/x-www-form-urlencoded body, multipart/form-data (file
// uploads) or the query string. Form values are strings; the getters convert
// the way the Bot API does ("true"/"1", numbers in strings, JSON-serialized
// objects such as reply_markup).
#pragma once

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace profo::telegram_emulator {

// A multipart part that came with a filename: an uploaded file.
struct UploadedFile {
    std::string filename;      // as the client named it (may be empty)
    std::string content_type;  // the part's Content-Type; application/octet-stream when absent
    std::string content;       // the bytes
};

class BotApiParams {
public:
    // Throws std::invalid_argument with a Bot API description when the body
    // cannot be read (malformed JSON or multipart/form-data).
    static BotApiParams parse(std::string_view content_type, std::string_view body, std::string_view query);

    bool has(const std::string& key) const;
    // The value as the client wrote it: strings as they are, other JSON as text.
    std::optional<std::string> string(const std::string& key) const;
    // Integers given as JSON numbers or decimal strings; nullopt when absent,
    // std::invalid_argument when present but not an integer.
    std::optional<std::int64_t> integer(const std::string& key) const;
    // As the Bot API server reads getUpdates' numbers: the leading digits of
    // the value's text (2.5 is 2, "x" is 0), `fallback` when absent or empty.
    std::int64_t leading_integer(const std::string& key, std::int64_t fallback) const;
    std::optional<double> number(const std::string& key) const;
    bool boolean(const std::string& key, bool fallback = false) const;
    // A JSON value given inline (JSON body) or serialized in a string (form).
    // Throws std::invalid_argument when the string is not JSON.
    std::optional<nlohmann::json> json_value(const std::string& key) const;
    const UploadedFile* file(const std::string& key) const;
    const std::map<std::string, UploadedFile>& files() const { return files_; }

    const nlohmann::json& all() const { return values_; }

private:
    nlohmann::json values_ = nlohmann::json::object();
    std::map<std::string, UploadedFile> files_;
};

// A whole number from `least` to `most` in a request to the emulator's own
// control API (a JSON number, or its decimal text): std::invalid_argument
// naming `key` otherwise, never a value wrapped round or cast out of range.
std::int64_t whole_number_in(const nlohmann::json& value, const std::string& key, std::int64_t least,
                             std::int64_t most);
// A time of the control API in milliseconds: a whole number from 0 to a
// day's worth, which is beyond any test's wait.
std::chrono::milliseconds control_milliseconds(const nlohmann::json& value, const std::string& key);

std::string url_decode(std::string_view s);
// Splits a=b&c=d into the object (later keys win, as in the Bot API).
void parse_urlencoded(std::string_view s, nlohmann::json& into);
// Reads a multipart/form-data body the way the Bot API server (TDLib's
// HttpReader) does: parts with a filename are files, other parts are values.
// Throws std::invalid_argument with the server's description when malformed.
void parse_multipart(std::string_view content_type, std::string_view body, nlohmann::json& values,
                     std::map<std::string, UploadedFile>& files);

}  // namespace profo::telegram_emulator
