#include "sql/transaction.hpp"

#include <soci/soci.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <stdexcept>
#include <tuple>

namespace profo::storage_sql {

using sdk::StorageError;

namespace {

constexpr ColumnType I = ColumnType::integer;
constexpr ColumnType R = ColumnType::real;
constexpr ColumnType T = ColumnType::text;

using Code = StorageError::Code;

std::optional<Explanation> explained(Code code, std::string message) {
    return Explanation{code, std::move(message)};
}

auto default_explanation = [](DbFailure) { return std::optional<Explanation>(); };

[[noreturn]] void refuse(std::string_view operation, const std::string& message) {
    throw StorageError(Code::invalid, std::string(operation) + ": " + message);
}

std::string_view json_or_empty_object(const std::string& json) {
    return json.empty() ? std::string_view("{}") : std::string_view(json);
}

Millis or_now(Millis given, Millis now) {
    return given != 0 ? given : now;
}

std::string id_text(Id id) {
    return std::to_string(id);
}

// Account names compare without the case of ASCII letters.
std::string account_name_key(std::string_view name) {
    std::string key(name);
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) {
        return c < 0x80 ? static_cast<char>(std::tolower(c)) : static_cast<char>(c);
    });
    return key;
}

bool is_member_role(const std::string& role) {
    return role == "owner" || role == "admin";
}

// What a key, a session token, a link token or a Telegram login is kept as:
// SHA-256 in lowercase hex, so one digest has one spelling and the unique
// indexes see every duplicate. A value that is not one is left out of the
// message: it may be the very secret a caller forgot to hash, and messages
// end up in logs.
void check_digest(std::string_view operation, std::string_view what, const std::string& digest) {
    const bool ok = digest.size() == 64 && std::all_of(digest.begin(), digest.end(), [](char c) {
                        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                    });
    if (!ok)
        refuse(operation, std::string(what) + " must be a SHA-256 digest in lowercase hex, 64 digits (got " +
                              std::to_string(digest.size()) + " characters, not shown)");
}

