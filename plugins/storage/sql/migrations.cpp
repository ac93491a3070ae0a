#include "sql/migrations.hpp"

#include <soci/soci.h>

namespace profo::storage_sql {

using sdk::StorageError;

namespace {

// Tenant rows reference their parents by (account_id, parent_id), so a row can
// only ever point at records of its own account, whatever ids a caller passes.
// Booleans are INTEGER 0/1 so the same text serves SQLite and PostgreSQL.
const std::vector<Migration> kMigrations = {
    {1,
     "accounts, members and bots",
     {
         "CREATE TABLE schema_migrations ("
         " version INTEGER PRIMARY KEY,"
         " applied_at BIGINT NOT NULL)",

         "CREATE TABLE accounts ("
         " id {id},"
         " name TEXT NOT NULL,"
         " created_at BIGINT NOT NULL)",

         // The first row of a fresh table gets id 1 on both backends: that is the
         // default account (sdk::kDefaultAccountId).
         "INSERT INTO accounts (name, created_at) VALUES ('Default', {now})",

         "CREATE TABLE account_members ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " telegram_user_id BIGINT NOT NULL,"
         " username TEXT NOT NULL DEFAULT '',"
         " role TEXT NOT NULL,"
         " created_at BIGINT NOT NULL,"
         " UNIQUE (account_id, telegram_user_id))",

         "CREATE INDEX account_members_by_user ON account_members (telegram_user_id)",

         "CREATE TABLE bots ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " username TEXT NOT NULL,"
         " token_sealed TEXT NOT NULL,"
         " settings_json TEXT NOT NULL DEFAULT '{}',"
         " mode TEXT NOT NULL,"
         " update_offset BIGINT NOT NULL DEFAULT 0,"
         " created_at BIGINT NOT NULL,"
         " UNIQUE (account_id, id))",

         // Telegram usernames are case-insensitive.
         "CREATE UNIQUE INDEX bots_username ON bots (lower(username))",
     }},
    {2,
     "courses, versions, deployments and enrollment tokens",
     {
         "CREATE TABLE courses ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " name TEXT NOT NULL,"
         " created_at BIGINT NOT NULL,"
         " updated_at BIGINT NOT NULL,"
         " UNIQUE (account_id, name),"
         " UNIQUE (account_id, id))",

         "CREATE TABLE course_versions ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " course_id BIGINT NOT NULL,"
         " number INTEGER NOT NULL,"
         " source_name TEXT NOT NULL DEFAULT '',"
         " created_at BIGINT NOT NULL,"
         " UNIQUE (course_id, number),"
         " UNIQUE (account_id, id),"
         " FOREIGN KEY (account_id, course_id) REFERENCES courses (account_id, id) ON DELETE CASCADE)",

         "CREATE TABLE course_elements ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " version_id BIGINT NOT NULL,"
         " position INTEGER NOT NULL,"
         " element_id TEXT NOT NULL,"
         " type TEXT NOT NULL,"
         " body_json TEXT NOT NULL DEFAULT '{}',"
         " UNIQUE (version_id, position),"
         " UNIQUE (version_id, element_id),"
         " FOREIGN KEY (account_id, version_id) REFERENCES course_versions (account_id, id) ON DELETE "
         "CASCADE)",

         "CREATE TABLE course_deployments ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " course_id BIGINT NOT NULL,"
         " version_id BIGINT NOT NULL,"
         " bot_id BIGINT NOT NULL,"
         " environment TEXT NOT NULL,"
         " overrides_json TEXT NOT NULL DEFAULT '{}',"
         " legacy_alias TEXT NOT NULL DEFAULT '',"
         " is_active INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),"
         " created_at BIGINT NOT NULL,"
         " UNIQUE (account_id, id),"
         " FOREIGN KEY (account_id, course_id) REFERENCES courses (account_id, id),"
         " FOREIGN KEY (account_id, version_id) REFERENCES course_versions (account_id, id),"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id))",

         "CREATE INDEX course_deployments_by_bot ON course_deployments (bot_id)",
         "CREATE INDEX course_deployments_by_course ON course_deployments (course_id)",
         "CREATE INDEX course_deployments_by_version ON course_deployments (version_id)",
         // `/start <alias>` must name one deployment of the bot.
         "CREATE UNIQUE INDEX course_deployments_alias ON course_deployments (bot_id, legacy_alias)"
         " WHERE legacy_alias <> '' AND is_active = 1",

         "CREATE TABLE enrollment_tokens ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " deployment_id BIGINT NOT NULL,"
         " type TEXT NOT NULL,"
         " code TEXT NOT NULL,"
         " max_uses BIGINT,"
         " uses BIGINT NOT NULL DEFAULT 0,"
         " expires_at BIGINT,"
         " utm_json TEXT NOT NULL DEFAULT '{}',"
         " revoked INTEGER NOT NULL DEFAULT 0 CHECK (revoked IN (0, 1)),"
         " created_at BIGINT NOT NULL,"
         " UNIQUE (deployment_id, code),"
         " UNIQUE (account_id, id),"
         " FOREIGN KEY (account_id, deployment_id) REFERENCES course_deployments (account_id, id))",
     }},
    {3,
     "runs, conversation, timers, bans, participants, update ledger and outbox",
     {
         "CREATE TABLE runs ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " bot_id BIGINT NOT NULL,"
         " deployment_id BIGINT NOT NULL,"
         " chat_id BIGINT NOT NULL,"
         " user_id BIGINT NOT NULL,"
         " username TEXT NOT NULL DEFAULT '',"
         " token_id BIGINT,"
         " status TEXT NOT NULL,"
         " is_active INTEGER NOT NULL CHECK (is_active IN (0, 1)),"
         " cursor TEXT NOT NULL DEFAULT '',"
         " state_json TEXT NOT NULL DEFAULT '{}',"
         " utm_json TEXT NOT NULL DEFAULT '{}',"
         " started_at BIGINT NOT NULL,"
         " updated_at BIGINT NOT NULL,"
         " ended_at BIGINT,"
         " UNIQUE (account_id, id),"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id),"
         " FOREIGN KEY (account_id, deployment_id) REFERENCES course_deployments (account_id, id),"
         " FOREIGN KEY (account_id, token_id) REFERENCES enrollment_tokens (account_id, id))",

         // One active run per student per bot; also the index active_run() reads.
         "CREATE UNIQUE INDEX runs_one_active_per_chat ON runs (bot_id, chat_id) WHERE is_active = 1",
         "CREATE INDEX runs_by_deployment ON runs (deployment_id, id)",
         "CREATE INDEX runs_by_bot_chat ON runs (bot_id, chat_id, id)",

         "CREATE TABLE conversation ("
         " id {log_id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " run_id BIGINT NOT NULL,"
         " element_id TEXT NOT NULL DEFAULT '',"
         " role TEXT NOT NULL,"
         " payload_json TEXT NOT NULL DEFAULT '{}',"
         " score DOUBLE PRECISION,"
         " maxscore DOUBLE PRECISION,"
         " attempt INTEGER NOT NULL DEFAULT 1,"
         " created_at BIGINT NOT NULL,"
         " FOREIGN KEY (account_id, run_id) REFERENCES runs (account_id, id))",

         "CREATE INDEX conversation_by_run ON conversation (run_id, id)",

         "CREATE TABLE waiting_elements ("
         " id {log_id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " run_id BIGINT NOT NULL,"
         " element_id TEXT NOT NULL,"
         " due_at BIGINT NOT NULL,"
         " payload_json TEXT NOT NULL DEFAULT '{}',"
         " status TEXT NOT NULL DEFAULT 'pending',"
         " created_at BIGINT NOT NULL,"
         " FOREIGN KEY (account_id, run_id) REFERENCES runs (account_id, id))",

         // The scheduler's scan and the engine's cancel touch pending timers only.
         "CREATE INDEX waiting_elements_due ON waiting_elements (due_at, id) WHERE status = 'pending'",
         "CREATE INDEX waiting_elements_by_run ON waiting_elements (run_id) WHERE status = 'pending'",

         "CREATE TABLE banned ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " bot_id BIGINT,"
         " user_id BIGINT NOT NULL,"
         " reason TEXT NOT NULL DEFAULT '',"
         " created_at BIGINT NOT NULL,"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id) ON DELETE CASCADE)",

         "CREATE INDEX banned_by_user ON banned (account_id, user_id)",
         "CREATE INDEX banned_by_bot ON banned (bot_id)",

         "CREATE TABLE participants ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " deployment_id BIGINT NOT NULL,"
         " user_id BIGINT,"
         " username TEXT NOT NULL DEFAULT '',"
         " created_at BIGINT NOT NULL,"
         " FOREIGN KEY (account_id, deployment_id) REFERENCES course_deployments (account_id, id))",

         "CREATE INDEX participants_by_deployment ON participants (deployment_id)",

         "CREATE TABLE processed_updates ("
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " bot_id BIGINT NOT NULL,"
         " update_id BIGINT NOT NULL,"
         " processed_at BIGINT NOT NULL,"
         " PRIMARY KEY (bot_id, update_id),"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id) ON DELETE CASCADE){clustered}",

         "CREATE TABLE outbox ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " bot_id BIGINT NOT NULL,"
         " chat_id BIGINT NOT NULL,"
         " run_id BIGINT,"
         " payload_json TEXT NOT NULL,"
         " status TEXT NOT NULL DEFAULT 'pending',"
         " attempts INTEGER NOT NULL DEFAULT 0,"
         " next_attempt_at BIGINT NOT NULL,"
         " last_error TEXT NOT NULL DEFAULT '',"
         " created_at BIGINT NOT NULL,"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id) ON DELETE CASCADE,"
         " FOREIGN KEY (account_id, run_id) REFERENCES runs (account_id, id))",

     }},
    {4,
     "polls sent to students",
     {
         // A poll answer names only the poll: this leads it back to its run.
         "CREATE TABLE polls ("
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " bot_id BIGINT NOT NULL,"
         " poll_id TEXT NOT NULL,"
         " run_id BIGINT NOT NULL,"
         " element_id TEXT NOT NULL,"
         " activation BIGINT NOT NULL,"
         " created_at BIGINT NOT NULL,"
         " PRIMARY KEY (bot_id, poll_id),"
         " FOREIGN KEY (account_id, bot_id) REFERENCES bots (account_id, id) ON DELETE CASCADE,"
         " FOREIGN KEY (account_id, run_id) REFERENCES runs (account_id, id)){clustered}",

     }},
    {5,
     "bots can be disabled; the update ledger is pruned by age",
     {
         "ALTER TABLE bots ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1",
         "CREATE INDEX processed_updates_by_time ON processed_updates (processed_at)",
     }},
    {6,
     "enrollment: token labels, pauses, start windows and holders; restricted deployments, restarts and "
     "email; ban messages; the accounts' keys for external links",
     {
         "ALTER TABLE enrollment_tokens ADD COLUMN label TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE enrollment_tokens ADD COLUMN is_active INTEGER NOT NULL DEFAULT 1",
         "ALTER TABLE enrollment_tokens ADD COLUMN starts_at BIGINT",
         "ALTER TABLE enrollment_tokens ADD COLUMN ends_at BIGINT",
         "ALTER TABLE enrollment_tokens ADD COLUMN user_id BIGINT",
         "ALTER TABLE enrollment_tokens ADD COLUMN username TEXT NOT NULL DEFAULT ''",
         "ALTER TABLE course_deployments ADD COLUMN restricted INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE course_deployments ADD COLUMN allow_restart INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE course_deployments ADD COLUMN collect_email INTEGER NOT NULL DEFAULT 0",
         "ALTER TABLE banned ADD COLUMN message TEXT NOT NULL DEFAULT ''",
         // One key per account; sealed with the platform's secrets key.
         "CREATE TABLE enrollment_keys ("
         " account_id BIGINT PRIMARY KEY REFERENCES accounts (id),"
         " key_sealed TEXT NOT NULL,"
         " created_at BIGINT NOT NULL)",
         "CREATE INDEX participants_by_user ON participants (deployment_id, user_id)",
     }},
    {7,
     "retention: when a timer was settled; time indexes of settled timers, polls and failed messages",
     {
         "ALTER TABLE waiting_elements ADD COLUMN settled_at BIGINT",
         // Timers settled before this migration never recorded when: a fired
         // one fired about when it was due, a cancelled one at some time after
         // it was made. Either estimate only decides how soon a row nobody
         // needs any more goes.
         "UPDATE waiting_elements SET settled_at = due_at WHERE status = 'fired'",
         "UPDATE waiting_elements SET settled_at = created_at WHERE status = 'cancelled'",
         // Partial, so a timer enters the index once, when it settles.
         "CREATE INDEX waiting_elements_settled ON waiting_elements (settled_at) WHERE status <> 'pending'",
         "CREATE INDEX polls_by_time ON polls (created_at)",
         "CREATE INDEX outbox_failed ON outbox (next_attempt_at) WHERE status = 'failed'",
     }},
    {8,
     "deployments can be archived; published course versions never change",
     {
         "ALTER TABLE course_deployments ADD COLUMN archived_at BIGINT",
         // A run plays the version it started on to its end, and a version
         // is what was tested before it was promoted: the database itself
         // refuses to change one. (Deleting a course still deletes its versions.)
         "{refuse_updates course_versions}",
         "{refuse_updates course_elements}",
     }},
    {9,
     "the creators' panel: API keys, browser sessions, one-time login links, Telegram logins seen",
     {
         // Keys, tokens and logins are kept as their SHA-256 digests only.
         "CREATE TABLE api_keys ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " label TEXT NOT NULL DEFAULT '',"
         " prefix TEXT NOT NULL UNIQUE,"
         " secret_hash TEXT NOT NULL,"
         " role TEXT NOT NULL CHECK (role IN ('owner', 'admin')),"
         " created_by_user_id BIGINT NOT NULL,"
         " created_at BIGINT NOT NULL,"
         " last_used_at BIGINT,"
         " revoked_at BIGINT)",
         "CREATE INDEX api_keys_by_account ON api_keys (account_id, id)",

         // A user's, not an account's; a session opened by a login link is
         // pinned to the link's account.
         "CREATE TABLE panel_sessions ("
         " id {id},"
         " token_hash TEXT NOT NULL UNIQUE,"
         " telegram_user_id BIGINT NOT NULL,"
         " username TEXT NOT NULL DEFAULT '',"
         " first_name TEXT NOT NULL DEFAULT '',"
         " created_at BIGINT NOT NULL,"
         " expires_at BIGINT NOT NULL,"
         " last_seen_at BIGINT NOT NULL,"
         " pinned_account_id BIGINT REFERENCES accounts (id))",
         "CREATE INDEX panel_sessions_by_expiry ON panel_sessions (expires_at)",

         "CREATE TABLE login_links ("
         " id {id},"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " token_hash TEXT NOT NULL UNIQUE,"
         " created_at BIGINT NOT NULL,"
         " expires_at BIGINT NOT NULL,"
         " used_at BIGINT)",
         // A link is done when it is used or expires, whichever comes first:
         // retention reads this expression, written the same way there
         // (transaction.cpp), so both planners match it to the index.
         "CREATE INDEX login_links_done ON login_links"
         " ((CASE WHEN used_at < expires_at THEN used_at ELSE expires_at END))",

         // Telegram Login Widget data accepted once, until it would be too old anyway.
         "CREATE TABLE telegram_logins ("
         " login_hash TEXT PRIMARY KEY,"
         " expires_at BIGINT NOT NULL){clustered}",
         "CREATE INDEX telegram_logins_by_expiry ON telegram_logins (expires_at)",
     }},
    {10,
     "analytics: the version each run plays, element progress counted as it happens",
     {
         "ALTER TABLE runs ADD COLUMN version_id BIGINT",
         // The engine has kept it in the run's state since versions exist.
         "UPDATE runs SET version_id = {json_integer state_json version}",
         "UPDATE runs SET version_id = NULL WHERE version_id = 0",
         // Each analytics query reads one of these and not the table: by
         // version and dates; by status; by start; by token and UTM tags.
         "CREATE INDEX runs_for_analytics ON runs (account_id, version_id, started_at, status)",
         "CREATE INDEX runs_by_account_status ON runs (account_id, status, started_at)",
         "CREATE INDEX runs_by_account_start ON runs (account_id, started_at, status)",
         "CREATE INDEX runs_by_account_source ON runs (account_id, token_id, utm_json, status)",

         // Which elements each run reached (one row each), and whether its
         // first scored answer there was counted.
         "CREATE TABLE run_elements ("
         " run_id BIGINT NOT NULL,"
         " element_id TEXT NOT NULL,"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " version_id BIGINT NOT NULL,"
         " scored INTEGER NOT NULL DEFAULT 0,"
         " PRIMARY KEY (run_id, element_id)){clustered}",
         // Per element of a version, split into shards by run id so that
         // students reaching one element at once do not queue on one row.
         "CREATE TABLE element_progress ("
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " version_id BIGINT NOT NULL,"
         " element_id TEXT NOT NULL,"
         " shard INTEGER NOT NULL,"
         " reached BIGINT NOT NULL DEFAULT 0,"
         " scored BIGINT NOT NULL DEFAULT 0,"
         " score_sum DOUBLE PRECISION NOT NULL DEFAULT 0,"
         " maxscore_sum DOUBLE PRECISION NOT NULL DEFAULT 0,"
         " PRIMARY KEY (version_id, element_id, shard)){clustered}",

         // What the conversation written so far says.
         "INSERT INTO run_elements (run_id, element_id, account_id, version_id, scored)"
         " SELECT c.run_id, c.element_id, MIN(c.account_id), MIN(r.version_id),"
         " MAX(CASE WHEN c.score IS NULL THEN 0 ELSE 1 END)"
         " FROM conversation c JOIN runs r ON r.id = c.run_id"
         " WHERE c.element_id <> '' AND r.version_id IS NOT NULL GROUP BY c.run_id, c.element_id",
         "INSERT INTO element_progress (account_id, version_id, element_id, shard, reached, scored, "
         "score_sum,"
         " maxscore_sum)"
         " SELECT re.account_id, re.version_id, re.element_id, CAST(re.run_id % 8 AS INTEGER), COUNT(*),"
         " SUM(re.scored), COALESCE(SUM(first.score), 0), COALESCE(SUM(first.maxscore), 0)"
         " FROM run_elements re LEFT JOIN conversation first ON first.id = ("
         "   SELECT MIN(c.id) FROM conversation c"
         "   WHERE c.run_id = re.run_id AND c.element_id = re.element_id AND c.score IS NOT NULL)"
         " GROUP BY re.account_id, re.version_id, re.element_id, CAST(re.run_id % 8 AS INTEGER)",
     }},
    {11,
     "the panel's preview runs kept apart; bot health as transports report it",
     {
         "ALTER TABLE runs ADD COLUMN preview INTEGER NOT NULL DEFAULT 0",
         // Analytics read real runs only: `preview = 0` right after the
         // account keeps each of these a range scan that covers the query.
         "DROP INDEX runs_for_analytics",
         "DROP INDEX runs_by_account_status",
         "DROP INDEX runs_by_account_start",
         "DROP INDEX runs_by_account_source",
         "CREATE INDEX runs_for_analytics ON runs (account_id, preview, version_id, started_at, status)",
         "CREATE INDEX runs_by_account_status ON runs (account_id, preview, status, started_at)",
         "CREATE INDEX runs_by_account_start ON runs (account_id, preview, started_at, status)",
         "CREATE INDEX runs_by_account_source ON runs (account_id, preview, token_id, utm_json, status)",

         "CREATE TABLE bot_health ("
         " bot_id BIGINT PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " state TEXT NOT NULL,"
         " last_error TEXT NOT NULL,"
         " last_error_at BIGINT NOT NULL,"
         " updated_at BIGINT NOT NULL)",
         "CREATE INDEX bot_health_by_account ON bot_health (account_id, bot_id)",
     }},
    {12,
     "bot leases (several processes share the bots of one database); legacy import ids",
     {
         "CREATE TABLE lease_holders ("
         " holder TEXT PRIMARY KEY,"
         " seen_at BIGINT NOT NULL)",
         "CREATE TABLE bot_leases ("
         " bot_id BIGINT PRIMARY KEY REFERENCES bots (id) ON DELETE CASCADE,"
         " holder TEXT NOT NULL,"
         " expires_at BIGINT NOT NULL)",
         "CREATE INDEX bot_leases_by_holder ON bot_leases (holder, bot_id)",
         // What `profo legacy import` brought over, so that it never brings it twice.
         "CREATE TABLE legacy_ids ("
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " kind TEXT NOT NULL,"
         " legacy_key TEXT NOT NULL,"
         " id BIGINT NOT NULL,"
         " recorded_at BIGINT NOT NULL,"
         " PRIMARY KEY (account_id, kind, legacy_key))",
     }},
    {13,
     "course authors in the chat: what a chat's next course file is for",
     {
         "CREATE TABLE chat_authoring ("
         " bot_id BIGINT NOT NULL REFERENCES bots (id) ON DELETE CASCADE,"
         " chat_id BIGINT NOT NULL,"
         " account_id BIGINT NOT NULL REFERENCES accounts (id),"
         " user_id BIGINT NOT NULL,"
         " mode TEXT NOT NULL,"
         " course_name TEXT NOT NULL,"
         " course_id BIGINT,"
         " expires_at BIGINT NOT NULL,"
         " PRIMARY KEY (bot_id, chat_id))",
     }},
    {14,
     "a student's runs found by their chat, on any bot of the account",
     {
         "CREATE INDEX runs_by_account_chat ON runs (account_id, chat_id, id)",
     }},
    // Where the dialect chains each run's conversation (SqlDialect::
    // chained_conversation_next_id_sql), `{chain_conversation}` makes the chain.
    {15,
     "a run's conversation chained from the run instead of indexed by run, where the backend says so",
     {
         "{chain_conversation}",
     }},
};

