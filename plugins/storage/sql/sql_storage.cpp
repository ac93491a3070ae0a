#include "sql/sql_storage.hpp"

#include "sql/database.hpp"
#include "sql/migrations.hpp"
#include "sql/transaction.hpp"

namespace profo::storage_sql {
namespace {

class SqlStorage final : public sdk::Storage {
public:
    explicit SqlStorage(std::unique_ptr<SqlDialect> dialect)
        : database_(std::make_shared<Database>(std::move(dialect))) {}

    std::string backend() const override { return database_->dialect().backend(); }

    std::unique_ptr<sdk::StorageTx> begin() override {
        return std::make_unique<SqlTransaction>(database_, TxKind::synced);
    }
    std::unique_ptr<sdk::StorageTx> begin_unsynced() override {
        return std::make_unique<SqlTransaction>(database_, TxKind::unsynced);
    }
    std::unique_ptr<sdk::StorageTx> begin_read() override {
        return std::make_unique<SqlTransaction>(database_, TxKind::read);
    }

    sdk::MigrationReport migrate(std::optional<int> target) override {
        return storage_sql::migrate(*database_, target);
    }

    int schema_version() override {
        auto lease = database_->acquire();
        try {
            return read_schema_version(*database_, lease.connection());
        } catch (...) {
            database_->raise_current(lease.connection(), "schema_version",
                                     [](DbFailure) { return std::optional<Explanation>(); });
        }
    }

    int latest_schema_version() const override { return storage_sql::latest_schema_version(); }

    std::string durability() override {
        auto lease = database_->acquire();
        try {
            return database_->dialect().durability(*lease.connection().session);
        } catch (...) {
            database_->raise_current(lease.connection(), "durability",
                                     [](DbFailure) { return std::optional<Explanation>(); });
        }
    }

private:
    // Shared with open transactions, so one that outlives this object still
    // has its connection.
    std::shared_ptr<Database> database_;
};

}  // namespace

std::unique_ptr<sdk::Storage> open_storage(std::unique_ptr<SqlDialect> dialect) {
    return std::make_unique<SqlStorage>(std::move(dialect));
}

}  // namespace profo::storage_sql
