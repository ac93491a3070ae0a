// The one piece of logic in the example that deserves a unit test of its own.
#pragma once

#include <string>

namespace profo::examples {

// Replaces every "{answer}" in `reply` with `answer`.
inline std::string fill_reply(std::string reply, const std::string& answer) {
    const std::string marker = "{answer}";
    for (auto at = reply.find(marker); at != std::string::npos; at = reply.find(marker, at + answer.size()))
        reply.replace(at, marker.size(), answer);
    return reply;
}

}  // namespace profo::examples