std::string expand(std::string_view statement, const SqlDialect& dialect, std::int64_t now) {
    std::string sql;
    sql.reserve(statement.size() + 32);
    for (std::size_t i = 0; i < statement.size();) {
        if (statement.substr(i, 4) == "{id}") {
            sql += dialect.id_column_ddl();
            i += 4;
        } else if (statement.substr(i, 8) == "{log_id}") {
            sql += dialect.log_id_column_ddl();
            i += 8;
        } else if (statement.substr(i, 14) == "{json_integer ") {
            // {json_integer COLUMN KEY}
            const auto end = statement.find('}', i);
            const auto words = statement.substr(i + 14, end - i - 14);
            const auto space = words.find(' ');
            sql += dialect.json_integer_sql(words.substr(0, space), words.substr(space + 1));
            i = end + 1;
        } else if (statement.substr(i, 11) == "{clustered}") {
            sql += dialect.clustered_table_suffix();
            i += 11;
        } else if (statement.substr(i, 5) == "{now}") {
            sql += std::to_string(now);
            i += 5;
        } else {
            sql += statement[i++];
        }
    }
    return sql;
}

// `{refuse_updates TABLE}` stands for the dialect's statements that make the
// database refuse every UPDATE of TABLE.
constexpr std::string_view kRefuseUpdates = "{refuse_updates ";

