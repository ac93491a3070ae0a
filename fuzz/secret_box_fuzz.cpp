// Sealed secrets are read back from the database: open() must refuse
// anything it did not seal (strict base64, then AES-GCM) without crashing,
// under any context; what seal() makes must open to the same bytes under its
// context and under no other.
#include "secrets/secret_box.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const profo::host::AesGcmSecretBox box(std::array<unsigned char, 32>{1, 2, 3});
    std::string_view text(reinterpret_cast<const char*>(data), size);
    // The first byte, when there is one, says how many of the next bytes are the context.
    std::string_view context;
    if (!text.empty()) {
        const std::size_t length =
            std::min<std::size_t>(static_cast<unsigned char>(text[0]), text.size() - 1);
        context = text.substr(1, length);
        text = text.substr(1 + length);
    }
    for (const std::string_view sealed :
         {text, std::string_view(reinterpret_cast<const char*>(data), size)}) {
        try {
            (void)box.open(sealed);
        } catch (const std::runtime_error&) {
        }
        try {
            (void)box.open(sealed, context);
        } catch (const std::runtime_error&) {
        }
    }
    const std::string sealed = box.seal(text, context);
    if (box.open(sealed, context) != text) std::abort();
    try {
        (void)box.open(sealed, std::string(context) + "x");
        std::abort();  // opened under a context it was not sealed for
    } catch (const std::runtime_error&) {
    }
    return 0;
}