// Telegram usernames compare without '@' and case.
std::string username_key(std::string_view username) {
    if (!username.empty() && username.front() == '@') username.remove_prefix(1);
    std::string key(username);
    std::transform(key.begin(), key.end(), key.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return key;
}

template <class Row, class Read>
std::optional<Row> one_row(PreparedStatement& statement, Read read) {
    statement.execute();
    if (!statement.next_row()) return std::nullopt;
    Row row = read(statement);
    statement.finish();
    return row;
}

template <class Row, class Read>
std::vector<Row> all_rows(PreparedStatement& statement, Read read) {
    statement.execute();
    std::vector<Row> rows;
    while (statement.next_row()) rows.push_back(read(statement));
    return rows;
}

long long changed_rows(PreparedStatement& statement) {
    statement.execute();
    return statement.affected_rows();
}

// The first column of the only row: an id from RETURNING, a COUNT(*), ...
long long single_integer(PreparedStatement& statement) {
    statement.execute();
    if (!statement.next_row()) throw std::logic_error("no row returned: " + statement.sql());
    long long value = statement.integer(0);
    statement.finish();
    return value;
}

// --- Row shapes and readers -------------------------------------------------

const Columns kAccount{{"id", I}, {"name", T}, {"created_at", I}};

Account read_account(const PreparedStatement& s) {
    RowReader r(s);
    Account a;
    a.id = r.integer();
    a.name = r.text();
    a.created_at = r.integer();
    return a;
}

const Columns kMember{{"id", I},       {"account_id", I}, {"telegram_user_id", I},
                      {"username", T}, {"role", T},       {"created_at", I}};

AccountMember read_member(const PreparedStatement& s) {
    RowReader r(s);
    AccountMember m;
    m.id = r.integer();
    m.account_id = r.integer();
    m.telegram_user_id = r.integer();
    m.username = r.text();
    m.role = r.text();
    m.created_at = r.integer();
    return m;
}

const Columns kBot{
    {"id", I},   {"account_id", I},    {"username", T},   {"token_sealed", T}, {"settings_json", T},
    {"mode", T}, {"update_offset", I}, {"created_at", I}, {"enabled", I}};

Bot read_bot(const PreparedStatement& s) {
    RowReader r(s);
    Bot b;
    b.id = r.integer();
    b.account_id = r.integer();
    b.username = r.text();
    b.token_sealed = r.text();
    b.settings_json = r.text();
    b.mode = r.text();
    b.update_offset = r.integer();
    b.created_at = r.integer();
    b.enabled = r.boolean();
    return b;
}

const Columns kCourse{{"id", I}, {"account_id", I}, {"name", T}, {"created_at", I}, {"updated_at", I}};

Course read_course(const PreparedStatement& s) {
    RowReader r(s);
    Course c;
    c.id = r.integer();
    c.account_id = r.integer();
    c.name = r.text();
    c.created_at = r.integer();
    c.updated_at = r.integer();
    return c;
}

const Columns kVersion{{"id", I},     {"account_id", I},  {"course_id", I},
                       {"number", I}, {"source_name", T}, {"created_at", I}};

CourseVersion read_version(const PreparedStatement& s) {
    RowReader r(s);
    CourseVersion v;
    v.id = r.integer();
    v.account_id = r.integer();
    v.course_id = r.integer();
    v.number = static_cast<int>(r.integer());
    v.source_name = r.text();
    v.created_at = r.integer();
    return v;
}

const Columns kElement{{"id", I},         {"account_id", I}, {"version_id", I}, {"position", I},
                       {"element_id", T}, {"type", T},       {"body_json", T}};

CourseElement read_element(const PreparedStatement& s) {
    RowReader r(s);
    CourseElement e;
    e.id = r.integer();
    e.account_id = r.integer();
    e.version_id = r.integer();
    e.position = static_cast<int>(r.integer());
    e.element_id = r.text();
    e.type = r.text();
    e.body_json = r.text();
    return e;
}

const Columns kDeployment{
    {"id", I},          {"account_id", I},     {"course_id", I},     {"version_id", I}, {"bot_id", I},
    {"environment", T}, {"overrides_json", T}, {"legacy_alias", T},  {"is_active", I},  {"created_at", I},
    {"restricted", I},  {"allow_restart", I},  {"collect_email", I}, {"archived_at", I}};

CourseDeployment read_deployment(const PreparedStatement& s) {
    RowReader r(s);
    CourseDeployment d;
    d.id = r.integer();
    d.account_id = r.integer();
    d.course_id = r.integer();
    d.version_id = r.integer();
    d.bot_id = r.integer();
    d.environment = r.text();
    d.overrides_json = r.text();
    d.legacy_alias = r.text();
    d.active = r.boolean();
    d.created_at = r.integer();
    d.restricted = r.boolean();
    d.allow_restart = r.boolean();
    d.collect_email = r.boolean();
    d.archived_at = r.optional_integer();
    return d;
}

const Columns kToken{{"id", I},        {"account_id", I}, {"deployment_id", I}, {"type", T},
                     {"code", T},      {"max_uses", I},   {"uses", I},          {"expires_at", I},
                     {"utm_json", T},  {"revoked", I},    {"created_at", I},    {"label", T},
                     {"is_active", I}, {"starts_at", I},  {"ends_at", I},       {"user_id", I},
                     {"username", T}};

EnrollmentToken read_token(const PreparedStatement& s) {
    RowReader r(s);
    EnrollmentToken t;
    t.id = r.integer();
    t.account_id = r.integer();
    t.deployment_id = r.integer();
    t.type = r.text();
    t.code = r.text();
    t.max_uses = r.optional_integer();
    t.uses = r.integer();
    t.expires_at = r.optional_integer();
    t.utm_json = r.text();
    t.revoked = r.boolean();
    t.created_at = r.integer();
    t.label = r.text();
    t.active = r.boolean();
    t.starts_at = r.optional_integer();
    t.ends_at = r.optional_integer();
    t.user_id = r.optional_integer();
    t.username = r.text();
    return t;
}

const Columns kRun{{"id", I},         {"account_id", I}, {"bot_id", I},     {"deployment_id", I},
                   {"chat_id", I},    {"user_id", I},    {"username", T},   {"token_id", I},
                   {"status", T},     {"is_active", I},  {"cursor", T},     {"state_json", T},
                   {"utm_json", T},   {"started_at", I}, {"updated_at", I}, {"ended_at", I},
                   {"version_id", I}, {"preview", I}};

Run read_run(const PreparedStatement& s) {
    RowReader r(s);
    Run run;
    run.id = r.integer();
    run.account_id = r.integer();
    run.bot_id = r.integer();
    run.deployment_id = r.integer();
    run.chat_id = r.integer();
    run.user_id = r.integer();
    run.username = r.text();
    run.token_id = r.optional_integer();
    const std::string status = r.text();
    // A status this build does not know (written by a newer one) reads as
    // stopped: such a run is history, never a run to continue.
    run.status = sdk::parse_run_status(status).value_or(sdk::RunStatus::stopped);
    run.active = r.boolean();
    run.cursor = r.text();
    run.state_json = r.text();
    run.utm_json = r.text();
    run.started_at = r.integer();
    run.updated_at = r.integer();
    run.ended_at = r.optional_integer();
    run.version_id = r.optional_integer().value_or(0);
    run.preview = r.boolean();
    return run;
}

const Columns kConversationEntry{{"id", I},      {"account_id", I},   {"run_id", I}, {"element_id", T},
                                 {"role", T},    {"payload_json", T}, {"score", R},  {"maxscore", R},
                                 {"attempt", I}, {"created_at", I}};

ConversationEntry read_conversation(const PreparedStatement& s) {
    RowReader r(s);
    ConversationEntry e;
    e.id = r.integer();
    e.account_id = r.integer();
    e.run_id = r.integer();
    e.element_id = r.text();
    e.role = r.text();
    e.payload_json = r.text();
    e.score = r.optional_real();
    e.maxscore = r.optional_real();
    e.attempt = static_cast<int>(r.integer());
    e.created_at = r.integer();
    return e;
}

const Columns kTimer{{"id", I},     {"account_id", I},   {"run_id", I}, {"element_id", T},
                     {"due_at", I}, {"payload_json", T}, {"status", T}, {"created_at", I}};

WaitingElement read_timer(const PreparedStatement& s) {
    RowReader r(s);
    WaitingElement t;
    t.id = r.integer();
    t.account_id = r.integer();
    t.run_id = r.integer();
    t.element_id = r.text();
    t.due_at = r.integer();
    t.payload_json = r.text();
    t.status = r.text();
    t.created_at = r.integer();
    return t;
}

const Columns kBan{{"id", I},     {"account_id", I}, {"bot_id", I}, {"user_id", I},
                   {"reason", T}, {"created_at", I}, {"message", T}};

Ban read_ban(const PreparedStatement& s) {
    RowReader r(s);
    Ban b;
    b.id = r.integer();
    b.account_id = r.integer();
    b.bot_id = r.optional_integer();
    b.user_id = r.integer();
    b.reason = r.text();
    b.created_at = r.integer();
    b.message = r.text();
    return b;
}

const Columns kParticipant{{"id", I},      {"account_id", I}, {"deployment_id", I},
                           {"user_id", I}, {"username", T},   {"created_at", I}};

Participant read_participant(const PreparedStatement& s) {
    RowReader r(s);
    Participant p;
    p.id = r.integer();
    p.account_id = r.integer();
    p.deployment_id = r.integer();
    p.user_id = r.optional_integer();
    p.username = r.text();
    p.created_at = r.integer();
    return p;
}

const Columns kOutbox{{"id", I},         {"account_id", I}, {"bot_id", I},
                      {"chat_id", I},    {"run_id", I},     {"payload_json", T},
                      {"status", T},     {"attempts", I},   {"next_attempt_at", I},
                      {"last_error", T}, {"created_at", I}};

OutboxMessage read_outbox(const PreparedStatement& s) {
    RowReader r(s);
    OutboxMessage m;
    m.id = r.integer();
    m.account_id = r.integer();
    m.bot_id = r.integer();
    m.chat_id = r.integer();
    m.run_id = r.optional_integer();
    m.payload_json = r.text();
    m.status = r.text();
    m.attempts = static_cast<int>(r.integer());
    m.next_attempt_at = r.integer();
    m.last_error = r.text();
    m.created_at = r.integer();
    return m;
}

const Columns kPoll{{"account_id", I}, {"bot_id", I},     {"poll_id", T},   {"run_id", I},
                    {"element_id", T}, {"activation", I}, {"created_at", I}};

PollRecord read_poll(const PreparedStatement& s) {
    RowReader r(s);
    PollRecord p;
    p.account_id = r.integer();
    p.bot_id = r.integer();
    p.poll_id = r.text();
    p.run_id = r.integer();
    p.element_id = r.text();
    p.activation = r.integer();
    p.created_at = r.integer();
    return p;
}

const Columns kApiKey{
    {"id", I},   {"account_id", I},         {"label", T},      {"prefix", T},       {"secret_hash", T},
    {"role", T}, {"created_by_user_id", I}, {"created_at", I}, {"last_used_at", I}, {"revoked_at", I}};

ApiKey read_api_key(const PreparedStatement& s) {
    RowReader r(s);
    ApiKey k;
    k.id = r.integer();
    k.account_id = r.integer();
    k.label = r.text();
    k.prefix = r.text();
    k.secret_hash = r.text();
    k.role = r.text();
    k.created_by_user_id = r.integer();
    k.created_at = r.integer();
    k.last_used_at = r.optional_integer();
    k.revoked_at = r.optional_integer();
    return k;
}

const Columns kPanelSession{{"id", I},         {"token_hash", T},   {"telegram_user_id", I},
                            {"username", T},   {"first_name", T},   {"created_at", I},
                            {"expires_at", I}, {"last_seen_at", I}, {"pinned_account_id", I}};

PanelSession read_panel_session(const PreparedStatement& s) {
    RowReader r(s);
    PanelSession p;
    p.id = r.integer();
    p.token_hash = r.text();
    p.telegram_user_id = r.integer();
    p.username = r.text();
    p.first_name = r.text();
    p.created_at = r.integer();
    p.expires_at = r.integer();
    p.last_seen_at = r.integer();
    p.pinned_account_id = r.optional_integer();
    return p;
}

const Columns kLoginLink{{"id", I},         {"account_id", I}, {"token_hash", T},
                         {"created_at", I}, {"expires_at", I}, {"used_at", I}};

LoginLink read_login_link(const PreparedStatement& s) {
    RowReader r(s);
    LoginLink l;
    l.id = r.integer();
    l.account_id = r.integer();
    l.token_hash = r.text();
    l.created_at = r.integer();
    l.expires_at = r.integer();
    l.used_at = r.optional_integer();
    return l;
}

Query select(const Columns& columns, std::string_view rest) {
    return {"SELECT " + columns.list() + " " + std::string(rest), columns.types()};
}

Query returning(const Columns& columns, std::string_view insert) {
    return {std::string(insert) + " RETURNING " + columns.list(), columns.types()};
}

IdInsert returning_id(std::string_view insert) {
    return {{std::string(insert), {}}, {std::string(insert) + " RETURNING id", {I}}};
}

Query command(std::string_view sql) {
    return {std::string(sql), {}};
}

Query count(std::string_view sql) {
    return {std::string(sql), {I}};
}

// `query`, marked as leaving the outbox and the conversation alone
// (Query::apart_from_held_rows): the statements an engine event runs
// between the rows it holds back.
Query apart_from_held_rows(Query query) {
    query.apart_from_held_rows = true;
    return query;
}

// --- Statements ---------------------------------------------------------------
// Every tenant statement is scoped by `account_id = :a`.

const Query kInsertAccount =
    returning(kAccount, "INSERT INTO accounts (name, created_at) VALUES (:name, :created_at)");
const Query kGetAccount = select(kAccount, "FROM accounts WHERE id = :id");
const Query kListAccounts = select(kAccount, "FROM accounts ORDER BY id");

const Query kInsertMember =
    returning(kMember,
              "INSERT INTO account_members (account_id, telegram_user_id, username, role, "
              "created_at) VALUES (:a, :telegram_user_id, :username, :role, :created_at)");
const Query kListMembers = select(kMember, "FROM account_members WHERE account_id = :a ORDER BY id");
const Query kDeleteMember = command("DELETE FROM account_members WHERE account_id = :a AND id = :id");
const Query kMembershipsOf =
    select(kMember, "FROM account_members WHERE telegram_user_id = :u ORDER BY account_id, id");
const Query kRenameAccount = command("UPDATE accounts SET name = :name WHERE id = :id");
// Every name, compared in C++: SQLite's lower() folds only ASCII and
// PostgreSQL's the whole of Unicode, so the same names would clash on one
// backend and not on the other.
const Query kAccountNames = {"SELECT id, name FROM accounts", {I, T}};
const Query kGetMember = select(kMember, "FROM account_members WHERE account_id = :a AND id = :id");
const Query kUpdateMember = command(
    "UPDATE account_members SET username = :username, role = :role WHERE account_id = :a AND id = :id");
const Query kCountOwners =
    count("SELECT COUNT(*) FROM account_members WHERE account_id = :a AND role = 'owner'");

const Query kInsertBot =
    returning(kBot,
              "INSERT INTO bots (account_id, username, token_sealed, settings_json, mode, "
              "update_offset, created_at, enabled) VALUES (:a, :username, :token_sealed, :settings_json, "
              ":mode, :update_offset, :created_at, :enabled)");
const Query kGetBot = select(kBot, "FROM bots WHERE account_id = :a AND id = :id");
const Query kListBots = select(kBot, "FROM bots WHERE account_id = :a ORDER BY id");
const Query kUpdateBot = command(
    "UPDATE bots SET username = :username, token_sealed = :token_sealed, settings_json = :settings_json, "
    "mode = :mode, enabled = :enabled WHERE account_id = :a AND id = :id");
const Query kDeleteBot = command("DELETE FROM bots WHERE account_id = :a AND id = :id");
const Query kSetBotOffset =
    command("UPDATE bots SET update_offset = :offset WHERE account_id = :a AND id = :id");
const Query kListAllBots = select(kBot, "FROM bots ORDER BY id");

const Query kInsertCourse = returning(
    kCourse, "INSERT INTO courses (account_id, name, created_at, updated_at) VALUES (:a, :name, :c, :u)");
const Query kGetCourse = select(kCourse, "FROM courses WHERE account_id = :a AND id = :id");
const Query kFindCourse = select(kCourse, "FROM courses WHERE account_id = :a AND name = :name");
const Query kListCourses = select(kCourse, "FROM courses WHERE account_id = :a ORDER BY id");
const Query kRenameCourse =
    command("UPDATE courses SET name = :name, updated_at = :u WHERE account_id = :a AND id = :id");
const Query kTouchCourse = command("UPDATE courses SET updated_at = :u WHERE account_id = :a AND id = :id");
const Query kCountCourseDeployments =
    count("SELECT COUNT(*) FROM course_deployments WHERE account_id = :a AND course_id = :c");
const Query kDeleteCourse = command("DELETE FROM courses WHERE account_id = :a AND id = :id");

const Query kLastVersionNumber =
    count("SELECT COALESCE(MAX(number), 0) FROM course_versions WHERE account_id = :a AND course_id = :c");
const Query kInsertVersion =
    returning(kVersion,
              "INSERT INTO course_versions (account_id, course_id, number, source_name, "
              "created_at) VALUES (:a, :c, :number, :source_name, :created_at)");
const Query kInsertElement = command(
    "INSERT INTO course_elements (account_id, version_id, position, element_id, type, body_json) "
    "VALUES (:a, :v, :position, :element_id, :type, :body_json)");
const Query kGetVersion = select(kVersion, "FROM course_versions WHERE account_id = :a AND id = :id");
const Query kListVersions =
    select(kVersion, "FROM course_versions WHERE account_id = :a AND course_id = :c ORDER BY number");
const Query kVersionElements =
    select(kElement, "FROM course_elements WHERE account_id = :a AND version_id = :v ORDER BY position");
const Query kVersionCourse = count("SELECT course_id FROM course_versions WHERE account_id = :a AND id = :v");

const Query kInsertDeployment = returning(
    kDeployment,
    "INSERT INTO course_deployments (account_id, course_id, version_id, bot_id, environment, overrides_json, "
    "legacy_alias, is_active, created_at, restricted, allow_restart, collect_email, archived_at) VALUES (:a, "
    ":course_id, :version_id, :bot_id, :environment, :overrides_json, :legacy_alias, :is_active, "
    ":created_at, :restricted, :allow_restart, :collect_email, :archived_at)");
const Query kGetDeployment =
    apart_from_held_rows(select(kDeployment, "FROM course_deployments WHERE account_id = :a AND id = :id"));
const Query kListDeployments =
    select(kDeployment, "FROM course_deployments WHERE account_id = :a ORDER BY id");
const Columns kDeploymentLifecycle{{"course_id", I}, {"archived_at", I}};
const Query kDeploymentCourseAndArchive =
    select(kDeploymentLifecycle, "FROM course_deployments WHERE account_id = :a AND id = :id");
const Query kUpdateDeployment = command(
    "UPDATE course_deployments SET version_id = :version_id, environment = :environment, "
    "overrides_json = :overrides_json, legacy_alias = :legacy_alias, is_active = :is_active, "
    "restricted = :restricted, allow_restart = :allow_restart, collect_email = :collect_email, "
    "archived_at = :archived_at WHERE account_id = :a AND id = :id");
// An active deployment wins over retired ones that carried the same alias.
const Query kFindDeploymentByAlias =
    select(kDeployment,
           "FROM course_deployments WHERE account_id = :a AND bot_id = :b AND "
           "legacy_alias = :alias ORDER BY is_active DESC, id DESC LIMIT 1");

const Query kInsertToken = returning(
    kToken,
    "INSERT INTO enrollment_tokens (account_id, deployment_id, type, code, max_uses, uses, expires_at, "
    "utm_json, revoked, created_at, label, is_active, starts_at, ends_at, user_id, username) VALUES "
    "(:a, :deployment_id, :type, :code, :max_uses, :uses, :expires_at, :utm_json, :revoked, "
    ":created_at, :label, :is_active, :starts_at, :ends_at, :user_id, :username)");
const Query kGetToken = select(kToken, "FROM enrollment_tokens WHERE account_id = :a AND id = :id");
const Query kFindToken =
    select(kToken, "FROM enrollment_tokens WHERE account_id = :a AND deployment_id = :d AND code = :code");
const Query kListTokens =
    select(kToken, "FROM enrollment_tokens WHERE account_id = :a AND deployment_id = :d ORDER BY id");
// One statement, so two students racing for the last use cannot both get it.
const Query kConsumeToken = command(
    "UPDATE enrollment_tokens SET uses = uses + 1 WHERE account_id = :a AND id = :id AND revoked = 0 "
    "AND is_active = 1 AND (max_uses IS NULL OR uses < max_uses)");
const Query kRevokeToken =
    command("UPDATE enrollment_tokens SET revoked = 1 WHERE account_id = :a AND id = :id");
const Query kSetTokenActive =
    command("UPDATE enrollment_tokens SET is_active = :active WHERE account_id = :a AND id = :id");

const Query kInsertRun = returning(
    kRun,
    "INSERT INTO runs (account_id, bot_id, deployment_id, chat_id, user_id, username, token_id, status, "
    "is_active, "
    "cursor, state_json, utm_json, started_at, updated_at, ended_at, version_id, preview) VALUES (:a, "
    ":bot_id, :deployment_id, :chat_id, :user_id, :username, :token_id, :status, :is_active, :cursor, "
    ":state_json, :utm_json, :started_at, :updated_at, :ended_at, :version_id, :preview)");
const Query kGetRun = apart_from_held_rows(select(kRun, "FROM runs WHERE account_id = :a AND id = :id"));
// `is_active = 1` literally, so both planners pick the partial unique index.
const Query kActiveRun = apart_from_held_rows(
    select(kRun, "FROM runs WHERE account_id = :a AND bot_id = :b AND chat_id = :c AND is_active = 1"));
// The same with the run's conversation head, where the conversation is chained.
const Query kActiveRunAndChainEnd =
    apart_from_held_rows({"SELECT " + kRun.list() +
                              ", conversation_head FROM runs WHERE account_id = :a AND bot_id = :b AND "
                              "chat_id = :c AND is_active = 1",
                          [] {
                              auto types = kRun.types();
                              types.push_back(I);
                              return types;
                          }()});
// An update of a run's row, in the order bound: [status,] cursor,
// state_json, [ended_at,] updated_at, [conversation_head,] then account and
// id. is_active is set apart, and only when it changes: SQLite rewrites the
// partial index on every UPDATE that names the column, one more page per
// event. Status and ended_at are left out for a run whose status this
// transaction knows is unchanged: status is a column of four analytics
// indexes, and naming it in SET rewrites an entry in each, changed or not
// (four more pages per event to write and log). The conversation head (the
// chain below) is set where an event appended its rows before updating its
// run: one statement for both.
Query run_update(bool status, bool head) {
    std::string set = status ? "status = :status, cursor = :cursor, state_json = :state_json, "
                               "ended_at = :ended_at, updated_at = :updated_at"
                             : "cursor = :cursor, state_json = :state_json, updated_at = :updated_at";
    if (head) set += ", conversation_head = :h";
    return apart_from_held_rows(command("UPDATE runs SET " + set + " WHERE account_id = :a AND id = :id"));
}
// Indexed [status][head].
const Query kUpdateRun[2][2] = {{run_update(false, false), run_update(false, true)},
                                {run_update(true, false), run_update(true, true)}};
const Query kUpdateRunActive = apart_from_held_rows(command(
    "UPDATE runs SET is_active = :is_active WHERE account_id = :a AND id = :id AND is_active <> :was_not"));

// A run's conversation is found one of two ways, as the dialect says
// (SqlDialect::chained_conversation_next_id_sql).
// - Indexed by run (conversation_by_run): an append is one insert, but takes
//   a random leaf page of an ever larger index in every event's transaction.
// - A chain: each row names the run's row before it (prev_id, 0 for the
//   first) and the run its newest (conversation_head). An append is at most
//   one insert, which reads the head where the transaction does not know it
//   (SqlTransaction::chain_ends_), and is held back to go with the next ones
//   where it does; the head moves with the run's next update in the
//   transaction. It writes only the end of the table and the run's row,
//   which the event rewrites anyway.
// On SQLite pages are the cost and the chain is faster; on PostgreSQL round
// trips are, and the index is (plugins/storage/sql/README.md).
const IdInsert kInsertConversation = returning_id(
    "INSERT INTO conversation (account_id, run_id, element_id, role, payload_json, score, maxscore, attempt, "
    "created_at) VALUES (:a, :run_id, :element_id, :role, :payload_json, :score, :maxscore, :attempt, "
    ":created_at)");
const RowsInsert kInsertConversationRows(
    "INSERT INTO conversation (account_id, run_id, element_id, role, payload_json, score, maxscore, attempt, "
    "created_at) VALUES ",
    "(?, ?, ?, ?, ?, ?, ?, ?, ?)", true);
// A row's prev_id is the one given or, where that is NULL, the run's head.
const RowsInsert kInsertChainedConversationRows(
    "INSERT INTO conversation (id, prev_id, account_id, run_id, element_id, role, payload_json, score, "
    "maxscore, attempt, created_at) VALUES ",
    "(?, COALESCE(?, (SELECT conversation_head FROM runs WHERE account_id = ? AND id = ?), 0), ?, ?, ?, ?, "
    "?, ?, ?, ?, ?)",
    true);
const Query kSetConversationHead = apart_from_held_rows(
    command("UPDATE runs SET conversation_head = :h WHERE account_id = :a AND id = :id"));
const Query kConversationByRun =
    select(kConversationEntry, "FROM conversation WHERE account_id = :a AND run_id = :r ORDER BY id");

// `columns`' list with each name as `table`'s (prefix "c." for "c").
std::string qualified(const Columns& columns, std::string_view table) {
    const std::string prefix = std::string(table) + ".";
    std::string list = prefix + columns.list();
    for (std::size_t at = list.find(", "); at != std::string::npos; at = list.find(", ", at + 2))
        list.insert(at + 2, prefix);
    return list;
}

// Follows the chain down from the head; `prev_id < id` ends it on a row that
// names no older one, so even a damaged chain cannot loop. A row written
// without a link (prev_id NULL: by hand, or by a tool that knows nothing of
// the chain) comes from the partial index that holds only such rows.
const Query kChainedConversation{
    "WITH RECURSIVE chain(id) AS ("
    " SELECT conversation_head FROM runs WHERE account_id = :a AND id = :r"
    " UNION ALL SELECT c.prev_id FROM conversation c JOIN chain ON c.id = chain.id WHERE c.prev_id < c.id) "
    "SELECT " +
        qualified(kConversationEntry, "c") +
        " FROM conversation c JOIN chain ON c.id = chain.id WHERE c.account_id = :ca AND c.run_id = :cr"
        " UNION ALL SELECT " +
        qualified(kConversationEntry, "u") +
        " FROM conversation u WHERE u.account_id = :ua AND u.run_id = :ur AND u.prev_id IS NULL"
        " ORDER BY 1",
    kConversationEntry.types()};

// Binds a history row's columns after its id and link: (account_id, run_id,
// element_id, role, payload_json, score, maxscore, attempt, created_at).
void bind_conversation_row(PreparedStatement& st, std::size_t& p, Id account_id,
                           const ConversationEntry& entry, Millis now) {
    st.bind_at(p++, account_id);
    st.bind_at(p++, entry.run_id);
    st.bind_at(p++, entry.element_id);
    st.bind_at(p++, entry.role);
    st.bind_at(p++, json_or_empty_object(entry.payload_json));
    st.bind_at(p++, entry.score);
    st.bind_at(p++, entry.maxscore);
    st.bind_at(p++, entry.attempt);
    st.bind_at(p++, or_now(entry.created_at, now));
}

const IdInsert kInsertTimer = returning_id(
    "INSERT INTO waiting_elements (account_id, run_id, element_id, due_at, payload_json, status, created_at, "
    "settled_at) VALUES (:a, :run_id, :element_id, :due_at, :payload_json, :status, :created_at, "
    ":settled_at)");
// `status = 'pending'` literally, so both planners pick the partial index by run.
const Query kPendingRunTimers =
    select(kTimer,
           "FROM waiting_elements WHERE account_id = :a AND run_id = :r AND status = 'pending'"
           " ORDER BY due_at, id");
const Query kCancelRunTimers = command(
    "UPDATE waiting_elements SET status = 'cancelled', settled_at = :t WHERE account_id = :a AND run_id = :r "
    "AND status = 'pending'");
const Query kDueTimers = select(
    kTimer,
    "FROM waiting_elements WHERE status = 'pending' AND due_at <= :now ORDER BY due_at, id LIMIT :limit");
const Query kNextTimerDue = {"SELECT MIN(due_at) FROM waiting_elements WHERE status = 'pending'", {I}};
const Query kClaimTimer = command(
    "UPDATE waiting_elements SET status = 'fired', settled_at = :t WHERE account_id = :a AND id = :id AND "
    "status = 'pending'");
// Retention deletes go oldest first through a time index, at most `limit`
// rows per statement, so one never holds the write lock for long.
// The newest timer stays: its id is what keeps SQLite's plain rowid key from
// handing the same id out again (SqlDialect::log_id_column_ddl).
const Query kPruneSettledTimers = command(
    "DELETE FROM waiting_elements WHERE id IN (SELECT id FROM waiting_elements WHERE status <> 'pending' "
    "AND settled_at < :before AND id < (SELECT MAX(id) FROM waiting_elements) ORDER BY settled_at "
    "LIMIT :limit)");

const Query kInsertBan = returning(
    kBan,
    "INSERT INTO banned (account_id, bot_id, user_id, reason, created_at, message) VALUES (:a, :b, :u, "
    ":r, :c, :m)");
const Query kDeleteBan = command("DELETE FROM banned WHERE account_id = :a AND id = :id");
const Query kListBans = select(kBan, "FROM banned WHERE account_id = :a ORDER BY id");
const Query kIsBanned = apart_from_held_rows(
    count("SELECT COUNT(*) FROM banned WHERE account_id = :a AND user_id = :u AND (bot_id "
          "IS NULL OR bot_id = :b)"));
// The bot's own ban first (NULL bot_id sorts last on both backends through
// the CASE), then the newest.
const Query kFindBan =
    select(kBan,
           "FROM banned WHERE account_id = :a AND user_id = :u AND (bot_id IS NULL OR "
           "bot_id = :b) ORDER BY CASE WHEN bot_id IS NULL THEN 1 ELSE 0 END, id DESC LIMIT 1");

const Query kGetEnrollmentKey = {"SELECT key_sealed FROM enrollment_keys WHERE account_id = :a", {T}};
const Query kSetEnrollmentKey = command(
    "INSERT INTO enrollment_keys (account_id, key_sealed, created_at) VALUES (:a, :k, :c) "
    "ON CONFLICT (account_id) DO UPDATE SET key_sealed = excluded.key_sealed, created_at = "
    "excluded.created_at");

const Query kInsertParticipant = returning(kParticipant,
                                           "INSERT INTO participants (account_id, deployment_id, user_id, "
                                           "username, created_at) VALUES (:a, :d, :u, :username, :c)");
const Query kDeleteParticipant = command("DELETE FROM participants WHERE account_id = :a AND id = :id");
const Query kListParticipants =
    select(kParticipant, "FROM participants WHERE account_id = :a AND deployment_id = :d ORDER BY id");
const Query kIsParticipantById =
    count("SELECT COUNT(*) FROM participants WHERE account_id = :a AND deployment_id = :d AND user_id = :u");
const Query kIsParticipantByIdOrName = count(
    "SELECT COUNT(*) FROM participants WHERE account_id = :a AND deployment_id = :d AND "
    "(user_id = :u OR (username <> '' AND lower(username) = :username))");

// Inserts nothing for another account's bot, so the answer is "false" without
// telling whether that bot has seen the update.
const Query kMarkUpdateProcessed = apart_from_held_rows(
    command("INSERT INTO processed_updates (account_id, bot_id, update_id, processed_at) "
            "SELECT CAST(:a AS BIGINT), CAST(:b AS BIGINT), CAST(:u AS BIGINT), CAST(:t AS BIGINT) "
            "WHERE EXISTS (SELECT 1 FROM bots WHERE account_id = :owner AND id = :bot) "
            "ON CONFLICT (bot_id, update_id) DO NOTHING"));
const Query kPruneProcessedUpdates = command(
    "DELETE FROM processed_updates WHERE (bot_id, update_id) IN (SELECT bot_id, update_id FROM "
    "processed_updates WHERE processed_at < :before ORDER BY processed_at LIMIT :limit)");

const IdInsert kInsertOutbox = returning_id(
    "INSERT INTO outbox (account_id, bot_id, chat_id, run_id, payload_json, status, attempts, "
    "next_attempt_at, "
    "last_error, created_at) VALUES (:a, :bot_id, :chat_id, :run_id, :payload_json, 'pending', 0, "
    ":next_attempt_at, '', :created_at)");
const RowsInsert kInsertOutboxRows(
    "INSERT INTO outbox (account_id, bot_id, chat_id, run_id, payload_json, status, attempts, "
    "next_attempt_at, "
    "last_error, created_at) VALUES ",
    "(?, ?, ?, ?, ?, 'pending', 0, ?, '', ?)");
// A scan: the outbox holds only what is still to send (and the few given up).
const Query kPendingOutbox = select(kOutbox,
                                    "FROM outbox WHERE status = 'pending' AND next_attempt_at <= :now "
                                    "ORDER BY next_attempt_at, id LIMIT :limit");
const Query kPendingOutboxOfHolder =
    select(kOutbox,
           "FROM outbox WHERE status = 'pending' AND next_attempt_at <= :now "
           "AND bot_id IN (SELECT bot_id FROM bot_leases WHERE holder = :h) "
           "ORDER BY next_attempt_at, id LIMIT :limit");
const Query kListOutbox =
    select(kOutbox, "FROM outbox WHERE account_id = :a AND bot_id = :b AND chat_id = :c ORDER BY id");
// Only a pending message moves on, so two dispatchers cannot both settle one.
const Query kOutboxSent =
    command("DELETE FROM outbox WHERE account_id = :a AND id = :id AND status = 'pending'");
const Query kOutboxRetry = command(
    "UPDATE outbox SET next_attempt_at = :next_attempt_at, last_error = :error, attempts = attempts + 1 "
    "WHERE account_id = :a AND id = :id AND status = 'pending'");
const Query kOutboxFailed = command(
    "UPDATE outbox SET status = 'failed', last_error = :error, attempts = attempts + 1 "
    "WHERE account_id = :a AND id = :id AND status = 'pending'");
// A given-up message keeps the time its last attempt was due: about when it
// failed.
const Query kPruneFailedOutbox = command(
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE status = 'failed' AND next_attempt_at < "
    ":before ORDER BY next_attempt_at LIMIT :limit)");

const Query kInsertPoll = command(
    "INSERT INTO polls (account_id, bot_id, poll_id, run_id, element_id, activation, created_at) "
    "VALUES (:a, :bot_id, :poll_id, :run_id, :element_id, :activation, :created_at)");
const Query kFindPoll = select(kPoll, "FROM polls WHERE bot_id = :b AND poll_id = :p");
const Query kPrunePollsOfEndedRuns = command(
    "DELETE FROM polls WHERE (bot_id, poll_id) IN (SELECT p.bot_id, p.poll_id FROM polls p JOIN runs r ON "
    "r.account_id = p.account_id AND r.id = p.run_id WHERE p.created_at < :before AND r.is_active = 0 "
    "ORDER BY p.created_at LIMIT :limit)");

const IdInsert kInsertApiKey = returning_id(
    "INSERT INTO api_keys (account_id, label, prefix, secret_hash, role, created_by_user_id, created_at, "
    "last_used_at, revoked_at) VALUES (:a, :label, :prefix, :secret_hash, :role, :created_by_user_id, "
    ":created_at, :last_used_at, :revoked_at)");
const Query kListApiKeys = select(kApiKey, "FROM api_keys WHERE account_id = :a ORDER BY id");
const Query kFindApiKey = select(kApiKey, "FROM api_keys WHERE prefix = :prefix");
const Query kRevokeApiKey =
    command("UPDATE api_keys SET revoked_at = :at WHERE account_id = :a AND id = :id AND revoked_at IS NULL");
// Processes touching one key at once may commit out of order: the latest
// use stays.
const Query kTouchApiKey = command(
    "UPDATE api_keys SET last_used_at = CASE WHEN last_used_at > :at THEN last_used_at ELSE :used_at END "
    "WHERE account_id = :a AND id = :id AND revoked_at IS NULL");

const IdInsert kInsertLoginLink = returning_id(
    "INSERT INTO login_links (account_id, token_hash, created_at, expires_at, used_at) VALUES (:a, "
    ":token_hash, :created_at, :expires_at, :used_at)");
// One statement, so of two sign-ins with the same link only one finds it unused.
const Query kConsumeLoginLink =
    returning(kLoginLink,
              "UPDATE login_links SET used_at = :now WHERE token_hash = :token_hash AND used_at IS NULL AND "
              "expires_at > :at");

const IdInsert kInsertPanelSession = returning_id(
    "INSERT INTO panel_sessions (token_hash, telegram_user_id, username, first_name, created_at, "
    "expires_at, last_seen_at, pinned_account_id) VALUES (:token_hash, :telegram_user_id, :username, "
    ":first_name, :created_at, :expires_at, :last_seen_at, :pinned_account_id)");
const Query kFindPanelSession = select(kPanelSession, "FROM panel_sessions WHERE token_hash = :token_hash");
const Query kTouchPanelSession = command(
    "UPDATE panel_sessions SET last_seen_at = :last_seen_at, expires_at = :expires_at WHERE id = :id");
const Query kDeletePanelSession = command("DELETE FROM panel_sessions WHERE token_hash = :token_hash");

// An expired entry is taken over as if it were new: the login it stood for
// is too old to be accepted anyway.
const Query kRememberTelegramLogin = command(
    "INSERT INTO telegram_logins (login_hash, expires_at) VALUES (:login_hash, :expires_at) "
    "ON CONFLICT (login_hash) DO UPDATE SET expires_at = excluded.expires_at "
    "WHERE telegram_logins.expires_at <= :now");

const Query kPruneExpiredPanelSessions = command(
    "DELETE FROM panel_sessions WHERE id IN (SELECT id FROM panel_sessions WHERE expires_at < :before "
    "ORDER BY expires_at LIMIT :limit)");
// The expression of the login_links_done index (migration 9), word for word:
// when the link was used or expired, whichever came first.
const Query kPruneDoneLoginLinks = command(
    "DELETE FROM login_links WHERE id IN (SELECT id FROM login_links WHERE (CASE WHEN used_at < expires_at "
    "THEN used_at ELSE expires_at END) < :before ORDER BY (CASE WHEN used_at < expires_at THEN used_at ELSE "
    "expires_at END) LIMIT :limit)");
const Query kPruneExpiredTelegramLogins = command(
    "DELETE FROM telegram_logins WHERE login_hash IN (SELECT login_hash FROM telegram_logins WHERE "
    "expires_at < :before ORDER BY expires_at LIMIT :limit)");

// Whether a record of another table belongs to the account. Checked before
// inserts whose unique keys would otherwise compare against other accounts'
// rows and answer "conflict" where the truth is "not yours".
const Query kCourseInAccount = count("SELECT COUNT(*) FROM courses WHERE account_id = :a AND id = :id");
const Query kBotInAccount = count("SELECT COUNT(*) FROM bots WHERE account_id = :a AND id = :id");
const Query kDeploymentInAccount =
    count("SELECT COUNT(*) FROM course_deployments WHERE account_id = :a AND id = :id");
const Query kDeploymentOfBot =
    count("SELECT COUNT(*) FROM course_deployments WHERE account_id = :a AND id = :id AND bot_id = :b");

// As start links carry them (profo/sdk/deep_link.hpp).
bool is_token_code(const std::string& code) {
    return !code.empty() && code.size() <= 32 && std::all_of(code.begin(), code.end(), [](unsigned char c) {
        return (std::isalnum(c) != 0 && c < 0x80) || c == '-';
    });
}

}  // namespace

