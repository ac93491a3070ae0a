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
        const profo::host::ButtonOwner owner{target->activation, target->run_id.value_or(0)};
        const auto printed = profo::host::callback_data(owner, target->index);
        const auto again = profo::host::parse_callback_data(printed);
        if (!again || again->activation != target->activation || again->index != target->index ||
            again->run_id != target->run_id || printed.size() > 64)
            std::abort();
    }
    (void)profo::sdk::telegram_length(text);
    return 0;
}
