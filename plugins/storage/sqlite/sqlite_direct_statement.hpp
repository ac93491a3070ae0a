// The SQLite dialect's DirectStatement: a statement prepared with SQLite's
// own API on the connection SOCI opened, bound and read without SOCI's
// exchange layer.
#pragma once

#include "sql/statement.hpp"

#include <memory>
#include <string>

namespace soci {
class session;
}
namespace sqlite_api {  // SOCI's name for SQLite's C API
struct sqlite3;
}

namespace profo::storage_sqlite {

// The SQLite connection of `session`, an open SOCI sqlite3 session.
sqlite_api::sqlite3* native_connection(soci::session& session);

// Prepares `sql` (one statement) on `session`, an open SOCI sqlite3 session.
// Throws soci::sqlite3_soci_error when SQLite refuses it, std::logic_error
// when `sql` holds more than one statement.
std::unique_ptr<storage_sql::DirectStatement> prepare_direct_statement(soci::session& session,
                                                                       const std::string& sql);

}  // namespace profo::storage_sqlite
