// What a Bot API client sends the emulator comes from anyone: a client under
// test, a script, a hostile one. The parameters (JSON, form, multipart, query
// string), the text with its parse_mode and the reply_markup are read as the
// emulator reads a call; none may crash it, and parsed entities must lie
// inside the text they describe.
#include "bot_api_error.h"
#include "bot_api_params.h"
#include "reply_markup.h"
#include "text_entities.h"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

using namespace profo::telegram_emulator;

void check_entities(const EntityParseResult& parsed) {
    if (!parsed.ok()) return;
    const auto units = static_cast<std::int64_t>(utf16_length(parsed.value.text));
    for (const auto& entity : parsed.value.entities) {
        const auto offset = entity.at("offset").get<std::int64_t>();
        const auto length = entity.at("length").get<std::int64_t>();
        if (offset < 0 || length <= 0 || offset + length > units) std::abort();
    }
}

void read_call(std::string_view content_type, std::string_view body, std::string_view query) {
    BotApiParams params;
    try {
        params = BotApiParams::parse(content_type, body, query);
    } catch (const std::invalid_argument&) {
        return;  // answered 400 with the reason
    }
    try {
        (void)params.integer("chat_id");
        (void)params.number("latitude");
        (void)params.boolean("disable_notification");
    } catch (const std::invalid_argument&) {
    }
    // The control API's numbers (/_emulator/config) come the same way.
    for (const auto& [key, value] : params.all().items()) {
        try {
            const auto n = whole_number_in(value, key, -5, 1'000'000);
            if (n < -5 || n > 1'000'000) std::abort();
        } catch (const std::invalid_argument&) {
        }
    }
    const auto text = params.string("text");
    const auto mode = params.string("parse_mode");
    if (text) check_entities(parse_formatted(*text, mode.value_or("")));
    try {
        if (const auto markup = params.json_value("reply_markup")) {
            const auto read = parse_reply_markup(*markup);
            if (!read.inline_keyboard.is_null()) check_inline_keyboard(read.inline_keyboard);
        }
    } catch (const std::invalid_argument&) {
    } catch (const BotApiError&) {
    }
}

}  // namespace

// The first byte picks what the rest is: a call's body of one content type
// (then '\0' splits the body from the query string), or a text for a parser.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto split = rest.find('\0');
    const auto body = rest.substr(0, split);
    const auto query = split == std::string_view::npos ? std::string_view() : rest.substr(split + 1);
    switch (data[0] % 6) {
        case 0: read_call("application/json", body, query); break;
        case 1: read_call("application/x-www-form-urlencoded", body, query); break;
        case 2: read_call("multipart/form-data; boundary=XyZ", body, query); break;
        case 3: read_call("", body, query); break;
        case 4: check_entities(parse_html(rest)); break;
        default: check_entities(parse_markdown_v2(rest)); break;
    }
    return 0;
}
