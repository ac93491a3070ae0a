// The signed part of an external start link comes from anyone who can type
// /start: it must be refused with a reason, never crash, and whatever
// verifies must be what signing the same claims writes.
#include "external/external_link.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace profo::enrollment;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    if (const auto bytes = base64url_decode(text)) {
        if (base64url_encode(*bytes) != text) std::abort();
    }
    const std::string key(32, '\x42');
    const auto verdict = verify_external(key, 7, "Ab12Cd", text);
    if (verdict.claims) {
        if (sign_external(key, 7, "Ab12Cd", *verdict.claims) != text) std::abort();
    } else if (verdict.problem.empty()) {
        std::abort();
    }
    return 0;
}