// --- Transaction lifecycle ------------------------------------------------------

SqlTransaction::SqlTransaction(std::shared_ptr<Database> database, TxKind kind)
    : database_(std::move(database)), lease_(database_->acquire(kind)) {
    database_->begin(lease_->connection(), kind);
}

SqlTransaction::~SqlTransaction() {
    release();
}

void SqlTransaction::release() noexcept {
    if (!lease_) return;
    if (state_ != State::finished) database_->rollback(lease_->connection());
    lease_.reset();
}

void SqlTransaction::check_open(std::string_view operation) const {
    if (state_ == State::failed)
        throw StorageError(Code::invalid, std::string(operation) +
                                              ": an earlier call of this transaction failed; roll it back");
    if (state_ == State::finished)
        throw StorageError(Code::invalid, std::string(operation) + ": the transaction is already committed");
}

template <class Body, class Explain>
auto SqlTransaction::guarded(std::string_view operation, Body&& body, Explain&& explain) -> decltype(body()) {
    check_open(operation);
    try {
        return body();
    } catch (...) {
        state_ = State::failed;
        // Rolls back at once on every backend (PostgreSQL could do nothing else
        // with the transaction anyway), so a failed transaction holds no locks;
        // inside a savepoint, only once the caller gives up on it.
        try {
            database_->raise_current(lease_->connection(), operation, explain);
        } catch (...) {
            if (!savepoint_open_ || lease_->connection().needs_reopen) release();
            throw;
        }
    }
}

template <class Body>
auto SqlTransaction::guarded(std::string_view operation, Body&& body) -> decltype(body()) {
    return guarded(operation, std::forward<Body>(body), default_explanation);
}

template <class... Args>
Id SqlTransaction::insert(const IdInsert& query, const Args&... args) {
    if (!database_->dialect().reports_last_insert_id())
        return single_integer(statement(query.returning).bind(args...));
    statement(query.plain).bind(args...).execute();
    long long id = 0;
    if (!lease_->connection().session->get_last_insert_id("", id))
        throw std::logic_error("the backend did not report the inserted id");
    return id;
}

RowsInsert::RowsInsert(std::string_view head, std::string_view row, bool apart_from_held_rows,
                       std::string_view tail, const std::vector<ColumnType>& columns)
    : per_row_(static_cast<std::size_t>(std::count(row.begin(), row.end(), '?'))) {
    std::string sql(head);
    std::size_t parameter = 0;
    for (std::size_t rows = 1; rows <= kMaxRows; ++rows) {
        if (rows > 1) sql += ", ";
        for (const char c : row) {
            if (c == '?')
                sql += ":p" + std::to_string(parameter++);
            else
                sql += c;
        }
        queries_.push_back({sql + std::string(tail), columns, apart_from_held_rows});
    }
}

template <class BindRow>
void SqlTransaction::insert_rows(const RowsInsert& query, std::size_t rows, const BindRow& bind_row) {
    for (std::size_t first = 0; first < rows; first += RowsInsert::kMaxRows) {
        const std::size_t count = std::min(RowsInsert::kMaxRows, rows - first);
        auto& st = statement(query.query(count));
        st.start_binding(count * query.parameters_per_row());
        std::size_t position = 0;
        for (std::size_t k = first; k < first + count; ++k) bind_row(st, position, k);
        st.execute();
    }
}

void SqlTransaction::commit() {
    if (!held_outbox_.empty() || !held_conversation_.empty()) guarded("commit", [&] { write_held_rows(); });
    if (!chain_ends_.empty()) guarded("commit", [&] { write_heads(); });
    if (!progress_.empty()) guarded("commit", [&] { flush_progress(); });
    check_open("commit");
    try {
        database_->commit(lease_->connection());
    } catch (...) {
        state_ = State::failed;
        release();
        throw;
    }
    state_ = State::finished;
    // Another transaction may have the connection (and SQLite's write slot) now.
    lease_.reset();
    database_->committed_reach().add(reached_);
}

// --- Event isolation (group commit) -----------------------------------------------

namespace {
const Query kSavepoint = command("SAVEPOINT profo_event");
const Query kReleaseSavepoint = command("RELEASE SAVEPOINT profo_event");
const Query kRollbackToSavepoint = command("ROLLBACK TO SAVEPOINT profo_event");

// Two 32-bit keys: the bot's id and the chat's, each folded to 32 bits (two
// chats may share a lock; one chat always has the same one).
std::int32_t fold_to_32_bits(std::int64_t value) {
    const auto bits = static_cast<std::uint64_t>(value);
    return static_cast<std::int32_t>(static_cast<std::uint32_t>(bits ^ (bits >> 32)));
}
}  // namespace

void SqlTransaction::savepoint() {
    guarded("savepoint", [&] {
        if (savepoint_open_) refuse("savepoint", "a savepoint is open already (they do not nest)");
        // Rolling back to the savepoint then forgets only heads moved and
        // rows held after it.
        write_heads();
        write_held_rows();
        statement(kSavepoint).execute();
        savepoint_open_ = true;
        progress_at_savepoint_ = progress_.size();
    });
}

