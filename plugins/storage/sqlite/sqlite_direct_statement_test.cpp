#include "sqlite_direct_statement.hpp"

#include "sql/statement.hpp"

#include <gtest/gtest.h>
#include <soci/soci.h>
#include <soci/sqlite3/soci-sqlite3.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace profo::storage_sqlite {
namespace {

namespace fs = std::filesystem;
using storage_sql::ColumnType;
using storage_sql::PreparedStatement;
using storage_sql::Query;
using storage_sql::StatementValue;

StatementValue integer(long long v) {
    StatementValue value;
    value.type = ColumnType::integer;
    value.integer = v;
    return value;
}
StatementValue real(double v) {
    StatementValue value;
    value.type = ColumnType::real;
    value.real = v;
    return value;
}
StatementValue text(std::string v) {
    StatementValue value;
    value.type = ColumnType::text;
    value.text = std::move(v);
    return value;
}
StatementValue null(ColumnType type) {
    StatementValue value;
    value.type = type;
    value.indicator = soci::i_null;
    return value;
}
std::vector<StatementValue> columns(std::initializer_list<ColumnType> types) {
    std::vector<StatementValue> out;
    for (auto type : types) {
        StatementValue value;
        value.type = type;
        out.push_back(value);
    }
    return out;
}

class DirectStatementTest : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("profo_direct_" + std::to_string(::getpid()) + "_" +
                                            ::testing::UnitTest::GetInstance()->current_test_info()->name());
        fs::remove_all(dir_);
        fs::create_directories(dir_);
        path_ = (dir_ / "test.db").string();
        session_.open(*soci::factory_sqlite3(), path_);
        sqlite_api::sqlite3_extended_result_codes(native_connection(session_), 1);
        session_ << "PRAGMA journal_mode = WAL";
        session_ << "PRAGMA foreign_keys = ON";
        session_ << "CREATE TABLE parent (id INTEGER PRIMARY KEY)";
        session_ << "CREATE TABLE t (id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, u TEXT UNIQUE,"
                    " p INTEGER REFERENCES parent (id), n TEXT NOT NULL DEFAULT '')";
    }
    void TearDown() override {
        session_.close();
        fs::remove_all(dir_);
    }

    fs::path dir_;
    std::string path_;
    soci::session session_;
};

// Values written and read back directly and through SOCI agree, NULLs included.
TEST_F(DirectStatementTest, ReadsAndWritesWhatSociDoes) {
    std::mt19937_64 random(7);
    const std::vector<long long> integers = {
        0, 1, -1, std::numeric_limits<long long>::min(), std::numeric_limits<long long>::max(), 1LL << 53};
    const std::vector<double> reals = {0.0, -0.0, 1.5, -2.25e-300, 1e308, std::numeric_limits<double>::min()};
    const std::vector<std::string> texts = {"", "plain", "Привет, мир", std::string(5000, 'x'),
                                            "{\"a\":[1,2]}"};
    auto direct_insert = prepare_direct_statement(session_, "INSERT INTO t (i, r, s) VALUES (:i, :r, :s)");
    PreparedStatement soci_insert(session_, Query{"INSERT INTO t (i, r, s) VALUES (:i, :r, :s)", {}});
    for (int row = 0; row < 200; ++row) {
        const bool via_direct = row % 2 == 0;
        const auto i = integers[random() % integers.size()];
        const auto r = reals[random() % reals.size()];
        const auto& s = texts[random() % texts.size()];
        const bool i_null = random() % 5 == 0;
        const bool r_null = random() % 5 == 0;
        const bool s_null = random() % 5 == 0;
        if (via_direct) {
            std::vector<StatementValue> parameters = {i_null ? null(ColumnType::integer) : integer(i),
                                                      r_null ? null(ColumnType::real) : real(r),
                                                      s_null ? null(ColumnType::text) : text(s)};
            std::vector<StatementValue> none;
            EXPECT_FALSE(direct_insert->execute(parameters, none));
            EXPECT_EQ(direct_insert->affected_rows(), 1);
        } else {
            soci_insert.bind(i_null ? std::optional<long long>() : i, r_null ? std::optional<double>() : r,
                             s_null ? std::optional<std::string>() : s);
            soci_insert.execute();
        }
    }
    const std::string select = "SELECT id, i, r, s FROM t ORDER BY id";
    auto direct_select = prepare_direct_statement(session_, select);
    PreparedStatement soci_select(
        session_,
        Query{select, {ColumnType::integer, ColumnType::integer, ColumnType::real, ColumnType::text}});
    auto row = columns({ColumnType::integer, ColumnType::integer, ColumnType::real, ColumnType::text});
    bool more = direct_select->execute({}, row);
    soci_select.execute();
    int rows = 0;
    while (soci_select.next_row()) {
        ASSERT_TRUE(more) << "direct read ended before SOCI's at row " << rows;
        EXPECT_EQ(row[0].integer, soci_select.integer(0));
        for (std::size_t c = 1; c < 4; ++c)
            EXPECT_EQ(row[c].indicator == soci::i_null, soci_select.is_null(c))
                << "row " << rows << " column " << c;
        if (!soci_select.is_null(1)) {
            EXPECT_EQ(row[1].integer, soci_select.integer(1));
        }
        if (!soci_select.is_null(2)) {
            EXPECT_EQ(row[2].real, soci_select.real(2));
            EXPECT_EQ(std::signbit(row[2].real), std::signbit(soci_select.real(2)));
        }
        if (!soci_select.is_null(3)) {
            EXPECT_EQ(row[3].text, soci_select.text(3));
        }
        ++rows;
        more = direct_select->fetch(row);
    }
    EXPECT_FALSE(more);
    EXPECT_EQ(rows, 200);
}

