#include "secrets/secret_names.hpp"

#include <algorithm>
#include <cctype>
#include <string>

namespace profo::host {

bool names_a_secret(std::string_view key) {
    std::string lower(key);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return std::tolower(c); });
    for (const char* word : {"key", "token", "secret", "password"})
        if (lower.find(word) != std::string::npos) return true;
    return false;
}

bool is_sealed_setting(std::string_view key) {
    constexpr std::string_view kSuffix = "_sealed";
    return key.size() > kSuffix.size() && key.substr(key.size() - kSuffix.size()) == kSuffix;
}

}  // namespace profo::host