void SqlTransaction::release_savepoint() {
    guarded("release_savepoint", [&] {
        if (!savepoint_open_) refuse("release_savepoint", "no savepoint is open");
        // A row that fails fails the event that wrote it, not the next one.
        write_held_rows();
        statement(kReleaseSavepoint).execute();
        savepoint_open_ = false;
    });
}

void SqlTransaction::rollback_to_savepoint() {
    if (state_ == State::finished)
        throw StorageError(Code::invalid, "rollback_to_savepoint: the transaction is already committed");
    if (!savepoint_open_) throw StorageError(Code::invalid, "rollback_to_savepoint: no savepoint is open");
    if (!lease_)
        throw StorageError(Code::unavailable,
                           "rollback_to_savepoint: the transaction is gone (its connection failed)");
    try {
        auto& connection = lease_->connection();
        connection.statements.finish_all();
        connection.statement(kRollbackToSavepoint).execute();
        connection.statement(kReleaseSavepoint).execute();
    } catch (...) {
        savepoint_open_ = false;
        state_ = State::failed;
        try {
            database_->raise_current(lease_->connection(), "rollback_to_savepoint", default_explanation);
        } catch (...) {
            release();
            throw;
        }
    }
    savepoint_open_ = false;
    state_ = State::open;
    progress_.resize(progress_at_savepoint_);
    chain_ends_.clear();
    held_conversation_.clear();
    held_outbox_.clear();
    known_runs_.clear();
    reached_.clear();
}

void SqlTransaction::lock_chat(Id bot_id, std::int64_t chat_id) {
    const std::string_view sql = database_->dialect().chat_lock_sql();
    guarded("lock_chat", [&] {
        if (sql.empty()) return;
        static_cast<void>(single_integer(statement(apart_from_held_rows(count(sql)))
                                             .bind(fold_to_32_bits(bot_id), fold_to_32_bits(chat_id))));
    });
}

// --- Bot leases ---------------------------------------------------------------------

namespace {
const Query kUpsertLeaseHolder = command(
    "INSERT INTO lease_holders (holder, seen_at) VALUES (:h, :t) "
    "ON CONFLICT (holder) DO UPDATE SET seen_at = excluded.seen_at");
const Query kForgetLeaseHolders = command("DELETE FROM lease_holders WHERE seen_at < :before");
const Query kLiveLeaseHolders = count("SELECT COUNT(*) FROM lease_holders WHERE seen_at > :since");
const Query kServedBots =
    count("SELECT id FROM bots WHERE enabled = 1 AND mode IN ('poll', 'webhook') ORDER BY id");
const Query kHeldBots = count("SELECT bot_id FROM bot_leases WHERE holder = :h ORDER BY bot_id");
const Query kFreeBots = count(
    "SELECT b.id FROM bots b LEFT JOIN bot_leases l ON l.bot_id = b.id "
    "WHERE b.enabled = 1 AND b.mode IN ('poll', 'webhook') AND (l.bot_id IS NULL OR l.expires_at <= :now) "
    "ORDER BY b.id");
const Query kDropLease = command("DELETE FROM bot_leases WHERE bot_id = :b AND holder = :h");
const Query kRenewLeases = command("UPDATE bot_leases SET expires_at = :e WHERE holder = :h");
// Of several holders racing for one bot, the row lock (PostgreSQL) or the
// one writer (SQLite) lets the first in; the others find it unexpired.
const Query kTakeLease = command(
    "INSERT INTO bot_leases (bot_id, holder, expires_at) VALUES (:b, :h, :e) "
    "ON CONFLICT (bot_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
    "WHERE bot_leases.expires_at <= :now");
const Query kReleaseLeases = command("DELETE FROM bot_leases WHERE holder = :h");
const Query kForgetLeaseHolder = command("DELETE FROM lease_holders WHERE holder = :h");

std::vector<Id> id_column(PreparedStatement& statement) {
    return all_rows<Id>(statement, [](const PreparedStatement& s) { return Id{s.integer(0)}; });
}

void check_holder(std::string_view operation, const std::string& holder) {
    if (holder.empty() || holder.size() > 200)
        refuse(operation, "the holder's name must be 1 to 200 characters");
}
}  // namespace

sdk::BotLeases SqlTransaction::hold_bot_leases_all_accounts(const std::string& holder, Millis now,
                                                            Millis ttl) {
    return guarded("hold_bot_leases_all_accounts", [&] {
        check_holder("hold_bot_leases_all_accounts", holder);
        if (ttl <= 0) refuse("hold_bot_leases_all_accounts", "ttl must be positive");
        statement(kUpsertLeaseHolder).bind(holder, now).execute();
        statement(kForgetLeaseHolders).bind(now - 10 * ttl).execute();
        const auto live =
            std::max<long long>(1, single_integer(statement(kLiveLeaseHolders).bind(now - ttl)));
        const auto served = id_column(statement(kServedBots));
        const auto share =
            static_cast<std::size_t>((static_cast<long long>(served.size()) + live - 1) / live);

        sdk::BotLeases leases;
        for (const Id bot : id_column(statement(kHeldBots).bind(holder))) {
            if (std::binary_search(served.begin(), served.end(), bot))
                leases.held.push_back(bot);
            else
                statement(kDropLease).bind(bot, holder).execute();
        }
        statement(kRenewLeases).bind(now + ttl, holder).execute();
        if (leases.held.size() > share) {
            leases.surplus.assign(leases.held.begin() + static_cast<std::ptrdiff_t>(share),
                                  leases.held.end());
        } else {
            for (const Id bot : id_column(statement(kFreeBots).bind(now))) {
                if (leases.held.size() >= share) break;
                if (changed_rows(statement(kTakeLease).bind(bot, holder, now + ttl, now)) > 0)
                    leases.held.push_back(bot);
            }
            std::sort(leases.held.begin(), leases.held.end());
        }
        return leases;
    });
}

bool SqlTransaction::release_bot_lease_all_accounts(const std::string& holder, Id bot_id) {
    return guarded("release_bot_lease_all_accounts", [&] {
        check_holder("release_bot_lease_all_accounts", holder);
        return changed_rows(statement(kDropLease).bind(bot_id, holder)) > 0;
    });
}

void SqlTransaction::release_bot_leases_all_accounts(const std::string& holder) {
    guarded("release_bot_leases_all_accounts", [&] {
        check_holder("release_bot_leases_all_accounts", holder);
        statement(kReleaseLeases).bind(holder).execute();
        statement(kForgetLeaseHolder).bind(holder).execute();
    });
}

// --- Legacy ids -------------------------------------------------------------------

namespace {
const Query kRecordLegacyId = command(
    "INSERT INTO legacy_ids (account_id, kind, legacy_key, id, recorded_at) VALUES (:a, :k, :l, :id, :t) "
    "ON CONFLICT (account_id, kind, legacy_key) DO NOTHING");
const Query kFindLegacyId =
    count("SELECT id FROM legacy_ids WHERE account_id = :a AND kind = :k AND legacy_key = :l");

void check_legacy_key(std::string_view operation, const std::string& kind, const std::string& legacy_key) {
    if (kind.empty() || kind.size() > 200) refuse(operation, "the kind must be 1 to 200 characters");
    if (legacy_key.empty() || legacy_key.size() > 200)
        refuse(operation, "the legacy key must be 1 to 200 characters");
}
}  // namespace

bool SqlTransaction::record_legacy_id(Id account_id, const std::string& kind, const std::string& legacy_key,
                                      Id id) {
    return guarded("record_legacy_id", [&] {
        check_legacy_key("record_legacy_id", kind, legacy_key);
        return changed_rows(statement(kRecordLegacyId).bind(account_id, kind, legacy_key, id, now_ms())) > 0;
    });
}

std::optional<Id> SqlTransaction::find_legacy_id(Id account_id, const std::string& kind,
                                                 const std::string& legacy_key) {
    return guarded("find_legacy_id", [&] {
        check_legacy_key("find_legacy_id", kind, legacy_key);
        return one_row<Id>(statement(kFindLegacyId).bind(account_id, kind, legacy_key),
                           [](const PreparedStatement& s) { return Id{s.integer(0)}; });
    });
}

// --- Course authors in the chat ---------------------------------------------------

namespace {
// Through the bots table, so that only the account's own bot takes a row.
const Query kSetChatAuthoring = command(
    "INSERT INTO chat_authoring (bot_id, chat_id, account_id, user_id, mode, course_name, course_id, "
    "expires_at)"
    " SELECT id, :c, account_id, :u, :m, :n, :course, :e FROM bots WHERE account_id = :a AND id = :b"
    " ON CONFLICT (bot_id, chat_id) DO UPDATE SET user_id = excluded.user_id, mode = excluded.mode,"
    " course_name = excluded.course_name, course_id = excluded.course_id, expires_at = excluded.expires_at");
const Columns kChatAuthoring{{"bot_id", I},      {"chat_id", I},   {"user_id", I},   {"mode", T},
                             {"course_name", T}, {"course_id", I}, {"expires_at", I}};
const Query kFindChatAuthoring = apart_from_held_rows(
    select(kChatAuthoring, "FROM chat_authoring WHERE account_id = :a AND bot_id = :b AND chat_id = :c"));
const Query kClearChatAuthoring =
    command("DELETE FROM chat_authoring WHERE account_id = :a AND bot_id = :b AND chat_id = :c");
}  // namespace

void SqlTransaction::set_chat_authoring(Id account_id, const sdk::ChatAuthoring& authoring) {
    guarded("set_chat_authoring", [&] {
        if (authoring.mode != "create" && authoring.mode != "edit")
            refuse("set_chat_authoring", "the mode must be create or edit, not '" + authoring.mode + "'");
        if (changed_rows(statement(kSetChatAuthoring)
                             .bind(authoring.chat_id, authoring.user_id, authoring.mode,
                                   authoring.course_name, authoring.course_id, authoring.expires_at,
                                   account_id, authoring.bot_id)) == 0)
            refuse("set_chat_authoring", "account " + std::to_string(account_id) + " has no bot " +
                                             std::to_string(authoring.bot_id));
    });
}

std::optional<sdk::ChatAuthoring> SqlTransaction::find_chat_authoring(Id account_id, Id bot_id,
                                                                      std::int64_t chat_id) {
    return guarded("find_chat_authoring", [&] {
        return one_row<sdk::ChatAuthoring>(statement(kFindChatAuthoring).bind(account_id, bot_id, chat_id),
                                           [](const PreparedStatement& s) {
                                               RowReader r(s);
                                               sdk::ChatAuthoring a;
                                               a.bot_id = r.integer();
                                               a.chat_id = r.integer();
                                               a.user_id = r.integer();
                                               a.mode = r.text();
                                               a.course_name = r.text();
                                               a.course_id = r.optional_integer();
                                               a.expires_at = r.integer();
                                               return a;
                                           });
    });
}

bool SqlTransaction::clear_chat_authoring(Id account_id, Id bot_id, std::int64_t chat_id) {
    return guarded("clear_chat_authoring", [&] {
        return changed_rows(statement(kClearChatAuthoring).bind(account_id, bot_id, chat_id)) > 0;
    });
}

// --- Accounts and members ---------------------------------------------------------

void SqlTransaction::check_account_name_free(std::string_view operation, const std::string& name, Id except) {
    database_->dialect().lock_accounts(*lease_->connection().session);
    const std::string key = account_name_key(name);
    auto& names = statement(kAccountNames);
    names.execute();
    while (names.next_row()) {
        if (names.integer(0) == except || account_name_key(names.text(1)) != key) continue;
        names.finish();
        throw StorageError(Code::conflict,
                           std::string(operation) + ": another account is already called '" + name + "'");
    }
}

void SqlTransaction::check_not_last_owner(std::string_view operation, const AccountMember& member) {
    if (member.role != "owner") return;
    if (single_integer(statement(kCountOwners).bind(member.account_id)) > 1) return;
    throw StorageError(Code::conflict, std::string(operation) + ": telegram user " +
                                           std::to_string(member.telegram_user_id) +
                                           " is the last owner of account " + id_text(member.account_id) +
                                           "; make another member owner first");
}

Account SqlTransaction::create_account(const std::string& name) {
    return guarded("create_account", [&] {
        if (name.empty()) refuse("create_account", "the name is empty");
        check_account_name_free("create_account", name, 0);
        return *one_row<Account>(statement(kInsertAccount).bind(name, now_ms()), read_account);
    });
}

bool SqlTransaction::rename_account(Id account_id, const std::string& name) {
    return guarded("rename_account", [&] {
        if (name.empty()) refuse("rename_account", "the name is empty");
        check_account_name_free("rename_account", name, account_id);
        return changed_rows(statement(kRenameAccount).bind(name, account_id)) > 0;
    });
}

std::optional<Account> SqlTransaction::get_account(Id account_id) {
    return guarded("get_account",
                   [&] { return one_row<Account>(statement(kGetAccount).bind(account_id), read_account); });
}

std::vector<Account> SqlTransaction::list_accounts() {
    return guarded("list_accounts",
                   [&] { return all_rows<Account>(statement(kListAccounts), read_account); });
}

AccountMember SqlTransaction::add_member(Id account_id, const AccountMember& member) {
    return guarded(
        "add_member",
        [&] {
            if (!is_member_role(member.role))
                refuse("add_member", "role must be owner or admin, not '" + member.role + "'");
            return *one_row<AccountMember>(statement(kInsertMember)
                                               .bind(account_id, member.telegram_user_id, member.username,
                                                     member.role, or_now(member.created_at, now_ms())),
                                           read_member);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "telegram user " + std::to_string(member.telegram_user_id) +
                                                     " is already a member of account " +
                                                     id_text(account_id));
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "account " + id_text(account_id) + " does not exist");
            return std::optional<Explanation>();
        });
}

std::vector<AccountMember> SqlTransaction::list_members(Id account_id) {
    return guarded("list_members", [&] {
        return all_rows<AccountMember>(statement(kListMembers).bind(account_id), read_member);
    });
}

bool SqlTransaction::remove_member(Id account_id, Id member_id) {
    return guarded("remove_member", [&] {
        database_->dialect().lock_accounts(*lease_->connection().session);
        const auto member =
            one_row<AccountMember>(statement(kGetMember).bind(account_id, member_id), read_member);
        if (!member) return false;
        check_not_last_owner("remove_member", *member);
        return changed_rows(statement(kDeleteMember).bind(account_id, member_id)) > 0;
    });
}

bool SqlTransaction::update_member(Id account_id, const AccountMember& member) {
    return guarded("update_member", [&] {
        if (!is_member_role(member.role))
            refuse("update_member", "role must be owner or admin, not '" + member.role + "'");
        database_->dialect().lock_accounts(*lease_->connection().session);
        const auto current =
            one_row<AccountMember>(statement(kGetMember).bind(account_id, member.id), read_member);
        if (!current) return false;
        if (member.role != "owner") check_not_last_owner("update_member", *current);
        return changed_rows(
                   statement(kUpdateMember).bind(member.username, member.role, account_id, member.id)) > 0;
    });
}

std::vector<AccountMember> SqlTransaction::memberships_of(std::int64_t telegram_user_id) {
    return guarded("memberships_of", [&] {
        return all_rows<AccountMember>(statement(kMembershipsOf).bind(telegram_user_id), read_member);
    });
}

// --- Bots -------------------------------------------------------------------------------

namespace {

void check_bot(std::string_view operation, const Bot& bot) {
    if (bot.username.empty()) refuse(operation, "the bot username is empty");
    if (bot.mode != "poll" && bot.mode != "webhook" && bot.mode != "preview")
        refuse(operation, "mode must be poll, webhook or preview, not '" + bot.mode + "'");
}

}  // namespace

