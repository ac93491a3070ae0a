// The text after /start comes from anyone: a forged link or a student typing.
// Whatever parses as a deep link must be written back to the same text, and
// nothing may be read from a payload longer than a start link can be.
#include <profo/sdk/deep_link.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using profo::sdk::StartPayload;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    const auto parsed = profo::sdk::parse_start_payload(text);
    if (parsed.kind != StartPayload::Kind::malformed && size > profo::sdk::kMaxStartPayload) std::abort();
    if (parsed.kind == StartPayload::Kind::malformed && parsed.problem.empty()) std::abort();
    if (parsed.kind == StartPayload::Kind::deep_link) {
        if (profo::sdk::deep_link_payload(parsed.deployment_id, parsed.code, parsed.argument) != text)
            std::abort();
    }
    if (parsed.kind == StartPayload::Kind::legacy && parsed.alias.empty()) std::abort();
    if (const auto id = profo::sdk::decode_short_id(text)) {
        if (*id <= 0 || profo::sdk::encode_short_id(*id) != text) std::abort();
    }
    return 0;
}
