// Course texts are written by people and imported from files: the split of
// a long one must end, and cut only between characters, whatever the markup.
#include "text/formatted_split.hpp"

#include <profo/sdk/text.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    static constexpr std::string_view kModes[] = {"", "HTML", "MARKDOWN", "MarkdownV2"};
    const auto mode = kModes[data[0] % 4];
    const std::size_t limit = 1 + data[1] % 64;
    const std::string_view text(reinterpret_cast<const char*>(data) + 2, size - 2);
    const auto parts = profo::host::split_formatted_text(text, mode, limit);
    const bool valid = profo::sdk::valid_utf8(text);
    for (const auto& part : parts) {
        if (part.empty()) std::abort();
        // A cut between two characters leaves every part valid UTF-8.
        if (valid && !profo::sdk::valid_utf8(part)) std::abort();
    }
    return 0;
}
