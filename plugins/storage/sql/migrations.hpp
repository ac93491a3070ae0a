// The numbered schema migrations and the runner that applies them.
//
// The schema only grows: a released migration is never edited, a change is a
// new migration appended to the list. In the DDL `{id}` is the dialect's
// surrogate key, `{log_id}` the key of an append-only log (see SqlDialect) and
// `{now}` the time of applying; a statement `{refuse_updates TABLE}` is the
// dialect's trigger that makes every UPDATE of TABLE fail.
#pragma once

#include "sql/database.hpp"

#include <profo/sdk/storage.hpp>

#include <optional>
#include <string_view>
#include <vector>

namespace profo::storage_sql {

struct Migration {
    int version;
    std::string_view title;
    std::vector<std::string_view> statements;  // one SQL statement each
};

const std::vector<Migration>& migrations();
int latest_schema_version();

// 0 for a database without schema_migrations.
int read_schema_version(Database& database, Connection& connection);

sdk::MigrationReport migrate(Database& database, std::optional<int> target);

}  // namespace profo::storage_sql
