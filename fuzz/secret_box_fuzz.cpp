// Sealed secrets are read back from the database: open() must refuse
// anything it did not seal (strict base64, then AES-GCM) without crashing,
// and what seal() makes must open to the same bytes.
#include "secrets/secret_box.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const profo::host::AesGcmSecretBox box(std::array<unsigned char, 32>{1, 2, 3});
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        (void)box.open(text);
    } catch (const std::runtime_error&) {
    }
    if (box.open(box.seal(text)) != text) std::abort();
    return 0;
}