// `{chain_conversation}`: a run's conversation becomes a chain from the run
// (transaction.cpp says why). The history written so far is chained while
// the index by run can still find it (0: the run's first row). A row written
// without a link, by hand or by a tool that knows nothing of the chain, is
// found by the partial index, which holds only such rows.
constexpr std::string_view kChainConversation = "{chain_conversation}";
const std::vector<std::string> kChainConversationDdl = {
    "ALTER TABLE runs ADD COLUMN conversation_head BIGINT",
    "ALTER TABLE conversation ADD COLUMN prev_id BIGINT",
    std::string("UPDATE conversation SET prev_id = COALESCE((SELECT MAX(p.id) FROM conversation p") +
        " WHERE p.run_id = conversation.run_id AND p.id < conversation.id), 0)",
    "UPDATE runs SET conversation_head = (SELECT MAX(c.id) FROM conversation c WHERE c.run_id = runs.id)",
    "CREATE INDEX conversation_unlinked ON conversation (run_id, id) WHERE prev_id IS NULL",
    "DROP INDEX conversation_by_run",
};

std::vector<std::string> expand_all(std::string_view statement, const SqlDialect& dialect, std::int64_t now) {
    if (statement == kChainConversation)
        return dialect.chained_conversation_next_id_sql().empty() ? std::vector<std::string>{}
                                                                  : kChainConversationDdl;
    if (statement.substr(0, kRefuseUpdates.size()) == kRefuseUpdates && statement.back() == '}') {
        const auto table =
            statement.substr(kRefuseUpdates.size(), statement.size() - kRefuseUpdates.size() - 1);
        return dialect.refuse_updates_ddl(table, std::string(table) +
                                                     " rows never change once written; publish a new "
                                                     "course version instead");
    }
    return {expand(statement, dialect, now)};
}

