// Outbox rows are read back by every transport: a row another build wrote,
// or a damaged one, must be refused with a reason, never crash the sender.
// Whatever reads must write back to something that reads the same.
#include <profo/sdk/outbound.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto message = profo::sdk::outbound_from_json(text);
        if (!(profo::sdk::outbound_from_json(profo::sdk::to_json(message)) == message)) std::abort();
    } catch (const profo::sdk::OutboundFormatError&) {
    }
    return 0;
}
