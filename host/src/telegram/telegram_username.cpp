#include "telegram/telegram_username.hpp"

#include <algorithm>

namespace profo::host {

bool is_telegram_username(std::string_view name) {
    return name.size() >= 5 && name.size() <= 32 && std::all_of(name.begin(), name.end(), [](char c) {
               return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
           });
}

std::string without_at_sign(std::string_view name) {
    if (!name.empty() && name.front() == '@') name.remove_prefix(1);
    return std::string(name);
}

}  // namespace profo::host
