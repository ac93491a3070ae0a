// URLs plugins hand the outbound HTTP client (from course files and settings).
#include "http/http_client.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        const auto url = profo::host::parse_http_url(text);
        if (url.host.empty() || url.port.empty() || url.target.empty() || url.target.front() != '/')
            std::abort();
    } catch (const profo::sdk::HttpClientError&) {
    }
    return 0;
}
