#include "http/http_target.hpp"

#include <profo/sdk/form.hpp>

namespace profo::host {

std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> out;
    path.remove_prefix(1);
    for (;;) {
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash + 1);
    }
    return out;
}

std::optional<RequestTarget> parse_request_target(std::string_view target) {
    const auto question = target.find('?');
    const auto raw_path = target.substr(0, question);
    if (raw_path.empty() || raw_path.front() != '/') return std::nullopt;
    RequestTarget out;
    out.raw_path = std::string(raw_path);
    if (question != std::string_view::npos) out.query = std::string(target.substr(question + 1));
    auto path = sdk::percent_decode(raw_path);
    if (!path) return std::nullopt;
    out.path = std::move(*path);
    for (auto raw : split_path(raw_path)) {
        auto decoded = sdk::percent_decode(raw);
        if (!decoded) return std::nullopt;
        out.segments.push_back(std::move(*decoded));
    }
    return out;
}

}  // namespace profo::host