// Text is bound with its length: bytes after a NUL are kept.
TEST_F(DirectStatementTest, KeepsTextWholeAndRunsAgainWithNewValues) {
    auto insert = prepare_direct_statement(
        session_, "INSERT INTO t (s) VALUES (:s) RETURNING id, length(CAST(s AS BLOB))");
    auto out = columns({ColumnType::integer, ColumnType::integer});
    ASSERT_TRUE(insert->execute({text(std::string("a\0b", 3))}, out));
    EXPECT_EQ(out[1].integer, 3);
    const auto first = out[0].integer;
    ASSERT_TRUE(insert->execute({text("four")}, out));
    EXPECT_EQ(out[0].integer, first + 1);
    EXPECT_EQ(out[1].integer, 4);
    EXPECT_FALSE(insert->fetch(out));
}

// Broken constraints throw what SqliteDialect::classify reads: SQLite's
// extended code, with SQLite's message; the statement runs again afterwards.
TEST_F(DirectStatementTest, ReportsConstraintsByExtendedCode) {
    auto insert = prepare_direct_statement(session_, "INSERT INTO t (u, p) VALUES (:u, :p)");
    std::vector<StatementValue> none;
    insert->execute({text("once"), null(ColumnType::integer)}, none);
    auto code_of = [&](const std::vector<StatementValue>& parameters) {
        try {
            insert->execute(parameters, none);
        } catch (const soci::sqlite3_soci_error& e) {
            EXPECT_FALSE(e.get_error_message().empty());
            return e.result();
        }
        return SQLITE_OK;
    };
    EXPECT_EQ(code_of({text("once"), null(ColumnType::integer)}), SQLITE_CONSTRAINT_UNIQUE);
    EXPECT_EQ(code_of({text("twice"), integer(42)}), SQLITE_CONSTRAINT_FOREIGNKEY);
    auto not_null = prepare_direct_statement(session_, "INSERT INTO t (n) VALUES (:n)");
    try {
        not_null->execute({null(ColumnType::text)}, none);
        ADD_FAILURE() << "NULL into a NOT NULL column was accepted";
    } catch (const soci::sqlite3_soci_error& e) {
        EXPECT_EQ(e.result(), SQLITE_CONSTRAINT_NOTNULL);
        EXPECT_NE(e.get_error_message().find("t.n"), std::string::npos) << e.get_error_message();
    }
    EXPECT_EQ(code_of({text("twice"), null(ColumnType::integer)}), SQLITE_OK);
    int count = 0;
    session_ << "SELECT COUNT(*) FROM t", soci::into(count);
    EXPECT_EQ(count, 2);
}

TEST_F(DirectStatementTest, RefusesWhatItCannotRun) {
    try {
        prepare_direct_statement(session_, "SELECT nope FROM t");
        ADD_FAILURE() << "a statement naming a missing column prepared";
    } catch (const soci::sqlite3_soci_error& e) {
        EXPECT_EQ(e.result(), SQLITE_ERROR);
        EXPECT_NE(e.get_error_message().find("nope"), std::string::npos) << e.get_error_message();
    }
    EXPECT_THROW(prepare_direct_statement(session_, "DELETE FROM t; DELETE FROM parent"), std::logic_error);
    EXPECT_NO_THROW(prepare_direct_statement(session_, "DELETE FROM t;  "));
    auto statement = prepare_direct_statement(session_, "SELECT :a + :b");
    auto out = columns({ColumnType::integer});
    EXPECT_THROW(statement->execute({integer(1)}, out), std::logic_error);
    ASSERT_TRUE(statement->execute({integer(1), integer(2)}, out));
    EXPECT_EQ(out[0].integer, 3);
    auto wide = columns({ColumnType::integer, ColumnType::integer});
    EXPECT_THROW(statement->execute({integer(1), integer(2)}, wide), std::logic_error);
}

// A read left standing holds its snapshot, which keeps a checkpoint from
// emptying the log; finish() lets go of it.
TEST_F(DirectStatementTest, FinishReleasesTheReadSnapshot) {
    session_ << "INSERT INTO t (i) VALUES (1), (2), (3)";
    auto select = prepare_direct_statement(session_, "SELECT i FROM t ORDER BY id");
    auto out = columns({ColumnType::integer});
    ASSERT_TRUE(select->execute({}, out));
    EXPECT_EQ(out[0].integer, 1);

    soci::session writer(*soci::factory_sqlite3(), path_);
    writer << "INSERT INTO t (i) VALUES (4)";
    auto busy_checkpoint = [&] {
        int busy = -1;
        int log = -1;
        int done = -1;
        writer << "PRAGMA wal_checkpoint(TRUNCATE)", soci::into(busy), soci::into(log), soci::into(done);
        return busy;
    };
    EXPECT_EQ(busy_checkpoint(), 1);
    select->finish();
    EXPECT_EQ(busy_checkpoint(), 0);
}

}  // namespace
}  // namespace profo::storage_sqlite
