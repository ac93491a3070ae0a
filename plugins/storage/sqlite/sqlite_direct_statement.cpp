#include "sqlite_direct_statement.hpp"

#include <soci/session.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cctype>
#include <stdexcept>
#include <string_view>

namespace profo::storage_sqlite {
namespace {

using storage_sql::ColumnType;
using storage_sql::StatementValue;

class SqliteDirectStatement final : public storage_sql::DirectStatement {
public:
    SqliteDirectStatement(sqlite_api::sqlite3* db, const std::string& sql) : db_(db) {
        const char* tail = nullptr;
        // Persistent: prepared once per connection and run for its lifetime.
        const int rc = sqlite_api::sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()) + 1,
                                                      SQLITE_PREPARE_PERSISTENT, &statement_, &tail);
        if (rc != SQLITE_OK) {
            const std::string message = sqlite_api::sqlite3_errmsg(db_);
            sqlite_api::sqlite3_finalize(statement_);
            throw soci::sqlite3_soci_error("cannot prepare \"" + sql + "\": " + message, rc);
        }
        for (const char* p = tail; p != nullptr && *p != '\0'; ++p)
            if (std::isspace(static_cast<unsigned char>(*p)) == 0 && *p != ';') {
                sqlite_api::sqlite3_finalize(statement_);
                throw std::logic_error("more than one statement in \"" + sql + "\"");
            }
        if (statement_ == nullptr) throw std::logic_error("no statement in \"" + sql + "\"");
        parameter_count_ = static_cast<std::size_t>(sqlite_api::sqlite3_bind_parameter_count(statement_));
    }
    ~SqliteDirectStatement() override { sqlite_api::sqlite3_finalize(statement_); }
    SqliteDirectStatement(const SqliteDirectStatement&) = delete;
    SqliteDirectStatement& operator=(const SqliteDirectStatement&) = delete;

    bool execute(const std::vector<StatementValue>& parameters,
                 std::vector<StatementValue>& columns) override {
        // What an earlier run left (a row not read to the end, an error) is
        // reported by reset, and was reported when it happened.
        sqlite_api::sqlite3_reset(statement_);
        if (parameters.size() != parameter_count_)
            throw std::logic_error("statement takes " + std::to_string(parameter_count_) +
                                   " parameters, got " + std::to_string(parameters.size()) + ": " +
                                   sqlite_api::sqlite3_sql(statement_));
        for (std::size_t i = 0; i < parameters.size(); ++i) bind(static_cast<int>(i) + 1, parameters[i]);
        if (columns.empty()) {
            // Run to the end: a statement's effect (and RETURNING's rows,
            // unread) is complete only then.
            while (step()) {
            }
            return false;
        }
        return fetch(columns);
    }

    bool fetch(std::vector<StatementValue>& columns) override {
        if (!step()) return false;
        const int available = sqlite_api::sqlite3_column_count(statement_);
        if (static_cast<std::size_t>(available) < columns.size())
            throw std::logic_error("the statement returns " + std::to_string(available) + " columns, " +
                                   std::to_string(columns.size()) +
                                   " are read: " + sqlite_api::sqlite3_sql(statement_));
        for (std::size_t i = 0; i < columns.size(); ++i) read(static_cast<int>(i), columns[i]);
        return true;
    }

    // Releases the read snapshot an unfinished statement holds (which would
    // keep the log from being checkpointed).
    void finish() override { sqlite_api::sqlite3_reset(statement_); }

    long long affected_rows() override { return sqlite_api::sqlite3_changes64(db_); }

private:
    void bind(int position, const StatementValue& value) {
        int rc = SQLITE_OK;
        if (value.indicator == soci::i_null) {
            rc = sqlite_api::sqlite3_bind_null(statement_, position);
        } else {
            switch (value.type) {
                case ColumnType::integer:
                    rc = sqlite_api::sqlite3_bind_int64(statement_, position, value.integer);
                    break;
                case ColumnType::real:
                    rc = sqlite_api::sqlite3_bind_double(statement_, position, value.real);
                    break;
                case ColumnType::text:
                    // Static: the value stays put until the statement runs
                    // again with new ones (PreparedStatement's slots).
                    rc = sqlite_api::sqlite3_bind_text64(statement_, position, value.text.data(),
                                                         value.text.size(), SQLITE_STATIC, SQLITE_UTF8);
                    break;
            }
        }
        if (rc != SQLITE_OK) fail(rc);
    }

    void read(int column, StatementValue& value) const {
        if (sqlite_api::sqlite3_column_type(statement_, column) == SQLITE_NULL) {
            value.indicator = soci::i_null;
            return;
        }
        value.indicator = soci::i_ok;
        switch (value.type) {
            case ColumnType::integer:
                value.integer = sqlite_api::sqlite3_column_int64(statement_, column);
                break;
            case ColumnType::real: value.real = sqlite_api::sqlite3_column_double(statement_, column); break;
            case ColumnType::text: {
                const auto* text = sqlite_api::sqlite3_column_text(statement_, column);
                const int bytes = sqlite_api::sqlite3_column_bytes(statement_, column);
                value.text.assign(reinterpret_cast<const char*>(text), static_cast<std::size_t>(bytes));
                break;
            }
        }
    }

    // True on a row, false at the end.
    bool step() {
        const int rc = sqlite_api::sqlite3_step(statement_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(rc);
    }

    [[noreturn]] void fail(int rc) {
        const std::string message = sqlite_api::sqlite3_errmsg(db_);
        sqlite_api::sqlite3_reset(statement_);
        throw soci::sqlite3_soci_error(message, rc);
    }

    sqlite_api::sqlite3* db_;
    sqlite_api::sqlite3_stmt* statement_ = nullptr;
    std::size_t parameter_count_ = 0;
};

}  // namespace

sqlite_api::sqlite3* native_connection(soci::session& session) {
    return static_cast<soci::sqlite3_session_backend*>(session.get_backend())->conn_;
}

std::unique_ptr<storage_sql::DirectStatement> prepare_direct_statement(soci::session& session,
                                                                       const std::string& sql) {
    return std::make_unique<SqliteDirectStatement>(native_connection(session), sql);
}

}  // namespace profo::storage_sqlite
