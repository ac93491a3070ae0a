// Where an active legacy run goes on (docs/legacy-import.md, "Runs"): the
// legacy bot's position is the element of the run's newest conversation row,
// and a pending delay says where and when the chat continues. The new bot
// cannot take answers to messages the legacy bot sent (their buttons mean
// nothing to it), so a run waiting for an answer is brought back by entering
// that element again, which sends it anew.
#pragma once

#include "legacy/legacy_database.hpp"

#include <profo/sdk/records.hpp>

#include <optional>
#include <string>
#include <vector>

namespace profo::host::legacy {

struct ResumePlan {
    enum class Kind {
        enter,      // a timer enters `enter` at `due` (nothing: at once)
        stay,       // the run waits at `cursor` for good (a delay with neither wait nor goto)
        completed,  // it reached its end
        lost,       // its position is not in the course: `problem` says why
    };
    Kind kind = Kind::lost;
    std::string cursor;  // the element the run is stored at
    std::string enter;
    std::optional<EpochMillis> due;
    std::string problem;
};

// Whether the element waits for the student (a reply, a button, a poll, a
// Mini App answer), as docs/elements.md "Types at a glance" says.
bool waits_for_answer(const sdk::CourseElement& element);

// `elements` in course order; `position` the element id of the run's newest
// conversation row (empty when it has none); `waiting` its pending delay.
ResumePlan plan_resume(const std::vector<sdk::CourseElement>& elements, const std::string& position,
                       const LegacyWaiting* waiting);

}  // namespace profo::host::legacy
