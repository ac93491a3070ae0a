#include "engine/chat_command.hpp"

#include <profo/sdk/text.hpp>

#include <algorithm>
#include <cctype>
#include <string_view>

namespace profo::host {

namespace {}  // namespace

std::optional<ChatCommand> parse_chat_command(const std::string& text) {
    if (text.empty() || text.front() != '/') return std::nullopt;
    const auto line_end = text.find('\n');
    const std::string line = text.substr(0, line_end);
    std::size_t i = 1;
    while (i < line.size() && (std::isalnum(static_cast<unsigned char>(line[i])) != 0 || line[i] == '_')) ++i;
    if (i == 1) return std::nullopt;
    ChatCommand command;
    command.name = line.substr(1, i - 1);
    std::transform(command.name.begin(), command.name.end(), command.name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (i < line.size() && line[i] == '@')  // the bot's username, as group clients add it
        while (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) == 0) ++i;
    if (i < line.size() && std::isspace(static_cast<unsigned char>(line[i])) == 0) return std::nullopt;
    command.argument = std::string(sdk::trim(std::string_view(line).substr(i)));
    if (line_end != std::string::npos) command.body = text.substr(line_end + 1);
    return command;
}

std::string course_file_name(const std::string& course_name) {
    std::string name;
    for (const char c : course_name) {
        const auto u = static_cast<unsigned char>(c);
        // Bytes of UTF-8 letters pass as they are; separators and controls do not.
        const bool unsafe =
            u < 0x20 || u == 0x7f || std::string_view("/\\:*?\"<>| ").find(c) != std::string_view::npos;
        name += unsafe ? '_' : c;
    }
    if (name.size() > 120) {
        name.resize(120);
        while (!name.empty() && (static_cast<unsigned char>(name.back()) & 0xC0) == 0x80) name.pop_back();
        if (!name.empty() && static_cast<unsigned char>(name.back()) >= 0xC0) name.pop_back();
    }
    if (name.empty()) name = "course";
    return name + ".yml";
}

}  // namespace profo::host
