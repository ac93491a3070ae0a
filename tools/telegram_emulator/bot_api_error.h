// A Bot API failure as Telegram reports it: the HTTP status equals
// error_code, and descriptions follow the Bot API server's wording.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>

namespace profo::telegram_emulator {

struct BotApiError : std::runtime_error {
    BotApiError(int code, std::string description, int retry_after = 0)
        : std::runtime_error(description),
          code(code),
          description(std::move(description)),
          retry_after(retry_after) {}
    int code;
    std::string description;
    int retry_after;
};

// "Bad Request: <message>" with the Bot API server's casing rule: server
// codes such as BUTTON_DATA_INVALID stay as they are, sentences start lower-case.
inline BotApiError bad_request(std::string_view message) {
    std::string text(message);
    const bool keep = text.size() >= 2 && (text[1] == '_' || (text[1] >= 'A' && text[1] <= 'Z'));
    if (!keep && !text.empty() && text[0] >= 'A' && text[0] <= 'Z')
        text[0] = static_cast<char>(text[0] - 'A' + 'a');
    return BotApiError(400, "Bad Request: " + text);
}

inline BotApiError chat_not_found() {
    return BotApiError(400, "Bad Request: chat not found");
}

}  // namespace profo::telegram_emulator
