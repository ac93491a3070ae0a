// An incoming request as the server reads it: Beast's parser with the
// server's limits, then the target split into path, segments and query.
#include "http/http_target.hpp"

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace http = boost::beast::http;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    (void)profo::host::parse_request_target(text);

    http::request_parser<http::string_body> parser;
    parser.header_limit(16 * 1024);
    parser.body_limit(1024 * 1024);
    parser.eager(true);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(text.data(), text.size()), ec);
    if (ec || !parser.is_header_done()) return 0;
    const auto target = parser.get().target();
    const auto parsed = profo::host::parse_request_target(std::string_view(target.data(), target.size()));
    // Every segment came from the path: together they cannot be longer.
    if (parsed) {
        std::size_t total = 0;
        for (const auto& s : parsed->segments) total += s.size();
        if (total > parsed->path.size()) std::abort();
    }
    return 0;
}
