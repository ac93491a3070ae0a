// A legacy database of the test's own: the legacy bot's schema
// (docs/legacy-import.md) in a PostgreSQL schema that is dropped afterwards.
#pragma once

#include "emulated_telegram.hpp"

#include <string>

namespace profo::testing {

// The legacy bot's tables, as it creates them.
extern const char* const kLegacySchema;

class LegacyDatabaseFixture {
public:
    LegacyDatabaseFixture();
    std::string dsn() const { return schema_.dsn(); }
    void execute(const std::string& sql) const { schema_.rows(sql); }
    std::string value(const std::string& sql) const;

private:
    PostgresSchema schema_;
};

// "'2024-01-01 10:00:00'" (a naive legacy timestamp) `seconds` from now.
std::string legacy_time_from_now(long long seconds);

}  // namespace profo::testing