Bot SqlTransaction::create_bot(Id account_id, const Bot& bot) {
    return guarded(
        "create_bot",
        [&] {
            check_bot("create_bot", bot);
            return *one_row<Bot>(
                statement(kInsertBot)
                    .bind(account_id, bot.username, bot.token_sealed, json_or_empty_object(bot.settings_json),
                          bot.mode, bot.update_offset, or_now(bot.created_at, now_ms()), bot.enabled ? 1 : 0),
                read_bot);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a bot with username '" + bot.username + "' already exists");
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "account " + id_text(account_id) + " does not exist");
            return std::optional<Explanation>();
        });
}

std::optional<Bot> SqlTransaction::get_bot(Id account_id, Id bot_id) {
    return guarded("get_bot",
                   [&] { return one_row<Bot>(statement(kGetBot).bind(account_id, bot_id), read_bot); });
}

std::vector<Bot> SqlTransaction::list_bots(Id account_id) {
    return guarded("list_bots",
                   [&] { return all_rows<Bot>(statement(kListBots).bind(account_id), read_bot); });
}

bool SqlTransaction::update_bot(Id account_id, const Bot& bot) {
    return guarded(
        "update_bot",
        [&] {
            check_bot("update_bot", bot);
            return changed_rows(statement(kUpdateBot)
                                    .bind(bot.username, bot.token_sealed,
                                          json_or_empty_object(bot.settings_json), bot.mode,
                                          bot.enabled ? 1 : 0, account_id, bot.id)) > 0;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a bot with username '" + bot.username + "' already exists");
            return std::optional<Explanation>();
        });
}

bool SqlTransaction::delete_bot(Id account_id, Id bot_id) {
    return guarded(
        "delete_bot", [&] { return changed_rows(statement(kDeleteBot).bind(account_id, bot_id)) > 0; },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::conflict, "bot " + id_text(bot_id) +
                                                     " still has deployments or runs; it cannot be deleted");
            return std::optional<Explanation>();
        });
}

bool SqlTransaction::set_bot_offset(Id account_id, Id bot_id, std::int64_t offset) {
    return guarded("set_bot_offset", [&] {
        return changed_rows(statement(kSetBotOffset).bind(offset, account_id, bot_id)) > 0;
    });
}

std::vector<Bot> SqlTransaction::list_bots_all_accounts() {
    return guarded("list_bots_all_accounts",
                   [&] { return all_rows<Bot>(statement(kListAllBots), read_bot); });
}

std::optional<std::string> SqlTransaction::enrollment_key(Id account_id) {
    return guarded("enrollment_key", [&] {
        return one_row<std::string>(statement(kGetEnrollmentKey).bind(account_id),
                                    [](const PreparedStatement& s) { return s.text(0); });
    });
}

void SqlTransaction::set_enrollment_key(Id account_id, const std::string& key_sealed) {
    guarded(
        "set_enrollment_key",
        [&] {
            if (key_sealed.empty()) refuse("set_enrollment_key", "the sealed key is empty");
            changed_rows(statement(kSetEnrollmentKey).bind(account_id, key_sealed, now_ms()));
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "account " + id_text(account_id) + " does not exist");
            return std::optional<Explanation>();
        });
}

// --- Courses and versions ---------------------------------------------------------------

Course SqlTransaction::create_course(Id account_id, const std::string& name) {
    return guarded(
        "create_course",
        [&] {
            if (name.empty()) refuse("create_course", "the course name is empty");
            const Millis now = now_ms();
            return *one_row<Course>(statement(kInsertCourse).bind(account_id, name, now, now), read_course);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a course named '" + name + "' already exists in account " +
                                                     id_text(account_id));
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "account " + id_text(account_id) + " does not exist");
            return std::optional<Explanation>();
        });
}

std::optional<Course> SqlTransaction::get_course(Id account_id, Id course_id) {
    return guarded("get_course", [&] {
        return one_row<Course>(statement(kGetCourse).bind(account_id, course_id), read_course);
    });
}

std::optional<Course> SqlTransaction::find_course(Id account_id, const std::string& name) {
    return guarded("find_course", [&] {
        return one_row<Course>(statement(kFindCourse).bind(account_id, name), read_course);
    });
}

std::vector<Course> SqlTransaction::list_courses(Id account_id) {
    return guarded("list_courses",
                   [&] { return all_rows<Course>(statement(kListCourses).bind(account_id), read_course); });
}

bool SqlTransaction::rename_course(Id account_id, Id course_id, const std::string& name) {
    return guarded(
        "rename_course",
        [&] {
            if (name.empty()) refuse("rename_course", "the course name is empty");
            return changed_rows(statement(kRenameCourse).bind(name, now_ms(), account_id, course_id)) > 0;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a course named '" + name + "' already exists in account " +
                                                     id_text(account_id));
            return std::optional<Explanation>();
        });
}

bool SqlTransaction::delete_course(Id account_id, Id course_id) {
    return guarded(
        "delete_course",
        [&] {
            long long deployments =
                single_integer(statement(kCountCourseDeployments).bind(account_id, course_id));
            if (deployments > 0)
                throw StorageError(Code::conflict, "delete_course: course " + id_text(course_id) + " has " +
                                                       std::to_string(deployments) +
                                                       " deployment(s); it cannot be deleted");
            // Versions and their elements go with it (ON DELETE CASCADE).
            return changed_rows(statement(kDeleteCourse).bind(account_id, course_id)) > 0;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::conflict, "course " + id_text(course_id) +
                                                     " is still referenced; it cannot be deleted");
            return std::optional<Explanation>();
        });
}

CourseVersion SqlTransaction::create_version(Id account_id, Id course_id, const std::string& source_name,
                                             const std::vector<CourseElement>& elements) {
    const CourseElement* current_element = nullptr;
    return guarded(
        "create_version",
        [&] {
            for (const CourseElement& element : elements) {
                if (element.element_id.empty()) refuse("create_version", "an element has an empty id");
                if (element.type.empty())
                    refuse("create_version", "element '" + element.element_id + "' has an empty type");
            }
            if (single_integer(statement(kCourseInAccount).bind(account_id, course_id)) == 0)
                refuse("create_version",
                       "course " + id_text(course_id) + " not found in account " + id_text(account_id));
            const Millis now = now_ms();
            long long number = single_integer(statement(kLastVersionNumber).bind(account_id, course_id)) + 1;
            CourseVersion version = *one_row<CourseVersion>(
                statement(kInsertVersion).bind(account_id, course_id, number, source_name, now),
                read_version);
            auto& insert_element = statement(kInsertElement);
            int position = 0;
            for (const CourseElement& element : elements) {
                current_element = &element;
                insert_element
                    .bind(account_id, version.id, position++, element.element_id, element.type,
                          json_or_empty_object(element.body_json))
                    .execute();
            }
            current_element = nullptr;
            statement(kTouchCourse).bind(now, account_id, course_id).execute();
            return version;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation && current_element != nullptr)
                return explained(Code::invalid,
                                 "element id '" + current_element->element_id + "' appears twice");
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "another version of course " + id_text(course_id) +
                                                     " was created at the same time; retry");
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "course " + id_text(course_id) + " not found in account " +
                                                    id_text(account_id));
            return std::optional<Explanation>();
        });
}

std::optional<CourseVersion> SqlTransaction::get_version(Id account_id, Id version_id) {
    return guarded("get_version", [&] {
        return one_row<CourseVersion>(statement(kGetVersion).bind(account_id, version_id), read_version);
    });
}

std::vector<CourseVersion> SqlTransaction::list_versions(Id account_id, Id course_id) {
    return guarded("list_versions", [&] {
        return all_rows<CourseVersion>(statement(kListVersions).bind(account_id, course_id), read_version);
    });
}

std::vector<CourseElement> SqlTransaction::version_elements(Id account_id, Id version_id) {
    return guarded("version_elements", [&] {
        return all_rows<CourseElement>(statement(kVersionElements).bind(account_id, version_id),
                                       read_element);
    });
}

// --- Deployments -------------------------------------------------------------------------

namespace {

void check_environment(std::string_view operation, const CourseDeployment& d) {
    if (d.environment != "test" && d.environment != "prod" && d.environment != "preview")
        refuse(operation, "environment must be test, prod or preview, not '" + d.environment + "'");
    if (d.archived_at && d.active)
        refuse(operation, "deployment " + id_text(d.id) + " is archived and cannot be active");
}

// A deployment runs a version of its own course.
void check_version_of_course(std::string_view operation, PreparedStatement& version_course, Id account_id,
                             Id version_id, Id course_id) {
    auto owner = one_row<long long>(version_course.bind(account_id, version_id),
                                    [](const PreparedStatement& s) { return s.integer(0); });
    if (!owner)
        refuse(operation, "version " + id_text(version_id) + " not found in account " + id_text(account_id));
    if (*owner != course_id)
        refuse(operation, "version " + id_text(version_id) + " belongs to course " + std::to_string(*owner) +
                              ", not to course " + id_text(course_id));
}

std::optional<Explanation> explain_alias(DbFailure failure, const CourseDeployment& d) {
    if (failure == DbFailure::unique_violation)
        return explained(Code::conflict, "legacy alias '" + d.legacy_alias +
                                             "' is already used by an active deployment of bot " +
                                             id_text(d.bot_id));
    return std::nullopt;
}

}  // namespace

CourseDeployment SqlTransaction::create_deployment(Id account_id, const CourseDeployment& d) {
    return guarded(
        "create_deployment",
        [&] {
            check_environment("create_deployment", d);
            if (single_integer(statement(kBotInAccount).bind(account_id, d.bot_id)) == 0)
                refuse("create_deployment",
                       "bot " + id_text(d.bot_id) + " not found in account " + id_text(account_id));
            check_version_of_course("create_deployment", statement(kVersionCourse), account_id, d.version_id,
                                    d.course_id);
            return *one_row<CourseDeployment>(
                statement(kInsertDeployment)
                    .bind(account_id, d.course_id, d.version_id, d.bot_id, d.environment,
                          json_or_empty_object(d.overrides_json), d.legacy_alias, d.active,
                          or_now(d.created_at, now_ms()), d.restricted, d.allow_restart, d.collect_email,
                          d.archived_at),
                read_deployment);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "bot " + id_text(d.bot_id) + " or course " +
                                                    id_text(d.course_id) + " not found in account " +
                                                    id_text(account_id));
            return explain_alias(failure, d);
        });
}

std::optional<CourseDeployment> SqlTransaction::get_deployment(Id account_id, Id deployment_id) {
    return guarded("get_deployment", [&] {
        return one_row<CourseDeployment>(statement(kGetDeployment).bind(account_id, deployment_id),
                                         read_deployment);
    });
}

std::vector<CourseDeployment> SqlTransaction::list_deployments(Id account_id) {
    return guarded("list_deployments", [&] {
        return all_rows<CourseDeployment>(statement(kListDeployments).bind(account_id), read_deployment);
    });
}

bool SqlTransaction::update_deployment(Id account_id, const CourseDeployment& d) {
    return guarded(
        "update_deployment",
        [&] {
            check_environment("update_deployment", d);
            struct Stored {
                long long course_id;
                std::optional<long long> archived_at;
            };
            const auto stored = one_row<Stored>(statement(kDeploymentCourseAndArchive).bind(account_id, d.id),
                                                [](const PreparedStatement& s) {
                                                    RowReader r(s);
                                                    Stored out{r.integer(), std::nullopt};
                                                    out.archived_at = r.optional_integer();
                                                    return out;
                                                });
            if (!stored) return false;
            // Archiving is for good: links out there must keep leading nowhere.
            if (stored->archived_at && d.archived_at != stored->archived_at)
                refuse("update_deployment",
                       "deployment " + id_text(d.id) + " is archived; an archived deployment stays archived");
            check_version_of_course("update_deployment", statement(kVersionCourse), account_id, d.version_id,
                                    stored->course_id);
            return changed_rows(statement(kUpdateDeployment)
                                    .bind(d.version_id, d.environment, json_or_empty_object(d.overrides_json),
                                          d.legacy_alias, d.active, d.restricted, d.allow_restart,
                                          d.collect_email, d.archived_at, account_id, d.id)) > 0;
        },
        [&](DbFailure failure) { return explain_alias(failure, d); });
}

std::optional<CourseDeployment> SqlTransaction::find_deployment_by_alias(Id account_id, Id bot_id,
                                                                         const std::string& alias) {
    return guarded("find_deployment_by_alias", [&]() -> std::optional<CourseDeployment> {
        if (alias.empty()) return std::nullopt;
        return one_row<CourseDeployment>(statement(kFindDeploymentByAlias).bind(account_id, bot_id, alias),
                                         read_deployment);
    });
}

// --- Enrollment tokens ---------------------------------------------------------------------

EnrollmentToken SqlTransaction::create_token(Id account_id, const EnrollmentToken& token) {
    return guarded(
        "create_token",
        [&] {
            if (!is_token_code(token.code))
                refuse("create_token",
                       "token code '" + token.code + "' must be 1 to 32 letters, digits and '-'");
            if (token.type.empty()) refuse("create_token", "the token type is empty");
            if (token.max_uses && *token.max_uses < 0) refuse("create_token", "max_uses is negative");
            if (token.starts_at && token.ends_at && *token.ends_at <= *token.starts_at)
                refuse("create_token", "the start window ends (" + std::to_string(*token.ends_at) +
                                           ") before it starts (" + std::to_string(*token.starts_at) + ")");
            if (single_integer(statement(kDeploymentInAccount).bind(account_id, token.deployment_id)) == 0)
                refuse("create_token", "deployment " + id_text(token.deployment_id) +
                                           " not found in account " + id_text(account_id));
            return *one_row<EnrollmentToken>(
                statement(kInsertToken)
                    .bind(account_id, token.deployment_id, token.type, token.code, token.max_uses, token.uses,
                          token.expires_at, json_or_empty_object(token.utm_json), token.revoked,
                          or_now(token.created_at, now_ms()), token.label, token.active, token.starts_at,
                          token.ends_at, token.user_id, username_key(token.username)),
                read_token);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "token code '" + token.code +
                                                     "' already exists in deployment " +
                                                     id_text(token.deployment_id));
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "deployment " + id_text(token.deployment_id) +
                                                    " not found in account " + id_text(account_id));
            return std::optional<Explanation>();
        });
}

std::optional<EnrollmentToken> SqlTransaction::get_token(Id account_id, Id token_id) {
    return guarded("get_token", [&] {
        return one_row<EnrollmentToken>(statement(kGetToken).bind(account_id, token_id), read_token);
    });
}

std::optional<EnrollmentToken> SqlTransaction::find_token(Id account_id, Id deployment_id,
                                                          const std::string& code) {
    return guarded("find_token", [&] {
        return one_row<EnrollmentToken>(statement(kFindToken).bind(account_id, deployment_id, code),
                                        read_token);
    });
}

std::vector<EnrollmentToken> SqlTransaction::list_tokens(Id account_id, Id deployment_id) {
    return guarded("list_tokens", [&] {
        return all_rows<EnrollmentToken>(statement(kListTokens).bind(account_id, deployment_id), read_token);
    });
}

bool SqlTransaction::consume_token(Id account_id, Id token_id) {
    return guarded("consume_token",
                   [&] { return changed_rows(statement(kConsumeToken).bind(account_id, token_id)) > 0; });
}

bool SqlTransaction::revoke_token(Id account_id, Id token_id) {
    return guarded("revoke_token",
                   [&] { return changed_rows(statement(kRevokeToken).bind(account_id, token_id)) > 0; });
}

bool SqlTransaction::set_token_active(Id account_id, Id token_id, bool active) {
    return guarded("set_token_active", [&] {
        return changed_rows(statement(kSetTokenActive).bind(active, account_id, token_id)) > 0;
    });
}

// --- Runs ------------------------------------------------------------------------------------

