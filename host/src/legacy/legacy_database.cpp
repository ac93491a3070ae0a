#include "legacy/legacy_database.hpp"

#include <libpq-fe.h>

#include <charconv>
#include <cstdlib>

namespace profo::host::legacy {

namespace {

// Timestamps come back as epoch milliseconds, computed by the server: a naive
// timestamp's epoch is its value read as UTC, which is what the legacy bot meant.
std::string millis(const std::string& column) {
    return "(EXTRACT(EPOCH FROM " + column + ") * 1000)::int8";
}

class Result {
public:
    explicit Result(PGresult* r) : r_(r) {}
    ~Result() { PQclear(r_); }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    PGresult* get() const { return r_; }
    int rows() const { return PQntuples(r_); }
    bool null(int row, int col) const { return PQgetisnull(r_, row, col) != 0; }
    std::string text(int row, int col) const {
        return null(row, col) ? std::string() : std::string(PQgetvalue(r_, row, col));
    }
    std::optional<std::string> optional_text(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return std::string(PQgetvalue(r_, row, col));
    }
    std::int64_t integer(int row, int col) const {
        if (null(row, col)) return 0;
        const char* v = PQgetvalue(r_, row, col);
        std::int64_t out = 0;
        std::from_chars(v, v + PQgetlength(r_, row, col), out);
        return out;
    }
    std::optional<std::int64_t> optional_integer(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return integer(row, col);
    }
    std::optional<double> optional_real(int row, int col) const {
        if (null(row, col)) return std::nullopt;
        return std::strtod(PQgetvalue(r_, row, col), nullptr);
    }
    bool boolean(int row, int col) const { return !null(row, col) && PQgetvalue(r_, row, col)[0] == 't'; }

private:
    PGresult* r_;
};

}  // namespace

struct LegacyDatabase::Connection {
    PGconn* conn = nullptr;
    ~Connection() {
        if (conn != nullptr) PQfinish(conn);
    }

    std::string where() const {
        return std::string("database ") + PQdb(conn) + " on " + PQhost(conn) + ":" + PQport(conn);
    }

    std::unique_ptr<Result> run(const std::string& sql, ExecStatusType expected) const {
        auto result = std::make_unique<Result>(PQexec(conn, sql.c_str()));
        if (PQresultStatus(result->get()) != expected)
            throw LegacyDatabaseError("the legacy " + where() + ": " + PQerrorMessage(conn) +
                                      " (in: " + sql.substr(0, 120) + ")");
        return result;
    }
    std::unique_ptr<Result> query(const std::string& sql) const { return run(sql, PGRES_TUPLES_OK); }
    void command(const std::string& sql) const { run(sql, PGRES_COMMAND_OK); }

