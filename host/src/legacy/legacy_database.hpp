// The legacy product's PostgreSQL database, read as it is (docs/legacy-import.md
// lists its tables). Everything is read in one read-only, repeatable-read
// transaction, so an import sees one consistent state of a database the
// legacy bot may still be writing to. Nothing here writes to it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace profo::host::legacy {

// Naive legacy timestamps are taken as UTC (every known installation).
using EpochMillis = std::int64_t;

struct LegacyCourse {
    std::string course_id;
    std::string bot_name;
    std::optional<std::string> yaml;
    EpochMillis created_at = 0;
};

struct LegacyCourseElement {
    std::int64_t row_id = 0;  // course_element_id: the course order
    std::string bot_name;
    std::string course_id;
    std::string element_id;
    std::string element_type;
    std::string json;  // {"element_data": {...}}
};

struct LegacyRun {
    std::int64_t run_id = 0;
    std::int64_t chat_id = 0;
    std::string username;
    std::string bot_name;
    std::string course_id;
    EpochMillis started_at = 0;
    std::string utm_source;
    std::string utm_campaign;
    bool ended = false;
};

struct LegacyConversationRow {
    std::int64_t conversation_id = 0;
    std::int64_t chat_id = 0;
    std::string course_id;
    std::string element_id;
    std::string role;
    std::string report;
    std::optional<double> score;
    std::optional<double> maxscore;
    EpochMillis at = 0;
    std::optional<std::int64_t> run_id;
};

struct LegacyWaiting {
    std::int64_t waiting_id = 0;
    std::int64_t chat_id = 0;
    EpochMillis due_at = 0;
    std::string element_id;
    std::string course_id;
    std::string bot_name;
};

struct LegacyBan {
    std::string bot_name;
    std::int64_t chat_id = 0;
    EpochMillis banned_at = 0;
    std::string reason;
    std::optional<int> excluded;  // 1: lifted; 0 or NULL: in force
};

struct LegacyParticipant {
    std::string course_id;
    std::string username;
};

struct LegacySetting {
    std::string bot_name;
    std::string key;
    std::string value;
};

// Everything but the conversation, which is streamed (it is the large table).
struct LegacySnapshot {
    std::vector<LegacyCourse> courses;
    std::vector<LegacyCourseElement> elements;  // by course_element_id
    std::vector<LegacyRun> runs;                // by run_id
    std::vector<LegacyWaiting> waiting;         // pending ones (is_waiting), by id
    std::vector<LegacyBan> bans;
    std::vector<LegacyParticipant> participants;
    std::vector<LegacySetting> settings;
    std::int64_t conversation_rows = 0;
    std::vector<std::string> missing_tables;  // optional tables an old installation lacks
};

class LegacyDatabaseError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class LegacyDatabase {
public:
    // Connects and opens the snapshot transaction. The message of a failure
    // names the host and database, never the password.
    explicit LegacyDatabase(const std::string& dsn);
    ~LegacyDatabase();
    LegacyDatabase(const LegacyDatabase&) = delete;
    LegacyDatabase& operator=(const LegacyDatabase&) = delete;

    LegacySnapshot read_snapshot();
    // Every conversation row by conversation_id, `batch` rows per round trip.
    void for_each_conversation(const std::function<void(const LegacyConversationRow&)>& row,
                               int batch = 20000);

private:
    struct Connection;
    std::unique_ptr<Connection> connection_;
};

}  // namespace profo::host::legacy