Run SqlTransaction::start_run(Id account_id, const Run& run) {
    return guarded(
        "start_run",
        [&] {
            if (single_integer(statement(kDeploymentOfBot).bind(account_id, run.deployment_id, run.bot_id)) ==
                0)
                refuse("start_run", "deployment " + id_text(run.deployment_id) + " of bot " +
                                        id_text(run.bot_id) + " not found in account " + id_text(account_id));
            const Millis started = or_now(run.started_at, now_ms());
            auto started_run = *remember(one_row<Run>(
                statement(kInsertRun)
                    .bind(account_id, run.bot_id, run.deployment_id, run.chat_id, run.user_id, run.username,
                          run.token_id, std::string(sdk::to_string(run.status)), run.active, run.cursor,
                          json_or_empty_object(run.state_json), json_or_empty_object(run.utm_json), started,
                          or_now(run.updated_at, started), run.ended_at,
                          run.version_id ? std::optional<Id>(run.version_id) : std::nullopt, run.preview),
                read_run));
            if (chains_conversation()) learn_chain_end(account_id, started_run.id, 0);  // no rows yet
            return started_run;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "chat " + std::to_string(run.chat_id) +
                                                     " already has an active run on bot " +
                                                     id_text(run.bot_id));
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "bot " + id_text(run.bot_id) + ", deployment " +
                                                    id_text(run.deployment_id) +
                                                    " or token not found in account " + id_text(account_id));
            return std::optional<Explanation>();
        });
}

std::optional<Run> SqlTransaction::remember(std::optional<Run> run) {
    if (run)
        known_runs_[run->id] = {run->account_id, run->version_id, run->preview, run->active,
                                run->bot_id,     run->status,     run->ended_at};
    return run;
}

const SqlTransaction::KnownRun* SqlTransaction::known_run(Id account_id, Id run_id) const {
    const auto known = known_runs_.find(run_id);
    return known != known_runs_.end() && known->second.account_id == account_id ? &known->second : nullptr;
}

std::optional<Run> SqlTransaction::get_run(Id account_id, Id run_id) {
    return guarded("get_run", [&] {
        return remember(one_row<Run>(statement(kGetRun).bind(account_id, run_id), read_run));
    });
}

std::optional<Run> SqlTransaction::active_run(Id account_id, Id bot_id, std::int64_t chat_id) {
    return guarded("active_run", [&] {
        if (!chains_conversation())
            return remember(one_row<Run>(statement(kActiveRun).bind(account_id, bot_id, chat_id), read_run));
        Id head = 0;
        auto run = one_row<Run>(statement(kActiveRunAndChainEnd).bind(account_id, bot_id, chat_id),
                                [&head](const PreparedStatement& s) {
                                    const std::size_t at = kRun.types().size();
                                    head = s.is_null(at) ? 0 : s.integer(at);
                                    return read_run(s);
                                });
        if (run) learn_chain_end(account_id, run->id, head);
        return remember(std::move(run));
    });
}

bool SqlTransaction::update_run(Id account_id, const Run& run) {
    return guarded(
        "update_run",
        [&] {
            auto known = known_runs_.find(run.id);
            if (known != known_runs_.end() && known->second.account_id != account_id)
                known = known_runs_.end();
            const auto updated_at = or_now(run.updated_at, now_ms());
            const bool same_status = known != known_runs_.end() && known->second.status == run.status &&
                                     known->second.ended_at == run.ended_at;
            auto head = chain_ends_.find(run.id);
            if (head != chain_ends_.end() && (head->second.account_id != account_id || head->second.written))
                head = chain_ends_.end();
            const bool moves_head = head != chain_ends_.end();
            auto& update = statement(kUpdateRun[same_status ? 0 : 1][moves_head ? 1 : 0]);
            update.start_binding(5 + (same_status ? 0 : 2) + (moves_head ? 1 : 0));
            std::size_t p = 0;
            if (!same_status) update.bind_at(p++, std::string(sdk::to_string(run.status)));
            update.bind_at(p++, run.cursor);
            update.bind_at(p++, json_or_empty_object(run.state_json));
            if (!same_status) update.bind_at(p++, run.ended_at);
            update.bind_at(p++, updated_at);
            if (moves_head) update.bind_at(p++, head->second.head);
            update.bind_at(p++, account_id);
            update.bind_at(p++, run.id);
            const auto changed = changed_rows(update);
            if (changed == 0) return false;
            if (moves_head) head->second.written = true;
            if (known == known_runs_.end() || known->second.active != run.active)
                statement(kUpdateRunActive).bind(run.active, account_id, run.id, run.active).execute();
            if (known != known_runs_.end()) {
                known->second.active = run.active;
                known->second.status = run.status;
                known->second.ended_at = run.ended_at;
            }
            return true;
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict,
                                 "run " + id_text(run.id) +
                                     " cannot become active: its chat already has an active run "
                                     "on that bot");
            return std::optional<Explanation>();
        });
}

std::vector<Run> SqlTransaction::list_runs(Id account_id, const RunFilter& filter) {
    return guarded("list_runs", [&] {
        if (filter.limit < 0 || filter.offset < 0)
            refuse("list_runs", "limit and offset must not be negative");
        std::string where = "FROM runs WHERE account_id = :a AND preview = :preview";
        if (filter.deployment_id) where += " AND deployment_id = :d";
        if (filter.bot_id) where += " AND bot_id = :b";
        if (filter.status) where += " AND status = :s";
        if (filter.token_id) where += " AND token_id = :t";
        if (filter.started_from) where += " AND started_at >= :from";
        if (filter.started_before) where += " AND started_at < :before";
        if (filter.chat_id) where += " AND chat_id = :chat";
        where += filter.newest_first ? " ORDER BY id DESC" : " ORDER BY id";
        where += " LIMIT :limit OFFSET :offset";
        PreparedStatement& query = statement(select(kRun, where));
        query.start_binding(4 + (filter.deployment_id ? 1 : 0) + (filter.bot_id ? 1 : 0) +
                            (filter.status ? 1 : 0) + (filter.token_id ? 1 : 0) +
                            (filter.started_from ? 1 : 0) + (filter.started_before ? 1 : 0) +
                            (filter.chat_id ? 1 : 0));
        std::size_t position = 0;
        query.bind_at(position++, account_id);
        query.bind_at(position++, filter.preview);
        if (filter.deployment_id) query.bind_at(position++, *filter.deployment_id);
        if (filter.bot_id) query.bind_at(position++, *filter.bot_id);
        if (filter.status) query.bind_at(position++, std::string(sdk::to_string(*filter.status)));
        if (filter.token_id) query.bind_at(position++, *filter.token_id);
        if (filter.started_from) query.bind_at(position++, *filter.started_from);
        if (filter.started_before) query.bind_at(position++, *filter.started_before);
        if (filter.chat_id) query.bind_at(position++, *filter.chat_id);
        query.bind_at(position++, filter.limit);
        query.bind_at(position++, filter.offset);
        return all_rows<Run>(query, read_run);
    });
}

// --- Conversation ------------------------------------------------------------------------------

namespace {

// A broken reference (a foreign key) of a row the account wrote: `what` names
// the record it points at ("run 5").
std::optional<Explanation> explain_reference(DbFailure failure, Id account_id, const std::string& what) {
    if (failure == DbFailure::foreign_key_violation)
        return explained(Code::invalid, what + " not found in account " + id_text(account_id));
    return std::nullopt;
}

// The id every row has in `field`, if they share one: errors name it then.
template <class Row>
std::optional<Id> shared_id(const std::vector<Row>& rows, Id Row::*field) {
    for (const auto& row : rows)
        if (row.*field != rows.front().*field) return std::nullopt;
    return rows.front().*field;
}

}  // namespace

std::vector<Id> SqlTransaction::append_to_chains(Id account_id, std::span<const ConversationEntry> entries) {
    if (!next_conversation_id_)
        next_conversation_id_ = single_integer(statement(database_->chained_conversation_next_id()));
    // Ids in the order of `entries`; a failed insert only leaves a gap.
    std::vector<Id> ids(entries.size());
    for (auto& id : ids) id = (*next_conversation_id_)++;
    // Each row links to its run's row before it: one of these rows, the end
    // this transaction knows, or (none) the head the run has stored, which
    // the insert reads. Rows are held back only when every link is known and
    // every run is one this transaction read or wrote in the account.
    std::map<Id, std::optional<Id>> newest;
    bool hold = true;
    for (const auto& entry : entries) {
        if (newest.count(entry.run_id) != 0) continue;
        const auto end = chain_ends_.find(entry.run_id);
        const bool end_known = end != chain_ends_.end() && end->second.account_id == account_id;
        newest[entry.run_id] = end_known ? std::optional<Id>(end->second.head) : std::nullopt;
        hold = hold && end_known && known_run(account_id, entry.run_id) != nullptr;
    }
    const Millis now = now_ms();
    for (std::size_t k = 0; k < entries.size(); ++k) {
        auto& prev = newest[entries[k].run_id];
        held_conversation_.push_back({account_id, ids[k], prev, now, entries[k]});
        prev = ids[k];
    }
    // Otherwise written now, so that a bad reference is refused here.
    if (!hold) write_held_rows();
    for (const auto& [run_id, head] : newest) chain_ends_[run_id] = {account_id, *head, false};
    return ids;
}

void SqlTransaction::learn_chain_end(Id account_id, Id run_id, Id head) {
    // One this transaction moved is newer than the stored one.
    chain_ends_.try_emplace(run_id, ChainEnd{account_id, head, true});
}

void SqlTransaction::write_heads() {
    for (auto& [run_id, end] : chain_ends_) {
        if (end.written) continue;
        statement(kSetConversationHead).bind(end.head, end.account_id, run_id).execute();
        end.written = true;
    }
}

bool SqlTransaction::chains_conversation() const {
    return !database_->chained_conversation_next_id().sql.empty();
}

Id SqlTransaction::append_conversation(Id account_id, const ConversationEntry& entry) {
    return guarded(
        "append_conversation",
        [&] {
            const Id id = chains_conversation()
                              ? append_to_chains(account_id, {&entry, 1}).front()
                              : insert(kInsertConversation, account_id, entry.run_id, entry.element_id,
                                       entry.role, json_or_empty_object(entry.payload_json), entry.score,
                                       entry.maxscore, entry.attempt, or_now(entry.created_at, now_ms()));
            count_progress(account_id, entry);
            return id;
        },
        [&](DbFailure failure) {
            return explain_reference(failure, account_id, "run " + id_text(entry.run_id));
        });
}

void SqlTransaction::append_conversation_rows(Id account_id, const std::vector<ConversationEntry>& entries) {
    if (entries.empty()) return;
    guarded(
        "append_conversation",
        [&] {
            if (chains_conversation()) {
                append_to_chains(account_id, entries);
            } else {
                const Millis now = now_ms();
                insert_rows(kInsertConversationRows, entries.size(),
                            [&](PreparedStatement& st, std::size_t& p, std::size_t k) {
                                bind_conversation_row(st, p, account_id, entries[k], now);
                            });
            }
            for (const auto& entry : entries) count_progress(account_id, entry);
        },
        [&](DbFailure failure) {
            const auto run = shared_id(entries, &ConversationEntry::run_id);
            return explain_reference(failure, account_id,
                                     run ? "run " + id_text(*run) : "a run of these rows");
        });
}

std::vector<ConversationEntry> SqlTransaction::conversation(Id account_id, Id run_id) {
    return guarded("conversation", [&] {
        write_heads();
        auto& query = chains_conversation()
                          ? statement(kChainedConversation)
                                .bind(account_id, run_id, account_id, run_id, account_id, run_id)
                          : statement(kConversationByRun).bind(account_id, run_id);
        return all_rows<ConversationEntry>(query, read_conversation);
    });
}

// --- Analytics ---------------------------------------------------------------------------------

namespace {

// Counters of one (version, element) are split over this many rows, by run
// id, so students of one course reaching one element at once do not all
// wait for the same row lock (PostgreSQL); readers add the shards up.
constexpr int kProgressShards = 8;

// A preview run counts nowhere: it has no row here. Looked up by id alone
// (account and preview checked by the caller): with more conditions, a
// PostgreSQL table without statistics yet (a fresh database, or rows a long
// transaction such as `profo legacy import` inserted) was read through an
// (account_id, preview, ...) index, every run of the account once per row.
const Query kRunVersion =
    apart_from_held_rows(Query{"SELECT version_id, account_id, preview FROM runs WHERE id = :r", {I, I, I}});
const Query kReachElement =
    apart_from_held_rows(Query{"INSERT INTO run_elements (run_id, element_id, account_id, version_id, scored)"
                               " VALUES (:r, :e, :a, :v, 0) ON CONFLICT DO NOTHING",
                               {}});
const Query kAddProgress = apart_from_held_rows(Query{
    "INSERT INTO element_progress (account_id, version_id, element_id, shard, reached, scored, score_sum,"
    " maxscore_sum) VALUES (:a, :v, :e, :s, :reached, :scored, :score, :max)"
    " ON CONFLICT (version_id, element_id, shard) DO UPDATE SET"
    " reached = element_progress.reached + excluded.reached, scored = element_progress.scored + "
    "excluded.scored,"
    " score_sum = element_progress.score_sum + excluded.score_sum,"
    " maxscore_sum = element_progress.maxscore_sum + excluded.maxscore_sum",
    {}});
const Query kFirstScore = apart_from_held_rows(
    Query{"UPDATE run_elements SET scored = 1 WHERE run_id = :r AND element_id = :e AND scored = 0", {}});
const Query kElementProgress{
    "SELECT element_id, SUM(reached), SUM(scored), SUM(score_sum), SUM(maxscore_sum) FROM element_progress"
    " WHERE account_id = :a AND version_id = :v GROUP BY element_id",
    {T, I, I, R, R}};

// Monday 1970-01-05 00:00 UTC: weeks are counted from it.
constexpr Millis kFirstMonday = 4LL * 24 * 3600 * 1000;
constexpr Millis kWeek = 7LL * 24 * 3600 * 1000;

// " AND ..." for the runs an AnalyticsFilter selects (table alias `r`), and
// its parameters in order after the account.
struct RunSelection {
    std::string sql;
    std::vector<std::int64_t> parameters;
};

RunSelection select_runs(const sdk::AnalyticsFilter& filter) {
    // Preview runs are the creators' own trials, never students'. The
    // analytics indexes carry the column second, right after the account.
    RunSelection out{" AND r.preview = 0", {}};
    if (!filter.version_ids.empty()) {
        out.sql += " AND r.version_id IN (";
        for (std::size_t i = 0; i < filter.version_ids.size(); ++i) {
            out.sql += (i ? ", :v" : ":v") + std::to_string(i);
            out.parameters.push_back(filter.version_ids[i]);
        }
        out.sql += ")";
    }
    if (filter.deployment_id) {
        out.sql += " AND r.deployment_id = :d";
        out.parameters.push_back(*filter.deployment_id);
    }
    if (filter.started_from) {
        out.sql += " AND r.started_at >= :from";
        out.parameters.push_back(*filter.started_from);
    }
    if (filter.started_before) {
        out.sql += " AND r.started_at < :before";
        out.parameters.push_back(*filter.started_before);
    }
    return out;
}

void bind_selection(PreparedStatement& query, Id account_id, const RunSelection& selection) {
    query.start_binding(1 + selection.parameters.size());
    std::size_t position = 0;
    query.bind_at(position++, account_id);
    for (const auto p : selection.parameters) query.bind_at(position++, p);
}

}  // namespace

