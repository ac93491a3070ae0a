// A run's state is read from the database for every event, by a reader that
// streams it (engine/run_state.cpp): a damaged or hand-edited row must be
// refused with an exception, never crash the engine, and what it takes must
// write back to text that reads the same.
#include "engine/run_state.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    try {
        const auto state = profo::host::RunState::parse(text);
        const auto written = state.dump();
        if (profo::host::RunState::parse(written).dump() != written) std::abort();
    } catch (const std::exception&) {
    }
    return 0;
}
