// Statements prepared once per connection and executed many times with fresh
// values: the engine's hot path (runs, conversation, outbox, timers) runs a few
// of them per event, so parsing SQL on every call would dominate its cost.
#pragma once

#include <soci/soci-backend.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <vector>

namespace soci {
class session;
class statement;
}  // namespace soci

namespace profo::storage_sql {

class SqlDialect;

enum class ColumnType : char { integer, real, text };

struct ColumnDef {
    std::string_view name;
    ColumnType type;
};

// The columns of one kind of row, in the order its reader takes them.
class Columns {
public:
    Columns(std::initializer_list<ColumnDef> columns);
    const std::string& list() const { return list_; }  // "id, account_id, ..."
    const std::vector<ColumnType>& types() const { return types_; }

private:
    std::string list_;
    std::vector<ColumnType> types_;
};

// SQL text with `:name` placeholders (each name used once: backends differ on
// repeated names) and the types of the columns it returns.
struct Query {
    std::string sql;
    std::vector<ColumnType> columns;
    // The statement neither reads nor changes the outbox or the conversation,
    // not even through a cascade: rows a transaction holds back
    // (SqlTransaction::write_held_rows) need not be written before it runs.
    // False unless said.
    bool apart_from_held_rows = false;
};

// A parameter a statement is run with, or a column of the row it stands on.
// Lives at an address SOCI keeps between runs.
struct StatementValue {
    ColumnType type = ColumnType::integer;
    bool typed = false;
    long long integer = 0;
    double real = 0;
    std::string text;
    soci::indicator indicator = soci::i_ok;  // i_null: NULL
};

// A statement the backend's own client library runs (SqlDialect::
// direct_statement), where SOCI's exchange layer costs more per run than
// the statement itself: on SQLite, SOCI's bookkeeping per bound and read
// value was a tenth of an engine event. Failures throw the soci_error
// subclass the dialect's classify() reads, as SOCI would.
class DirectStatement {
public:
    virtual ~DirectStatement() = default;
    // Binds `parameters` in order and runs the statement. With result
    // columns, reads its first row into `columns` and says whether there was
    // one; without, runs it to its end and returns false.
    virtual bool execute(const std::vector<StatementValue>& parameters,
                         std::vector<StatementValue>& columns) = 0;
    // Reads the next row into `columns`; false when there is none.
    virtual bool fetch(std::vector<StatementValue>& columns) = 0;
    // Ends a run whose rows were not all read.
    virtual void finish() = 0;
    // Rows the last INSERT, UPDATE or DELETE changed.
    virtual long long affected_rows() = 0;
};

class PreparedStatement {
public:
    // `dialect` may run it directly (SqlDialect::direct_statement); null: SOCI runs it.
    PreparedStatement(soci::session& session, const Query& query, const SqlDialect* dialect = nullptr);
    ~PreparedStatement();
    PreparedStatement(const PreparedStatement&) = delete;
    PreparedStatement& operator=(const PreparedStatement&) = delete;

    // Sets every parameter, in placeholder order. Integers, bools (as 0/1),
    // doubles, strings and std::optional of those (empty = NULL).
    template <class... Args>
    PreparedStatement& bind(const Args&... args) {
        start_binding(sizeof...(Args));
        std::size_t position = 0;
        (bind_one(position++, args), ...);
        return *this;
    }

    // For SQL assembled at run time: start_binding(n), then bind_at() each of
    // the n parameters.
    void start_binding(std::size_t count);
    template <class T>
    void bind_at(std::size_t position, const T& value) {
        bind_one(position, value);
    }

    void execute();
    // Moves to the next result row; false when there is none.
    bool next_row();
    // Reads past rows nobody asked for, so SQLite releases the statement's read
    // snapshot (an unfinished cursor would keep the WAL from being checkpointed).
    void finish();
    long long affected_rows();

    const std::string& sql() const { return sql_; }
    const std::vector<ColumnType>& column_types() const { return types_; }
    bool is_null(std::size_t column) const;
    long long integer(std::size_t column) const;
    double real(std::size_t column) const;
    const std::string& text(std::size_t column) const;

private:
    using Slot = StatementValue;

    template <class T>
    struct is_optional : std::false_type {};
    template <class T>
    struct is_optional<std::optional<T>> : std::true_type {};

    template <class T>
    static constexpr ColumnType column_type_of() {
        if constexpr (std::is_integral_v<T>)
            return ColumnType::integer;
        else if constexpr (std::is_floating_point_v<T>)
            return ColumnType::real;
        else
            return ColumnType::text;
    }

    template <class T>
    void bind_one(std::size_t position, const T& value) {
        if constexpr (is_optional<T>::value) {
            if (value)
                bind_one(position, *value);
            else
                bind_null(position, column_type_of<typename T::value_type>());
        } else if constexpr (std::is_same_v<T, bool>) {
            bind_integer(position, value ? 1 : 0);
        } else if constexpr (std::is_integral_v<T>) {
            bind_integer(position, static_cast<long long>(value));
        } else if constexpr (std::is_floating_point_v<T>) {
            bind_real(position, static_cast<double>(value));
        } else {
            bind_text(position, std::string_view(value));
        }
    }

    Slot& parameter(std::size_t position, ColumnType type);
    void bind_integer(std::size_t position, long long value);
    void bind_real(std::size_t position, double value);
    void bind_text(std::size_t position, std::string_view value);
    void bind_null(std::size_t position, ColumnType type);
    void prepare();
    bool prepared() const { return statement_ || direct_; }
    const Slot& column(std::size_t column, ColumnType type) const;

    soci::session& session_;
    const SqlDialect* dialect_;
    std::string sql_;
    std::vector<ColumnType> types_;
    std::vector<Slot> parameters_;
    std::vector<Slot> columns_;
    std::unique_ptr<soci::statement> statement_;
    std::unique_ptr<DirectStatement> direct_;  // instead of statement_, where the dialect runs it
    bool row_pending_ = false;                 // execute() fetched a row next_row() has not handed out yet
    // The last run threw. SOCI's PostgreSQL backend frees a parameter's text
    // only after a run that succeeded, and sends a NULL parameter as whatever
    // text is left: the next NULL would send the failed run's value (a ban
    // meant for every bot landing on the bot of a refused one). Such a
    // statement is not run again but made anew.
    bool failed_ = false;
    bool on_row_ = false;  // the cursor stands on a row; more may follow
};

// Takes the columns of the current row in order, checking each one's type.
class RowReader {
public:
    explicit RowReader(const PreparedStatement& statement) : statement_(statement) {}
    std::int64_t integer();
    std::optional<std::int64_t> optional_integer();
    bool boolean();
    std::optional<double> optional_real();
    std::string text();

private:
    std::size_t take(ColumnType type);

    const PreparedStatement& statement_;
    std::size_t next_ = 0;
};

// One connection's prepared statements, by SQL text.
class StatementCache {
public:
    PreparedStatement& get(soci::session& session, const Query& query, const SqlDialect* dialect = nullptr);
    void finish_all();
    void clear() {
        by_address_.clear();
        statements_.clear();
    }

private:
    std::unordered_map<std::string, std::unique_ptr<PreparedStatement>> statements_;
    // Most queries are constants, asked for at the same address every time:
    // found by it first, which spares hashing their text on every statement
    // (the text is still compared: another query may live there now).
    std::unordered_map<const Query*, PreparedStatement*> by_address_;
};

}  // namespace profo::storage_sql
