// A run's state is read from the database for every event, by a reader that
// streams it (engine/run_state.cpp): a damaged or hand-edited row must be
// refused with an exception, never crash the engine, and what it takes must
// write back to text that reads the same.
#include "engine/run_state.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <string>

namespace {

using profo::host::RunState;

std::optional<RunState> read(const std::string& text, RunState (*parse)(const std::string&)) {
    try {
        return parse(text);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

// parse() reads dump()'s own form by a way of its own, and any other through
// parse_streamed(): both must take and refuse the same.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    const auto state = read(text, &RunState::parse);
    const auto streamed = read(text, &RunState::parse_streamed);
    if (state.has_value() != streamed.has_value()) std::abort();
    if (!state) return 0;
    if (state->dump() != streamed->dump() || state->states != streamed->states) std::abort();
    try {
        const auto written = state->dump();
        const auto again = RunState::parse(written);
        if (again.dump() != written || again.dump() != RunState::parse_streamed(written).dump()) std::abort();
    } catch (const std::exception&) {
        std::abort();  // what was read writes text that reads back
    }
    return 0;
}
