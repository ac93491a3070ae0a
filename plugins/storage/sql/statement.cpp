#include "sql/statement.hpp"

#include "sql/dialect.hpp"

#include <soci/soci.h>

#include <stdexcept>

namespace profo::storage_sql {

Columns::Columns(std::initializer_list<ColumnDef> columns) {
    for (const auto& column : columns) {
        if (!list_.empty()) list_ += ", ";
        list_ += column.name;
        types_.push_back(column.type);
    }
}

PreparedStatement::PreparedStatement(soci::session& session, const Query& query, const SqlDialect* dialect)
    : session_(session),
      dialect_(dialect),
      sql_(query.sql),
      types_(query.columns),
      columns_(query.columns.size()) {
    for (std::size_t i = 0; i < columns_.size(); ++i) {
        columns_[i].type = types_[i];
        columns_[i].typed = true;
    }
}

PreparedStatement::~PreparedStatement() = default;

void PreparedStatement::start_binding(std::size_t count) {
    if (!prepared() && parameters_.size() != count) {
        parameters_.clear();
        parameters_.resize(count);
        return;
    }
    if (parameters_.size() != count)
        throw std::logic_error("statement takes " + std::to_string(parameters_.size()) + " parameters, got " +
                               std::to_string(count) + ": " + sql_);
}

PreparedStatement::Slot& PreparedStatement::parameter(std::size_t position, ColumnType type) {
    if (position >= parameters_.size())
        throw std::logic_error("no parameter " + std::to_string(position + 1) + ": " + sql_);
    Slot& slot = parameters_[position];
    // SOCI reads each slot through the exchange type it was prepared with, so a
    // slot keeps the type of its first value.
    if (!slot.typed || !prepared()) {
        slot.type = type;
        slot.typed = true;
    } else if (slot.type != type) {
        throw std::logic_error("parameter " + std::to_string(position + 1) +
                               " bound with another type than before: " + sql_);
    }
    return slot;
}

void PreparedStatement::bind_integer(std::size_t position, long long value) {
    Slot& slot = parameter(position, ColumnType::integer);
    slot.integer = value;
    slot.indicator = soci::i_ok;
}

void PreparedStatement::bind_real(std::size_t position, double value) {
    Slot& slot = parameter(position, ColumnType::real);
    slot.real = value;
    slot.indicator = soci::i_ok;
}

void PreparedStatement::bind_text(std::size_t position, std::string_view value) {
    Slot& slot = parameter(position, ColumnType::text);
    slot.text.assign(value);
    slot.indicator = soci::i_ok;
}

void PreparedStatement::bind_null(std::size_t position, ColumnType type) {
    Slot& slot = parameter(position, type);
    slot.indicator = soci::i_null;
}

void PreparedStatement::prepare() {
    if (dialect_ != nullptr) {
        direct_ = dialect_->direct_statement(session_, sql_);
        if (direct_) return;
    }
    auto statement = std::make_unique<soci::statement>(session_);
    for (Slot& slot : parameters_) {
        switch (slot.type) {
            case ColumnType::integer: statement->exchange(soci::use(slot.integer, slot.indicator)); break;
            case ColumnType::real: statement->exchange(soci::use(slot.real, slot.indicator)); break;
            case ColumnType::text: statement->exchange(soci::use(slot.text, slot.indicator)); break;
        }
    }
    for (Slot& slot : columns_) {
        switch (slot.type) {
            case ColumnType::integer: statement->exchange(soci::into(slot.integer, slot.indicator)); break;
            case ColumnType::real: statement->exchange(soci::into(slot.real, slot.indicator)); break;
            case ColumnType::text: statement->exchange(soci::into(slot.text, slot.indicator)); break;
        }
    }
    statement->alloc();
    statement->prepare(sql_, soci::details::st_repeatable_query);
    statement->define_and_bind();
    statement_ = std::move(statement);
}

void PreparedStatement::execute() {
    // Made anew only now, in a transaction that works: dropping a PostgreSQL
    // statement deallocates it on the server, which an aborted one refuses.
    if (failed_) {
        statement_.reset();
        direct_.reset();
    }
    failed_ = false;
    if (!prepared()) prepare();
    row_pending_ = false;
    on_row_ = false;
    bool got_row = false;
    try {
        got_row = direct_ ? direct_->execute(parameters_, columns_) : statement_->execute(true);
    } catch (...) {
        failed_ = true;
        throw;
    }
    if (!columns_.empty()) {
        row_pending_ = got_row;
        on_row_ = got_row;
    }
}

bool PreparedStatement::next_row() {
    if (row_pending_) {
        row_pending_ = false;
        return true;
    }
    if (!on_row_) return false;
    on_row_ = direct_ ? direct_->fetch(columns_) : statement_->fetch();
    return on_row_;
}

void PreparedStatement::finish() {
    row_pending_ = false;
    if (!on_row_) return;
    if (direct_)
        direct_->finish();
    else
        while (statement_->fetch()) {
        }
    on_row_ = false;
}

long long PreparedStatement::affected_rows() {
    if (direct_) return direct_->affected_rows();
    return statement_ ? statement_->get_affected_rows() : 0;
}

const PreparedStatement::Slot& PreparedStatement::column(std::size_t column, ColumnType type) const {
    if (column >= columns_.size())
        throw std::logic_error("no column " + std::to_string(column) + ": " + sql_);
    const Slot& slot = columns_[column];
    if (slot.type != type)
        throw std::logic_error("column " + std::to_string(column) + " read as another type: " + sql_);
    return slot;
}

bool PreparedStatement::is_null(std::size_t column) const {
    if (column >= columns_.size())
        throw std::logic_error("no column " + std::to_string(column) + ": " + sql_);
    return columns_[column].indicator == soci::i_null;
}

long long PreparedStatement::integer(std::size_t c) const {
    return column(c, ColumnType::integer).integer;
}
double PreparedStatement::real(std::size_t c) const {
    return column(c, ColumnType::real).real;
}
const std::string& PreparedStatement::text(std::size_t c) const {
    return column(c, ColumnType::text).text;
}

std::size_t RowReader::take(ColumnType type) {
    std::size_t column = next_++;
    const auto& types = statement_.column_types();
    if (column >= types.size() || types[column] != type)
        throw std::logic_error("row reader and select list disagree at column " + std::to_string(column) +
                               ": " + statement_.sql());
    return column;
}

std::int64_t RowReader::integer() {
    std::size_t column = take(ColumnType::integer);
    return statement_.is_null(column) ? 0 : statement_.integer(column);
}

std::optional<std::int64_t> RowReader::optional_integer() {
    std::size_t column = take(ColumnType::integer);
    if (statement_.is_null(column)) return std::nullopt;
    return statement_.integer(column);
}

bool RowReader::boolean() {
    return integer() != 0;
}

std::optional<double> RowReader::optional_real() {
    std::size_t column = take(ColumnType::real);
    if (statement_.is_null(column)) return std::nullopt;
    return statement_.real(column);
}

std::string RowReader::text() {
    std::size_t column = take(ColumnType::text);
    return statement_.is_null(column) ? std::string() : statement_.text(column);
}

PreparedStatement& StatementCache::get(soci::session& session, const Query& query,
                                       const SqlDialect* dialect) {
    if (const auto known = by_address_.find(&query);
        known != by_address_.end() && known->second->sql() == query.sql)
        return *known->second;
    auto it = statements_.find(query.sql);
    if (it == statements_.end())
        it = statements_.emplace(query.sql, std::make_unique<PreparedStatement>(session, query, dialect))
                 .first;
    // Queries built for one call come and go at a few stack addresses; a
    // bound keeps odd callers from growing this without end.
    if (by_address_.size() >= 4096) by_address_.clear();
    by_address_[&query] = it->second.get();
    return *it->second;
}

void StatementCache::finish_all() {
    for (auto& entry : statements_) entry.second->finish();
}

}  // namespace profo::storage_sql
