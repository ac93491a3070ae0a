// Commands as users type them in a chat (`/create@my_bot Intro`), and the
// file name a course is sent back under. Pure: a fuzz target drives them.
#pragma once

#include <optional>
#include <string>

namespace profo::host {

// `/name ARG` (also `/name@bot ARG`) at the start of `text`: the command's
// name in lower case, its argument (the rest of the first line, trimmed) and
// what follows the first line. Nothing when `text` is not a command.
struct ChatCommand {
    std::string name;
    std::string argument;
    std::string body;
};
std::optional<ChatCommand> parse_chat_command(const std::string& text);

// A file name for a course's YAML: its name with what file systems and chat
// clients choke on replaced, `.yml` added.
std::string course_file_name(const std::string& course_name);

}  // namespace profo::host