void SqlTransaction::count_progress(Id account_id, const ConversationEntry& entry) {
    if (entry.element_id.empty()) return;
    Id version = 0;
    if (const auto known = known_runs_.find(entry.run_id); known != known_runs_.end()) {
        const auto& run = known->second;
        if (run.account_id == account_id && !run.preview) version = run.version_id;
    } else {
        version =
            one_row<std::int64_t>(statement(kRunVersion).bind(entry.run_id), [account_id](
                                                                                 const PreparedStatement& s) {
                RowReader row(s);
                const auto version = row.optional_integer();
                const bool counted = row.integer() == account_id && row.integer() == 0;
                return counted ? version.value_or(0) : 0;
            }).value_or(0);
    }
    if (version == 0) return;  // a preview, or a run from before versions were recorded
    ProgressCount count;
    count.key = {account_id, version, entry.element_id, static_cast<int>(entry.run_id % kProgressShards)};
    // A row this transaction inserted or found, or one committed before as
    // far as this process knows, is there: no statement to learn it.
    CommittedReach::Key key{entry.run_id, entry.element_id};
    auto known = reached_.find(key);
    if (known == reached_.end()) {
        const auto committed = database_->committed_reach().find(key);
        if (!committed)
            count.reached =
                changed_rows(
                    statement(kReachElement).bind(entry.run_id, entry.element_id, account_id, version)) == 1;
        known = reached_.emplace(std::move(key), committed.value_or(false)).first;
    }
    // A run's first scored answer at an element is the one that counts.
    if (entry.score && !known->second) {
        if (changed_rows(statement(kFirstScore).bind(entry.run_id, entry.element_id)) == 1) {
            count.scored = 1;
            count.score_sum = *entry.score;
            count.maxscore_sum = entry.maxscore.value_or(0.0);
        }
        known->second = true;
    }
    if (count.reached != 0 || count.scored != 0) progress_.push_back(std::move(count));
}

// The counter rows are shared by every run of a course: taken during the
// transaction, their locks would make the events of different chats (other
// workers, other processes) queue on them, and wait in a circle. Taken at
// the end, briefly, in one order for every transaction, they cannot.
void SqlTransaction::flush_progress() {
    std::map<ProgressKey, ProgressCount> sums;
    for (const auto& c : progress_) {
        auto& sum = sums[c.key];
        sum.reached += c.reached;
        sum.scored += c.scored;
        sum.score_sum += c.score_sum;
        sum.maxscore_sum += c.maxscore_sum;
    }
    progress_.clear();
    for (const auto& [key, sum] : sums)
        statement(kAddProgress)
            .bind(key.account_id, key.version_id, key.element_id, key.shard, sum.reached, sum.scored,
                  sum.score_sum, sum.maxscore_sum)
            .execute();
}

std::vector<sdk::RunStatusCount> SqlTransaction::run_status_counts(Id account_id,
                                                                   const sdk::AnalyticsFilter& filter) {
    return guarded("run_status_counts", [&] {
        const auto selection = select_runs(filter);
        PreparedStatement& query =
            statement({"SELECT r.status, COUNT(*) FROM runs r WHERE r.account_id = :a" + selection.sql +
                           " GROUP BY r.status",
                       {T, I}});
        bind_selection(query, account_id, selection);
        return all_rows<sdk::RunStatusCount>(query, [](const PreparedStatement& s) {
            RowReader r(s);
            sdk::RunStatusCount c;
            c.status = sdk::parse_run_status(r.text()).value_or(sdk::RunStatus::stopped);
            c.runs = r.integer();
            return c;
        });
    });
}

std::vector<sdk::ElementProgress> SqlTransaction::element_progress(Id account_id, Id version_id) {
    return guarded("element_progress", [&] {
        flush_progress();  // this transaction's own counts too
        return all_rows<sdk::ElementProgress>(statement(kElementProgress).bind(account_id, version_id),
                                              [](const PreparedStatement& s) {
                                                  RowReader r(s);
                                                  sdk::ElementProgress p;
                                                  p.element_id = r.text();
                                                  p.reached = r.integer();
                                                  p.scored = r.integer();
                                                  p.score_sum = r.optional_real().value_or(0);
                                                  p.maxscore_sum = r.optional_real().value_or(0);
                                                  return p;
                                              });
    });
}

std::vector<sdk::RunCohort> SqlTransaction::run_cohorts(Id account_id, const sdk::AnalyticsFilter& filter) {
    return guarded("run_cohorts", [&] {
        const auto selection = select_runs(filter);
        PreparedStatement& span =
            statement({"SELECT MIN(r.started_at), MAX(r.started_at) FROM runs r WHERE r.account_id = :a" +
                           selection.sql,
                       {I, I}});
        bind_selection(span, account_id, selection);
        span.execute();
        std::optional<std::int64_t> first, last;
        if (span.next_row()) {
            RowReader r(span);
            first = r.optional_integer();
            last = r.optional_integer();
            span.finish();
        }
        std::vector<sdk::RunCohort> out;
        if (!first || !last) return out;
        // One count per week over the index by start time: no grouping by
        // a computed week, which makes the database sort every run.
        PreparedStatement& week =
            statement({"SELECT COUNT(*), SUM(CASE WHEN r.status = 'completed' THEN 1 ELSE 0 END) FROM runs r"
                       " WHERE r.account_id = :a" +
                           selection.sql +
                           " AND r.started_at >= :week_start"
                           " AND r.started_at < :week_end",
                       {I, I}});
        const Millis start = *first - (*first - kFirstMonday) % kWeek;
        for (Millis at = start; at <= *last; at += kWeek) {
            week.start_binding(3 + selection.parameters.size());
            std::size_t position = 0;
            week.bind_at(position++, account_id);
            for (const auto p : selection.parameters) week.bind_at(position++, p);
            week.bind_at(position++, at);
            week.bind_at(position++, at + kWeek);
            week.execute();
            if (!week.next_row()) continue;
            RowReader r(week);
            sdk::RunCohort c;
            c.week_start = at;
            c.started = r.integer();
            c.completed = r.optional_integer().value_or(0);
            week.finish();
            if (c.started > 0) out.push_back(c);
        }
        return out;
    });
}

std::vector<sdk::RunSource> SqlTransaction::run_sources(Id account_id, const sdk::AnalyticsFilter& filter) {
    return guarded("run_sources", [&] {
        const auto selection = select_runs(filter);
        PreparedStatement& query =
            statement({"SELECT r.token_id, r.utm_json, COUNT(*), SUM(CASE WHEN r.status = 'completed' THEN 1 "
                       "ELSE 0 END)"
                       " FROM runs r WHERE r.account_id = :a" +
                           selection.sql + " GROUP BY r.token_id, r.utm_json ORDER BY COUNT(*) DESC",
                       {I, T, I, I}});
        bind_selection(query, account_id, selection);
        return all_rows<sdk::RunSource>(query, [](const PreparedStatement& s) {
            RowReader r(s);
            sdk::RunSource source;
            source.token_id = r.optional_integer();
            source.utm_json = r.text();
            source.started = r.integer();
            source.completed = r.integer();
            return source;
        });
    });
}

std::vector<ConversationEntry> SqlTransaction::conversation_page(Id account_id,
                                                                 const sdk::AnalyticsFilter& filter,
                                                                 Id after_id, int limit) {
    return guarded("conversation_page", [&] {
        if (limit < 0) refuse("conversation_page", "limit is negative");
        const auto selection = select_runs(filter);
        PreparedStatement& query =
            statement({"SELECT " + qualified(kConversationEntry, "c") +
                           " FROM conversation c JOIN runs r ON r.id = c.run_id"
                           " WHERE c.account_id = :a AND r.account_id = c.account_id" +
                           selection.sql + " AND c.id > :after ORDER BY c.id LIMIT :limit",
                       kConversationEntry.types()});
        query.start_binding(1 + selection.parameters.size() + 2);
        std::size_t position = 0;
        query.bind_at(position++, account_id);
        for (const auto p : selection.parameters) query.bind_at(position++, p);
        query.bind_at(position++, after_id);
        query.bind_at(position++, static_cast<std::int64_t>(limit));
        return all_rows<ConversationEntry>(query, read_conversation);
    });
}

// --- Bot health --------------------------------------------------------------------------------

namespace {

const Columns kBotHealth{
    {"bot_id", I}, {"state", T}, {"last_error", T}, {"last_error_at", I}, {"updated_at", I}};

// Only a bot of the account gets a row: the SELECT finds none otherwise.
const Query kRecordBotHealth = command(
    "INSERT INTO bot_health (bot_id, account_id, state, last_error, last_error_at, updated_at)"
    " SELECT id, account_id, :state, :last_error, :last_error_at, :updated_at FROM bots"
    " WHERE account_id = :a AND id = :b"
    " ON CONFLICT (bot_id) DO UPDATE SET state = excluded.state,"
    " last_error = CASE WHEN excluded.last_error = '' THEN bot_health.last_error ELSE excluded.last_error "
    "END,"
    " last_error_at = CASE WHEN excluded.last_error = '' THEN bot_health.last_error_at"
    " ELSE excluded.last_error_at END, updated_at = excluded.updated_at");
const Query kListBotHealth = select(kBotHealth, "FROM bot_health WHERE account_id = :a ORDER BY bot_id");

}  // namespace

bool SqlTransaction::record_bot_health(Id account_id, const sdk::BotHealth& health) {
    return guarded("record_bot_health", [&] {
        return changed_rows(statement(kRecordBotHealth)
                                .bind(health.state, health.last_error, health.last_error_at,
                                      or_now(health.updated_at, now_ms()), account_id, health.bot_id)) > 0;
    });
}

std::vector<sdk::BotHealth> SqlTransaction::list_bot_health(Id account_id) {
    return guarded("list_bot_health", [&] {
        return all_rows<sdk::BotHealth>(statement(kListBotHealth).bind(account_id),
                                        [](const PreparedStatement& s) {
                                            RowReader r(s);
                                            sdk::BotHealth h;
                                            h.bot_id = r.integer();
                                            h.state = r.text();
                                            h.last_error = r.text();
                                            h.last_error_at = r.integer();
                                            h.updated_at = r.integer();
                                            return h;
                                        });
    });
}

// --- Durable timers ----------------------------------------------------------------------------

Id SqlTransaction::add_timer(Id account_id, const WaitingElement& timer) {
    return guarded(
        "add_timer",
        [&] {
            const Millis created = or_now(timer.created_at, now_ms());
            // A timer stored already settled is as old, for retention, as the row.
            const std::optional<Millis> settled =
                timer.status == "pending" ? std::nullopt : std::optional<Millis>(created);
            return insert(kInsertTimer, account_id, timer.run_id, timer.element_id, timer.due_at,
                          json_or_empty_object(timer.payload_json), timer.status, created, settled);
        },
        [&](DbFailure failure) {
            return explain_reference(failure, account_id, "run " + id_text(timer.run_id));
        });
}

std::vector<WaitingElement> SqlTransaction::pending_run_timers(Id account_id, Id run_id) {
    return guarded("pending_run_timers", [&] {
        return all_rows<WaitingElement>(statement(kPendingRunTimers).bind(account_id, run_id), read_timer);
    });
}

int SqlTransaction::cancel_run_timers(Id account_id, Id run_id) {
    return guarded("cancel_run_timers", [&] {
        return static_cast<int>(changed_rows(statement(kCancelRunTimers).bind(now_ms(), account_id, run_id)));
    });
}

std::vector<WaitingElement> SqlTransaction::due_timers_all_accounts(Millis now, int limit) {
    return guarded("due_timers_all_accounts", [&] {
        if (limit < 0) refuse("due_timers_all_accounts", "limit is negative");
        return all_rows<WaitingElement>(statement(kDueTimers).bind(now, limit), read_timer);
    });
}

std::optional<Millis> SqlTransaction::next_timer_due_all_accounts() {
    return guarded("next_timer_due_all_accounts", [&] {
        return *one_row<std::optional<Millis>>(statement(kNextTimerDue), [](const PreparedStatement& s) {
            return RowReader(s).optional_integer();
        });
    });
}

bool SqlTransaction::claim_timer(Id account_id, Id timer_id) {
    return guarded("claim_timer", [&] {
        return changed_rows(statement(kClaimTimer).bind(now_ms(), account_id, timer_id)) > 0;
    });
}

int SqlTransaction::prune_settled_timers_all_accounts(Millis before, int limit) {
    return guarded("prune_settled_timers_all_accounts", [&] {
        if (limit <= 0) return 0;
        return static_cast<int>(changed_rows(statement(kPruneSettledTimers).bind(before, limit)));
    });
}

// --- Bans and participants -----------------------------------------------------------------------

Ban SqlTransaction::ban(Id account_id, const Ban& ban) {
    return guarded(
        "ban",
        [&] {
            return *one_row<Ban>(statement(kInsertBan)
                                     .bind(account_id, ban.bot_id, ban.user_id, ban.reason,
                                           or_now(ban.created_at, now_ms()), ban.message),
                                 read_ban);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "bot " +
                                                    (ban.bot_id ? id_text(*ban.bot_id) : std::string("?")) +
                                                    " not found in account " + id_text(account_id));
            return std::optional<Explanation>();
        });
}

bool SqlTransaction::unban(Id account_id, Id ban_id) {
    return guarded("unban", [&] { return changed_rows(statement(kDeleteBan).bind(account_id, ban_id)) > 0; });
}

std::vector<Ban> SqlTransaction::list_bans(Id account_id) {
    return guarded("list_bans",
                   [&] { return all_rows<Ban>(statement(kListBans).bind(account_id), read_ban); });
}

std::optional<Ban> SqlTransaction::find_ban(Id account_id, Id bot_id, std::int64_t user_id) {
    return guarded("find_ban", [&] {
        return one_row<Ban>(statement(kFindBan).bind(account_id, user_id, bot_id), read_ban);
    });
}

bool SqlTransaction::is_banned(Id account_id, Id bot_id, std::int64_t user_id) {
    return guarded("is_banned", [&] {
        return single_integer(statement(kIsBanned).bind(account_id, user_id, bot_id)) > 0;
    });
}

Participant SqlTransaction::add_participant(Id account_id, const Participant& p) {
    return guarded(
        "add_participant",
        [&] {
            std::string_view username = p.username;
            if (!username.empty() && username.front() == '@') username.remove_prefix(1);
            if (!p.user_id && username.empty())
                refuse("add_participant", "a participant needs a user id or a username");
            return *one_row<Participant>(
                statement(kInsertParticipant)
                    .bind(account_id, p.deployment_id, p.user_id, username, or_now(p.created_at, now_ms())),
                read_participant);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "deployment " + id_text(p.deployment_id) +
                                                    " not found in account " + id_text(account_id));
            return std::optional<Explanation>();
        });
}

bool SqlTransaction::remove_participant(Id account_id, Id participant_id) {
    return guarded("remove_participant", [&] {
        return changed_rows(statement(kDeleteParticipant).bind(account_id, participant_id)) > 0;
    });
}

std::vector<Participant> SqlTransaction::list_participants(Id account_id, Id deployment_id) {
    return guarded("list_participants", [&] {
        return all_rows<Participant>(statement(kListParticipants).bind(account_id, deployment_id),
                                     read_participant);
    });
}

bool SqlTransaction::is_participant(Id account_id, Id deployment_id, std::int64_t user_id,
                                    const std::string& username) {
    return guarded("is_participant", [&] {
        std::string key = username_key(username);
        if (key.empty())
            return single_integer(statement(kIsParticipantById).bind(account_id, deployment_id, user_id)) > 0;
        return single_integer(
                   statement(kIsParticipantByIdOrName).bind(account_id, deployment_id, user_id, key)) > 0;
    });
}

// --- Update ledger ---------------------------------------------------------------------------------

// kMarkUpdateProcessed for many updates: each row whose bot is its
// account's, unless the bot has it already; says which went in.
const RowsInsert kMarkUpdatesProcessed(
    "INSERT INTO processed_updates (account_id, bot_id, update_id, processed_at) "
    "SELECT v.column1, v.column2, v.column3, v.column4 FROM (VALUES ",
    "(CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT), CAST(? AS BIGINT))", true,
    ") AS v WHERE EXISTS (SELECT 1 FROM bots b WHERE b.account_id = v.column1 AND b.id = v.column2) "
    "ON CONFLICT (bot_id, update_id) DO NOTHING RETURNING account_id, bot_id, update_id",
    {I, I, I});

