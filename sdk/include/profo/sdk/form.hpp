// application/x-www-form-urlencoded text (query strings, form bodies, Telegram
// initData), decoded one way for the host and every plugin.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace profo::sdk {

// Decodes %XX escapes (and, in form encoding, '+' as a space); empty on a
// broken %-escape. URL paths use it without `plus_is_space`.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space = false);

// Decodes %XX escapes and '+' as a space. Throws std::invalid_argument on a
// broken %-escape.
std::string form_decode(std::string_view text);

// The key/value pairs of `a=1&b=2`, decoded; a key without '=' has an empty
// value, empty pairs are skipped. Throws std::invalid_argument on a broken
// escape or a key that appears twice (a signed form must not be ambiguous).
std::map<std::string, std::string> parse_form(std::string_view text);

}  // namespace profo::sdk
