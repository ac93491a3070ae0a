// sdk::Storage over SOCI, shared by the sqlite and postgres plugins: each
// plugin supplies its SqlDialect, this library does the rest.
#pragma once

#include "sql/dialect.hpp"

#include <profo/sdk/storage.hpp>

#include <memory>

namespace profo::storage_sql {

// Opens every connection of the pool; throws StorageError(unavailable) when the
// database cannot be reached. Does not migrate.
std::unique_ptr<sdk::Storage> open_storage(std::unique_ptr<SqlDialect> dialect);

}  // namespace profo::storage_sql