[[noreturn]] void throw_too_new(int version) {
    throw StorageError(StorageError::Code::schema_too_new,
                       "database schema version " + std::to_string(version) + " is newer than this build (" +
                           std::to_string(latest_schema_version()) + "); upgrade profo");
}

auto no_explanation = [](DbFailure) { return std::optional<Explanation>(); };

}  // namespace

const std::vector<Migration>& migrations() {
    return kMigrations;
}

int latest_schema_version() {
    return kMigrations.back().version;
}

int read_schema_version(Database& database, Connection& connection) {
    soci::session& session = *connection.session;
    int exists = 0;
    session << database.dialect().schema_table_exists_sql(), soci::into(exists);
    if (exists == 0) return 0;
    int version = 0;
    session << "SELECT COALESCE(MAX(version), 0) FROM schema_migrations", soci::into(version);
    return version;
}

sdk::MigrationReport migrate(Database& database, std::optional<int> target) {
    const int latest = latest_schema_version();
    const int wanted = target.value_or(latest);
    if (wanted < 0 || wanted > latest)
        throw StorageError(StorageError::Code::invalid, "migrate: target version " + std::to_string(wanted) +
                                                            " is not between 0 and " +
                                                            std::to_string(latest));

    sdk::MigrationReport report;
    {
        auto lease = database.acquire();
        try {
            report.from_version = read_schema_version(database, lease.connection());
        } catch (...) {
            database.raise_current(lease.connection(), "migrate", no_explanation);
        }
    }
    if (report.from_version > latest) throw_too_new(report.from_version);
    report.to_version = report.from_version;

    for (const Migration& migration : kMigrations) {
        if (migration.version <= report.to_version || migration.version > wanted) continue;
        auto lease = database.acquire();
        Connection& connection = lease.connection();
        database.begin(connection, TxKind::synced);
        try {
            // Another process may have migrated while this one waited for the lock.
            database.dialect().lock_for_migration(*connection.session);
            int current = read_schema_version(database, connection);
            if (current > latest) throw_too_new(current);
            if (current >= migration.version) {
                database.rollback(connection);
                report.to_version = current;
                continue;
            }
            const long long now = now_ms();
            const int version = migration.version;
            for (std::string_view statement : migration.statements)
                for (const auto& sql : expand_all(statement, database.dialect(), now))
                    *connection.session << sql;
            *connection.session << "INSERT INTO schema_migrations (version, applied_at) VALUES (:v, :t)",
                soci::use(version), soci::use(now);
        } catch (...) {
            database.rollback(connection);
            database.raise_current(
                connection,
                "migration " + std::to_string(migration.version) + " (" + std::string(migration.title) + ")",
                no_explanation);
        }
        database.commit(connection);
        report.applied.push_back(migration.version);
        report.to_version = migration.version;
    }
    return report;
}

}  // namespace profo::storage_sql