    bool has_table(const std::string& table) const {
        return query("SELECT to_regclass('" + table + "') IS NOT NULL")->boolean(0, 0);
    }
    bool has_column(const std::string& table, const std::string& column) const {
        return query(
                   "SELECT 1 FROM information_schema.columns WHERE table_schema = ANY "
                   "(current_schemas(false)) "
                   "AND table_name = '" +
                   table + "' AND column_name = '" + column + "'")
                   ->rows() > 0;
    }
};

LegacyDatabase::LegacyDatabase(const std::string& dsn) : connection_(std::make_unique<Connection>()) {
    connection_->conn = PQconnectdb(dsn.c_str());
    if (PQstatus(connection_->conn) != CONNECTION_OK) {
        // libpq's message names host and port, never the password.
        throw LegacyDatabaseError(std::string("cannot connect to the legacy database: ") +
                                  PQerrorMessage(connection_->conn));
    }
    PQsetClientEncoding(connection_->conn, "UTF8");
    connection_->command("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
}

LegacyDatabase::~LegacyDatabase() {
    if (connection_ && connection_->conn != nullptr && PQstatus(connection_->conn) == CONNECTION_OK) {
        PGresult* r = PQexec(connection_->conn, "ROLLBACK");
        PQclear(r);
    }
}

LegacySnapshot LegacyDatabase::read_snapshot() {
    const auto& c = *connection_;
    LegacySnapshot s;
    for (const char* required : {"course", "run", "conversation"})
        if (!c.has_table(required))
            throw LegacyDatabaseError(std::string("the legacy ") + c.where() + " has no table '" + required +
                                      "': is it the legacy bot's database?");
    {
        const bool yaml = c.has_column("course", "yaml");
        auto r = c.query("SELECT course_id, bot_name, " + std::string(yaml ? "yaml" : "NULL") + ", " +
                         millis("date_created") + " FROM course ORDER BY bot_name, course_id");
        for (int i = 0; i < r->rows(); ++i)
            s.courses.push_back({r->text(i, 0), r->text(i, 1), r->optional_text(i, 2), r->integer(i, 3)});
    }
    if (c.has_table("course_element")) {
        auto r = c.query(
            "SELECT course_element_id, bot_name, course_id, element_id, element_type, json FROM "
            "course_element "
            "ORDER BY course_element_id");
        for (int i = 0; i < r->rows(); ++i)
            s.elements.push_back({r->integer(i, 0), r->text(i, 1), r->text(i, 2), r->text(i, 3),
                                  r->text(i, 4), r->text(i, 5)});
    } else {
        s.missing_tables.push_back("course_element");
    }
    {
        auto r = c.query("SELECT run_id, chat_id, username, botname, course_id, " + millis("date_inserted") +
                         ", utm_source, utm_campaign, is_ended FROM run ORDER BY run_id");
        for (int i = 0; i < r->rows(); ++i)
            s.runs.push_back({r->integer(i, 0), r->integer(i, 1), r->text(i, 2), r->text(i, 3), r->text(i, 4),
                              r->integer(i, 5), r->text(i, 6), r->text(i, 7), r->boolean(i, 8)});
    }
    if (c.has_table("waiting_element")) {
        auto r = c.query("SELECT waiting_element_id, chat_id, " + millis("waiting_till_date") +
                         ", element_id, course_id, botname FROM waiting_element WHERE is_waiting "
                         "ORDER BY waiting_element_id");
        for (int i = 0; i < r->rows(); ++i)
            s.waiting.push_back({r->integer(i, 0), r->integer(i, 1), r->integer(i, 2), r->text(i, 3),
                                 r->text(i, 4), r->text(i, 5)});
    } else {
        s.missing_tables.push_back("waiting_element");
    }
    if (c.has_table("bannedparticipants")) {
        auto r =
            c.query("SELECT botname, chat_id, " + millis("banned_at") +
                    ", ban_reason, excluded FROM bannedparticipants ORDER BY botname, chat_id, banned_at");
        for (int i = 0; i < r->rows(); ++i) {
            const auto excluded = r->optional_integer(i, 4);
            s.bans.push_back({r->text(i, 0), r->integer(i, 1), r->integer(i, 2), r->text(i, 3),
                              excluded ? std::optional<int>(static_cast<int>(*excluded)) : std::nullopt});
        }
    } else {
        s.missing_tables.push_back("bannedparticipants");
    }
    if (c.has_table("courseparticipants")) {
        auto r = c.query("SELECT course_id, username FROM courseparticipants ORDER BY course_id, username");
        for (int i = 0; i < r->rows(); ++i) s.participants.push_back({r->text(i, 0), r->text(i, 1)});
    } else {
        s.missing_tables.push_back("courseparticipants");
    }
    if (c.has_table("gen_settings")) {
        auto r = c.query("SELECT bot_name, s_key, s_value FROM gen_settings ORDER BY bot_name, s_key");
        for (int i = 0; i < r->rows(); ++i)
            s.settings.push_back({r->text(i, 0), r->text(i, 1), r->text(i, 2)});
    } else {
        s.missing_tables.push_back("gen_settings");
    }
    s.conversation_rows = c.query("SELECT count(*) FROM conversation")->integer(0, 0);
    return s;
}

void LegacyDatabase::for_each_conversation(const std::function<void(const LegacyConversationRow&)>& row,
                                           int batch) {
    const auto& c = *connection_;
    // A cursor keeps memory flat however large the table is.
    c.command(
        "DECLARE legacy_conversation NO SCROLL CURSOR FOR SELECT conversation_id, chat_id, course_id, "
        "element_id, role, report, score, maxscore, " +
        millis("date_inserted") + ", run_id FROM conversation ORDER BY conversation_id");
    const std::string fetch = "FETCH " + std::to_string(batch) + " FROM legacy_conversation";
    for (;;) {
        auto r = c.query(fetch);
        if (r->rows() == 0) break;
        LegacyConversationRow out;
        for (int i = 0; i < r->rows(); ++i) {
            out.conversation_id = r->integer(i, 0);
            out.chat_id = r->integer(i, 1);
            out.course_id = r->text(i, 2);
            out.element_id = r->text(i, 3);
            out.role = r->text(i, 4);
            out.report = r->text(i, 5);
            out.score = r->optional_real(i, 6);
            out.maxscore = r->optional_real(i, 7);
            out.at = r->integer(i, 8);
            out.run_id = r->optional_integer(i, 9);
            row(out);
        }
    }
    c.command("CLOSE legacy_conversation");
}

}  // namespace profo::host::legacy
