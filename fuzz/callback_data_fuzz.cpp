// Callback data comes back from Telegram as the client sent it: anyone can
// forge it. Whatever parses must print back the same way.
#include "engine/outbox_writer.hpp"

#include <profo/sdk/text.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto target = profo::host::parse_callback_data(text)) {
        const auto again =
            profo::host::parse_callback_data(profo::host::callback_data(target->activation, target->index));
        if (!again || again->activation != target->activation || again->index != target->index) std::abort();
    }
    (void)profo::sdk::telegram_length(text);
    return 0;
}