std::vector<bool> SqlTransaction::mark_updates_processed(const std::vector<Update>& updates) {
    return guarded("mark_updates_processed", [&] {
        const Millis now = now_ms();
        std::multiset<std::tuple<Id, Id, std::int64_t>> inserted;
        for (std::size_t first = 0; first < updates.size(); first += RowsInsert::kMaxRows) {
            const std::size_t count = std::min(RowsInsert::kMaxRows, updates.size() - first);
            auto& st = statement(kMarkUpdatesProcessed.query(count));
            st.start_binding(count * kMarkUpdatesProcessed.parameters_per_row());
            std::size_t p = 0;
            for (std::size_t k = first; k < first + count; ++k) {
                st.bind_at(p++, updates[k].account_id);
                st.bind_at(p++, updates[k].bot_id);
                st.bind_at(p++, updates[k].update_id);
                st.bind_at(p++, now);
            }
            st.execute();
            while (st.next_row()) inserted.emplace(st.integer(0), st.integer(1), st.integer(2));
        }
        // A row comes back once, for the first of its update in the list.
        std::vector<bool> fresh(updates.size(), false);
        for (std::size_t k = 0; k < updates.size(); ++k) {
            const auto row = inserted.find({updates[k].account_id, updates[k].bot_id, updates[k].update_id});
            if (row == inserted.end()) continue;
            fresh[k] = true;
            inserted.erase(row);
        }
        return fresh;
    });
}

bool SqlTransaction::mark_update_processed(Id account_id, Id bot_id, std::int64_t update_id) {
    return guarded("mark_update_processed", [&] {
        return changed_rows(statement(kMarkUpdateProcessed)
                                .bind(account_id, bot_id, update_id, now_ms(), account_id, bot_id)) > 0;
    });
}

int SqlTransaction::prune_processed_updates_all_accounts(Millis before, int limit) {
    return guarded("prune_processed_updates_all_accounts", [&] {
        if (limit <= 0) return 0;
        return static_cast<int>(changed_rows(statement(kPruneProcessedUpdates).bind(before, limit)));
    });
}

// --- Outbox ------------------------------------------------------------------------------------------

Id SqlTransaction::enqueue_outbox(Id account_id, const OutboxMessage& message) {
    return guarded(
        "enqueue_outbox",
        [&] {
            if (message.payload_json.empty()) refuse("enqueue_outbox", "the payload is empty");
            const Millis created = or_now(message.created_at, now_ms());
            // A message without a send time is due at once, in order of creation.
            return insert(kInsertOutbox, account_id, message.bot_id, message.chat_id, message.run_id,
                          message.payload_json, or_now(message.next_attempt_at, created), created);
        },
        [&](DbFailure failure) {
            return explain_reference(failure, account_id, "bot " + id_text(message.bot_id) + " or run");
        });
}

void SqlTransaction::enqueue_outbox_rows(Id account_id, const std::vector<OutboxMessage>& messages) {
    if (messages.empty()) return;
    guarded(
        "enqueue_outbox",
        [&] {
            for (const auto& message : messages)
                if (message.payload_json.empty()) refuse("enqueue_outbox", "the payload is empty");
            const Millis now = now_ms();
            const auto of_known_run = [&](const OutboxMessage& message) {
                const KnownRun* known = message.run_id ? known_run(account_id, *message.run_id) : nullptr;
                return known != nullptr && known->bot_id == message.bot_id;
            };
            for (const auto& message : messages) {
                auto& row = held_outbox_.emplace_back(account_id, message).second;
                row.created_at = or_now(message.created_at, now);
                row.next_attempt_at = or_now(message.next_attempt_at, row.created_at);
            }
            // Otherwise written now, so that a bad reference is refused here.
            if (!std::all_of(messages.begin(), messages.end(), of_known_run)) write_held_rows();
        },
        [&](DbFailure failure) {
            const auto bot = shared_id(messages, &OutboxMessage::bot_id);
            return explain_reference(
                failure, account_id,
                bot ? "bot " + id_text(*bot) + " or run" : "a bot or run of these messages");
        });
}

void SqlTransaction::write_held_rows() {
    // Taken out first: the inserts' own statements must not write them again.
    const auto conversation = std::move(held_conversation_);
    held_conversation_.clear();
    const auto outbox = std::move(held_outbox_);
    held_outbox_.clear();
    if (!conversation.empty())
        insert_rows(kInsertChainedConversationRows, conversation.size(),
                    [&](PreparedStatement& st, std::size_t& p, std::size_t k) {
                        const auto& row = conversation[k];
                        st.bind_at(p++, row.id);
                        st.bind_at(p++, row.prev);
                        st.bind_at(p++, row.account_id);
                        st.bind_at(p++, row.entry.run_id);
                        bind_conversation_row(st, p, row.account_id, row.entry, row.now);
                    });
    if (!outbox.empty())
        insert_rows(kInsertOutboxRows, outbox.size(),
                    [&](PreparedStatement& st, std::size_t& p, std::size_t k) {
                        const auto& [account_id, message] = outbox[k];
                        st.bind_at(p++, account_id);
                        st.bind_at(p++, message.bot_id);
                        st.bind_at(p++, message.chat_id);
                        st.bind_at(p++, message.run_id);
                        st.bind_at(p++, message.payload_json);
                        st.bind_at(p++, message.next_attempt_at);
                        st.bind_at(p++, message.created_at);
                    });
}

std::vector<OutboxMessage> SqlTransaction::pending_outbox_of_holder_all_accounts(const std::string& holder,
                                                                                 Millis now, int limit) {
    return guarded("pending_outbox_of_holder_all_accounts", [&] {
        check_holder("pending_outbox_of_holder_all_accounts", holder);
        if (limit < 0) refuse("pending_outbox_of_holder_all_accounts", "limit is negative");
        return all_rows<OutboxMessage>(statement(kPendingOutboxOfHolder).bind(now, holder, limit),
                                       read_outbox);
    });
}

std::vector<OutboxMessage> SqlTransaction::pending_outbox_all_accounts(Millis now, int limit) {
    return guarded("pending_outbox_all_accounts", [&] {
        if (limit < 0) refuse("pending_outbox_all_accounts", "limit is negative");
        return all_rows<OutboxMessage>(statement(kPendingOutbox).bind(now, limit), read_outbox);
    });
}

std::vector<OutboxMessage> SqlTransaction::list_outbox(Id account_id, Id bot_id, std::int64_t chat_id) {
    return guarded("list_outbox", [&] {
        return all_rows<OutboxMessage>(statement(kListOutbox).bind(account_id, bot_id, chat_id), read_outbox);
    });
}

bool SqlTransaction::mark_outbox_sent(Id account_id, Id message_id) {
    return guarded("mark_outbox_sent",
                   [&] { return changed_rows(statement(kOutboxSent).bind(account_id, message_id)) > 0; });
}

bool SqlTransaction::mark_outbox_retry(Id account_id, Id message_id, Millis next_attempt_at,
                                       const std::string& error) {
    return guarded("mark_outbox_retry", [&] {
        return changed_rows(statement(kOutboxRetry).bind(next_attempt_at, error, account_id, message_id)) > 0;
    });
}

bool SqlTransaction::mark_outbox_failed(Id account_id, Id message_id, const std::string& error) {
    return guarded("mark_outbox_failed", [&] {
        return changed_rows(statement(kOutboxFailed).bind(error, account_id, message_id)) > 0;
    });
}

int SqlTransaction::prune_failed_outbox_all_accounts(Millis before, int limit) {
    return guarded("prune_failed_outbox_all_accounts", [&] {
        if (limit <= 0) return 0;
        return static_cast<int>(changed_rows(statement(kPruneFailedOutbox).bind(before, limit)));
    });
}

// --- Polls --------------------------------------------------------------------------------------------

void SqlTransaction::record_poll(Id account_id, const PollRecord& poll) {
    guarded(
        "record_poll",
        [&] {
            if (poll.poll_id.empty()) refuse("record_poll", "the poll id is empty");
            statement(kInsertPoll)
                .bind(account_id, poll.bot_id, poll.poll_id, poll.run_id, poll.element_id, poll.activation,
                      or_now(poll.created_at, now_ms()))
                .execute();
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "poll '" + poll.poll_id + "' of bot " +
                                                     id_text(poll.bot_id) + " is already recorded");
            if (failure == DbFailure::foreign_key_violation)
                return explained(Code::invalid, "bot " + id_text(poll.bot_id) + " or run " +
                                                    id_text(poll.run_id) + " not found in account " +
                                                    id_text(account_id));
            return std::optional<Explanation>();
        });
}

std::optional<PollRecord> SqlTransaction::find_poll_all_accounts(Id bot_id, const std::string& poll_id) {
    return guarded("find_poll_all_accounts", [&] {
        return one_row<PollRecord>(statement(kFindPoll).bind(bot_id, poll_id), read_poll);
    });
}

int SqlTransaction::prune_polls_of_ended_runs_all_accounts(Millis before, int limit) {
    return guarded("prune_polls_of_ended_runs_all_accounts", [&] {
        if (limit <= 0) return 0;
        return static_cast<int>(changed_rows(statement(kPrunePollsOfEndedRuns).bind(before, limit)));
    });
}

// --- Panel access --------------------------------------------------------------------------------------

namespace {

std::optional<Explanation> explain_account_reference(DbFailure failure, Id account_id) {
    if (failure == DbFailure::foreign_key_violation)
        return explained(Code::invalid, "account " + id_text(account_id) + " does not exist");
    return std::nullopt;
}

}  // namespace

Id SqlTransaction::create_api_key(Id account_id, const ApiKey& key) {
    return guarded(
        "create_api_key",
        [&] {
            if (key.prefix.empty()) refuse("create_api_key", "the key prefix is empty");
            check_digest("create_api_key", "secret_hash", key.secret_hash);
            if (!is_member_role(key.role))
                refuse("create_api_key", "role must be owner or admin, not '" + key.role + "'");
            return insert(kInsertApiKey, account_id, key.label, key.prefix, key.secret_hash, key.role,
                          key.created_by_user_id, or_now(key.created_at, now_ms()), key.last_used_at,
                          key.revoked_at);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict,
                                 "an API key with prefix '" + key.prefix + "' already exists; make another");
            return explain_account_reference(failure, account_id);
        });
}

std::vector<ApiKey> SqlTransaction::list_api_keys(Id account_id) {
    return guarded("list_api_keys",
                   [&] { return all_rows<ApiKey>(statement(kListApiKeys).bind(account_id), read_api_key); });
}

bool SqlTransaction::revoke_api_key(Id account_id, Id key_id, Millis at) {
    return guarded("revoke_api_key",
                   [&] { return changed_rows(statement(kRevokeApiKey).bind(at, account_id, key_id)) > 0; });
}

bool SqlTransaction::touch_api_key(Id account_id, Id key_id, Millis at) {
    return guarded("touch_api_key", [&] {
        return changed_rows(statement(kTouchApiKey).bind(at, at, account_id, key_id)) > 0;
    });
}

Id SqlTransaction::create_login_link(Id account_id, const LoginLink& link) {
    return guarded(
        "create_login_link",
        [&] {
            check_digest("create_login_link", "token_hash", link.token_hash);
            const Millis created = or_now(link.created_at, now_ms());
            if (link.expires_at <= created)
                refuse("create_login_link", "the link would expire (" + std::to_string(link.expires_at) +
                                                ") before it was made (" + std::to_string(created) + ")");
            return insert(kInsertLoginLink, account_id, link.token_hash, created, link.expires_at,
                          link.used_at);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a login link with that token already exists");
            return explain_account_reference(failure, account_id);
        });
}

std::optional<ApiKey> SqlTransaction::find_api_key_all_accounts(const std::string& prefix) {
    return guarded("find_api_key_all_accounts",
                   [&] { return one_row<ApiKey>(statement(kFindApiKey).bind(prefix), read_api_key); });
}

std::optional<LoginLink> SqlTransaction::consume_login_link_all_accounts(const std::string& token_hash,
                                                                         Millis now) {
    return guarded("consume_login_link_all_accounts", [&] {
        return one_row<LoginLink>(statement(kConsumeLoginLink).bind(now, token_hash, now), read_login_link);
    });
}

Id SqlTransaction::create_panel_session_all_accounts(const PanelSession& session) {
    constexpr std::string_view operation = "create_panel_session_all_accounts";
    return guarded(
        operation,
        [&] {
            check_digest(operation, "token_hash", session.token_hash);
            // A one-time login link signs in the platform's operator, who
            // need not be a Telegram user: such a session is pinned to the
            // link's account and names no user (0).
            if (session.telegram_user_id < 0 || (session.telegram_user_id == 0 && !session.pinned_account_id))
                refuse(operation, "telegram_user_id must be a Telegram user id, not " +
                                      std::to_string(session.telegram_user_id) +
                                      " (only a session pinned to an account may name none)");
            const Millis created = or_now(session.created_at, now_ms());
            const Millis seen = or_now(session.last_seen_at, created);
            if (session.expires_at <= seen)
                refuse(operation, "the session would expire (" + std::to_string(session.expires_at) +
                                      ") before it was last seen (" + std::to_string(seen) + ")");
            return insert(kInsertPanelSession, session.token_hash, session.telegram_user_id, session.username,
                          session.first_name, created, session.expires_at, seen, session.pinned_account_id);
        },
        [&](DbFailure failure) {
            if (failure == DbFailure::unique_violation)
                return explained(Code::conflict, "a panel session with that token already exists");
            return explain_account_reference(failure, session.pinned_account_id.value_or(0));
        });
}

std::optional<PanelSession> SqlTransaction::find_panel_session_all_accounts(const std::string& token_hash) {
    return guarded("find_panel_session_all_accounts", [&] {
        return one_row<PanelSession>(statement(kFindPanelSession).bind(token_hash), read_panel_session);
    });
}

bool SqlTransaction::touch_panel_session_all_accounts(Id session_id, Millis last_seen_at, Millis expires_at) {
    constexpr std::string_view operation = "touch_panel_session_all_accounts";
    return guarded(operation, [&] {
        if (expires_at <= last_seen_at)
            refuse(operation, "the session would expire (" + std::to_string(expires_at) +
                                  ") before it was last seen (" + std::to_string(last_seen_at) + ")");
        return changed_rows(statement(kTouchPanelSession).bind(last_seen_at, expires_at, session_id)) > 0;
    });
}

bool SqlTransaction::delete_panel_session_all_accounts(const std::string& token_hash) {
    return guarded("delete_panel_session_all_accounts",
                   [&] { return changed_rows(statement(kDeletePanelSession).bind(token_hash)) > 0; });
}

bool SqlTransaction::remember_telegram_login_all_accounts(const std::string& login_hash, Millis expires_at) {
    return guarded("remember_telegram_login_all_accounts", [&] {
        check_digest("remember_telegram_login_all_accounts", "login_hash", login_hash);
        return changed_rows(statement(kRememberTelegramLogin).bind(login_hash, expires_at, now_ms())) > 0;
    });
}

int SqlTransaction::prune_panel_access_all_accounts(Millis before, int limit) {
    return guarded("prune_panel_access_all_accounts", [&] {
        int deleted = 0;
        for (const Query* query :
             {&kPruneExpiredPanelSessions, &kPruneDoneLoginLinks, &kPruneExpiredTelegramLogins}) {
            if (deleted >= limit) break;
            deleted += static_cast<int>(changed_rows(statement(*query).bind(before, limit - deleted)));
        }
        return deleted;
    });
}

}  // namespace profo::storage_sql
