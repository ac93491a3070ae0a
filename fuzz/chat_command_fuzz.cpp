// What a user types to a bot is anyone's: a command line must parse into a
// lower-case name, an argument without a line break and the rest verbatim,
// and any course name must become a file name with no separator in it.
#include "engine/chat_command.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    if (const auto command = profo::host::parse_chat_command(text)) {
        if (command->name.empty() || text.front() != '/') std::abort();
        for (const char c : command->name)
            if (c >= 'A' && c <= 'Z') std::abort();
        if (command->argument.find('\n') != std::string::npos) std::abort();
        if (command->body.size() >= text.size()) std::abort();
        if (!command->body.empty() && text.compare(text.size() - command->body.size(), std::string::npos,
                                                   command->body) != 0)
            std::abort();
    }
    const auto file = profo::host::course_file_name(text);
    if (file.size() < 5 || file.size() > 124 || file.compare(file.size() - 4, 4, ".yml") != 0) std::abort();
    if (file.find_first_of("/\\\n\r") != std::string::npos) std::abort();
    return 0;
}
