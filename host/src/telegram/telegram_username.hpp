// Telegram usernames as people type them: with or without '@'.
#pragma once

#include <string>
#include <string_view>

namespace profo::host {

// Telegram's rule: 5 to 32 of ASCII letters, digits and '_' (without '@').
bool is_telegram_username(std::string_view name);

// The name without a leading '@'.
std::string without_at_sign(std::string_view name);

}  // namespace profo::host
