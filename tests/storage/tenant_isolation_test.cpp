// Tenant isolation, method by method, on every storage backend: two accounts,
// A and B, each with a full set of records (member, enrollment key, bot,
// course, version, deployment, token, participant, bans, run, conversation,
// timer, outbox message, poll, update ledger entry, API key, login link);
// then every sdk::StorageTx
// method that takes an account id is called as B with A's ids. Reads find
// nothing of A's, writes answer false or are refused as "not found in account
// B", and after each call A's records are exactly what they were.
//
// The methods are listed by name (each name checked against StorageTx by the
// compiler), and CoverEveryMethodThatTakesAnAccountId reads storage.hpp: a
// method that takes an account id and has no case here fails it, so a new
// method cannot skip the check.
#include "backend_types.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <limits>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

namespace profo::storage_test {
namespace {

using sdk::Id;
using sdk::StorageError;

// Everything one account owns, by id.
struct TenantData {
    std::string name;
    Id account = 0;
    sdk::AccountMember member;
    std::string enrollment_key;
    sdk::Bot bot;
    sdk::Course course;
    sdk::CourseVersion version;
    sdk::CourseDeployment deployment;
    sdk::EnrollmentToken token;
    sdk::Participant participant;
    sdk::Ban bot_ban;      // on its bot
    sdk::Ban account_ban;  // on every bot of the account
    sdk::Run run;
    Id entry = 0;
    Id timer = 0;
    Id message = 0;
    std::string poll_id;
    std::int64_t chat = 0;
    std::int64_t update_id = 0;
    sdk::ApiKey api_key;
    sdk::LoginLink login_link;
};

// Login links outlive every test; a link is consumed "at" this time.
constexpr sdk::Millis kLinkExpiry = 4'000'000'000'000;
constexpr sdk::Millis kLinkUse = kLinkExpiry - 1;

// A SHA-256 digest in lowercase hex, one per `n`.
std::string digest(std::int64_t n) {
    return std::string(64, "0123456789abcdef"[n % 16]);
}

std::vector<sdk::CourseElement> elements(const std::string& prefix) {
    std::vector<sdk::CourseElement> out(2);
    out[0].element_id = prefix + "_intro";
    out[0].type = "message";
    out[0].body_json = R"({"type":"message","text":"Hi"})";
    out[1].element_id = prefix + "_end";
    out[1].type = "end";
    return out;
}

// Every kind of record an account can hold; `n` keeps the two tenants' values apart.
TenantData seed(sdk::StorageTx& tx, const std::string& name, std::int64_t n) {
    TenantData t;
    t.name = name;
    t.chat = 100 * n;
    t.update_id = 10 * n;
    t.account = tx.create_account(name).id;
    sdk::AccountMember member;
    member.telegram_user_id = 1000 * n;
    member.username = name + "_owner";
    member.role = "owner";
    t.member = tx.add_member(t.account, member);
    t.enrollment_key = "sealed-key-of-" + name;
    tx.set_enrollment_key(t.account, t.enrollment_key);
    sdk::Bot bot;
    bot.username = name + "_bot";
    bot.token_sealed = "sealed-token-of-" + name;
    t.bot = tx.create_bot(t.account, bot);
    t.course = tx.create_course(t.account, name + " course");
    t.version = tx.create_version(t.account, t.course.id, name + ".yaml", elements(name));
    sdk::CourseDeployment d;
    d.course_id = t.course.id;
    d.version_id = t.version.id;
    d.bot_id = t.bot.id;
    d.legacy_alias = name + "-alias";
    d.restricted = true;
    t.deployment = tx.create_deployment(t.account, d);
    sdk::EnrollmentToken token;
    token.deployment_id = t.deployment.id;
    token.type = "group";
    token.code = name + "-code";
    token.max_uses = 5;
    t.token = tx.create_token(t.account, token);
    sdk::Participant participant;
    participant.deployment_id = t.deployment.id;
    participant.user_id = t.chat + 1;
    participant.username = name + "_student";
    t.participant = tx.add_participant(t.account, participant);
    sdk::Ban ban;
    ban.bot_id = t.bot.id;
    ban.user_id = t.chat + 2;
    ban.reason = name + " bot ban";
    t.bot_ban = tx.ban(t.account, ban);
    ban.bot_id.reset();
    ban.user_id = t.chat + 3;
    ban.reason = name + " account ban";
    t.account_ban = tx.ban(t.account, ban);
    sdk::Run run;
    run.bot_id = t.bot.id;
    run.deployment_id = t.deployment.id;
    run.token_id = t.token.id;
    run.chat_id = run.user_id = t.chat;
    run.cursor = name + "_intro";
    run.version_id = t.version.id;
    t.run = tx.start_run(t.account, run);
    sdk::ConversationEntry entry;
    entry.run_id = t.run.id;
    entry.element_id = name + "_intro";
    entry.role = "bot";
    t.entry = tx.append_conversation(t.account, entry);
    sdk::WaitingElement timer;
    timer.run_id = t.run.id;
    timer.element_id = name + "_intro";
    timer.due_at = 1000 + n;
    t.timer = tx.add_timer(t.account, timer);
    sdk::OutboxMessage message;
    message.bot_id = t.bot.id;
    message.chat_id = t.chat;
    message.run_id = t.run.id;
    message.payload_json = R"({"kind":"text","text":"hello"})";
    t.message = tx.enqueue_outbox(t.account, message);
    sdk::PollRecord poll;
    poll.bot_id = t.bot.id;
    poll.poll_id = name + "-poll";
    poll.run_id = t.run.id;
    poll.element_id = name + "_intro";
    tx.record_poll(t.account, poll);
    t.poll_id = poll.poll_id;
    tx.mark_update_processed(t.account, t.bot.id, t.update_id);
    sdk::ApiKey key;
    key.label = name + " automation";
    key.prefix = "pk_" + name;
    key.secret_hash = digest(n);
    key.role = "owner";
    key.created_by_user_id = member.telegram_user_id;
    key.id = tx.create_api_key(t.account, key);
    key.account_id = t.account;
    t.api_key = key;
    sdk::LoginLink link;
    link.token_hash = digest(n + 4);
    link.expires_at = kLinkExpiry;
    link.id = tx.create_login_link(t.account, link);
    link.account_id = t.account;
    t.login_link = link;
    return t;
}

template <class T>
std::string shown(const std::optional<T>& value) {
    if (!value) return "-";
    std::ostringstream out;
    out << *value;
    return out.str();
}

// Every record of the account, every field, as text: equal texts, equal data.
std::string snapshot(sdk::StorageTx& tx, const TenantData& t) {
    std::ostringstream out;
    const Id a = t.account;
    const auto account = tx.get_account(a);
    out << "account " << (account ? account->name : "(missing)") << "\n";
    for (const auto& m : tx.list_members(a))
        out << "member " << m.id << " " << m.account_id << " " << m.telegram_user_id << " " << m.username
            << " " << m.role << " " << m.created_at << "\n";
    out << "key " << shown(tx.enrollment_key(a)) << "\n";
    for (const auto& b : tx.list_bots(a))
        out << "bot " << b.id << " " << b.account_id << " " << b.username << " " << b.token_sealed << " "
            << b.settings_json << " " << b.mode << " " << b.update_offset << " " << b.enabled << "\n";
    for (const auto& c : tx.list_courses(a)) {
        out << "course " << c.id << " " << c.name << " " << c.updated_at << "\n";
        for (const auto& v : tx.list_versions(a, c.id)) {
            out << "version " << v.id << " " << v.course_id << " " << v.number << " " << v.source_name
                << "\n";
            for (const auto& e : tx.version_elements(a, v.id))
                out << "element " << e.id << " " << e.position << " " << e.element_id << " " << e.type << " "
                    << e.body_json << "\n";
        }
    }
    for (const auto& d : tx.list_deployments(a)) {
        out << "deployment " << d.id << " " << d.course_id << " " << d.version_id << " " << d.bot_id << " "
            << d.environment << " " << d.overrides_json << " " << d.legacy_alias << " " << d.active << " "
            << d.restricted << " " << d.allow_restart << " " << d.collect_email << "\n";
        for (const auto& k : tx.list_tokens(a, d.id))
            out << "token " << k.id << " " << k.code << " " << k.uses << " " << shown(k.max_uses) << " "
                << k.revoked << " " << k.active << " " << k.label << "\n";
        for (const auto& p : tx.list_participants(a, d.id))
            out << "participant " << p.id << " " << shown(p.user_id) << " " << p.username << "\n";
    }
    for (const auto& b : tx.list_bans(a))
        out << "ban " << b.id << " " << shown(b.bot_id) << " " << b.user_id << " " << b.reason << " "
            << b.message << "\n";
    sdk::RunFilter every;
    every.limit = 1000;
    for (const auto& r : tx.list_runs(a, every)) {
        out << "run " << r.id << " " << r.bot_id << " " << r.deployment_id << " " << r.chat_id << " "
            << shown(r.token_id) << " " << sdk::to_string(r.status) << " " << r.active << " " << r.cursor
            << " " << r.state_json << " " << r.updated_at << " " << shown(r.ended_at) << "\n";
        for (const auto& e : tx.conversation(a, r.id))
            out << "entry " << e.id << " " << e.element_id << " " << e.role << " " << e.payload_json << "\n";
        for (const auto& m : tx.list_outbox(a, r.bot_id, r.chat_id))
            out << "outbox " << m.id << " " << m.status << " " << m.attempts << " " << m.next_attempt_at
                << " " << m.last_error << "\n";
    }
    for (const auto& w : tx.due_timers_all_accounts(std::numeric_limits<sdk::Millis>::max(), 1000))
        if (w.account_id == a)
            out << "timer " << w.id << " " << w.run_id << " " << w.status << " " << w.due_at << "\n";
    const auto poll = tx.find_poll_all_accounts(t.bot.id, t.poll_id);
    out << "poll " << (poll ? std::to_string(poll->account_id) + " " + std::to_string(poll->run_id) : "-")
        << "\n";
    for (const auto& k : tx.list_api_keys(a))
        out << "api key " << k.id << " " << k.label << " " << k.prefix << " " << k.secret_hash << " "
            << k.role << " " << k.created_by_user_id << " " << shown(k.last_used_at) << " "
            << shown(k.revoked_at) << "\n";
    // Nothing lists an account's links: the snapshot takes A's link, which
    // only works while it is unused and A's. Its transaction is never
    // committed, so the link stays as it was.
    const auto link = tx.consume_login_link_all_accounts(t.login_link.token_hash, kLinkUse);
    out << "login link " << (link ? std::to_string(link->id) + " " + std::to_string(link->account_id) : "-")
        << "\n";
    return out.str();
}

// What a case works with: the storage, and the two tenants.
struct Probe {
    sdk::Storage& storage;
    const TenantData& a;
    const TenantData& b;

    // Runs `work` in a transaction of its own and commits it, so that a
    // change that should not have happened is there for the snapshot to see.
    template <class Work>
    void in_tx(Work&& work) {
        auto tx = storage.begin();
        work(*tx);
        tx->commit();
    }

    // `call` must be refused for naming what B does not have.
    template <class Call>
    void refused(const std::string& what, Call&& call) {
        SCOPED_TRACE(what);
        try {
            in_tx(call);
            ADD_FAILURE() << "accepted; expected StorageError(invalid) 'not found in account " << b.account
                          << "'";
        } catch (const StorageError& e) {
            EXPECT_EQ(e.code(), StorageError::Code::invalid) << e.what();
            EXPECT_NE(std::string(e.what()).find("not found in account " + std::to_string(b.account)),
                      std::string::npos)
                << e.what();
        }
    }
};

struct IsolationCase {
    std::string_view method;
    std::function<void(Probe&)> run;
};

// The method's name, checked against sdk::StorageTx by the compiler.
#define STORAGE_METHOD(name) (static_cast<void>(&sdk::StorageTx::name), std::string_view(#name))

template <class Record>
bool none_of_ids(const std::vector<Record>& records, Id id) {
    return std::none_of(records.begin(), records.end(), [&](const Record& r) { return r.id == id; });
}

const std::vector<IsolationCase>& isolation_cases() {
    static const std::vector<IsolationCase> cases = {
        // --- AccountStore
        {STORAGE_METHOD(get_account),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 const auto got = tx.get_account(p.b.account);
                 ASSERT_TRUE(got);
                 EXPECT_EQ(got->name, p.b.name);
             });
         }},
        {STORAGE_METHOD(add_member),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 // A's own owner, and a record that says it is A's: B's member all the same.
                 auto member = p.a.member;
                 member.id = 0;
                 member.role = "admin";
                 EXPECT_EQ(tx.add_member(p.b.account, member).account_id, p.b.account);
             });
         }},
        {STORAGE_METHOD(list_members),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_members(p.b.account), p.a.member.id));
             });
         }},
        {STORAGE_METHOD(remove_member),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.remove_member(p.b.account, p.a.member.id)); });
         }},
        {STORAGE_METHOD(create_bot),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 auto bot = p.a.bot;
                 bot.username = "made_by_b_bot";
                 EXPECT_EQ(tx.create_bot(p.b.account, bot).account_id, p.b.account);
             });
         }},
        {STORAGE_METHOD(get_bot),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.get_bot(p.b.account, p.a.bot.id)); });
         }},
        {STORAGE_METHOD(list_bots),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_bots(p.b.account), p.a.bot.id));
             });
         }},
        {STORAGE_METHOD(update_bot),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 auto bot = p.a.bot;
                 bot.username = "stolen_bot";
                 bot.token_sealed = "sealed-by-b";
                 bot.enabled = false;
                 EXPECT_FALSE(tx.update_bot(p.b.account, bot));
             });
         }},
        {STORAGE_METHOD(delete_bot),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.delete_bot(p.b.account, p.a.bot.id)); });
         }},
        {STORAGE_METHOD(set_bot_offset),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.set_bot_offset(p.b.account, p.a.bot.id, 5000)); });
         }},
        {STORAGE_METHOD(enrollment_key),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_EQ(tx.enrollment_key(p.b.account), p.b.enrollment_key); });
         }},
        {STORAGE_METHOD(set_enrollment_key),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { tx.set_enrollment_key(p.b.account, "sealed-by-b"); });
         }},
        // --- AccountChanges
        {STORAGE_METHOD(rename_account),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.rename_account(p.b.account, p.b.name + " renamed"));
             });
             // Names are the platform's: A's is taken, and stays A's.
             try {
                 p.in_tx([&](sdk::StorageTx& tx) { tx.rename_account(p.b.account, p.a.name); });
                 ADD_FAILURE() << "B took A's name";
             } catch (const StorageError& e) {
                 EXPECT_EQ(e.code(), StorageError::Code::conflict) << e.what();
             }
         }},
        {STORAGE_METHOD(update_member),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 auto member = p.a.member;
                 member.role = "admin";
                 member.username = "stolen_name";
                 EXPECT_FALSE(tx.update_member(p.b.account, member));
             });
         }},
        // --- CourseStore
        {STORAGE_METHOD(create_course),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 // Course names are per account: A's name is free in B.
                 const auto made = tx.create_course(p.b.account, p.a.course.name);
                 EXPECT_EQ(made.account_id, p.b.account);
                 EXPECT_NE(made.id, p.a.course.id);
             });
         }},
        {STORAGE_METHOD(get_course),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.get_course(p.b.account, p.a.course.id)); });
         }},
        {STORAGE_METHOD(find_course),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 const auto found = tx.find_course(p.b.account, p.a.course.name);
                 EXPECT_TRUE(!found || (found->account_id == p.b.account && found->id != p.a.course.id));
             });
         }},
        {STORAGE_METHOD(list_courses),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_courses(p.b.account), p.a.course.id));
             });
         }},
        {STORAGE_METHOD(rename_course),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.rename_course(p.b.account, p.a.course.id, "Stolen"));
             });
         }},
        {STORAGE_METHOD(delete_course),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.delete_course(p.b.account, p.a.course.id)); });
         }},
        {STORAGE_METHOD(create_version),
         [](Probe& p) {
             p.refused("a version of A's course", [&](sdk::StorageTx& tx) {
                 tx.create_version(p.b.account, p.a.course.id, "b.yaml", elements("b"));
             });
         }},
        {STORAGE_METHOD(get_version),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.get_version(p.b.account, p.a.version.id)); });
         }},
        {STORAGE_METHOD(list_versions),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.list_versions(p.b.account, p.a.course.id).empty());
             });
         }},
        {STORAGE_METHOD(version_elements),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.version_elements(p.b.account, p.a.version.id).empty());
             });
         }},
        // --- DeploymentStore
        {STORAGE_METHOD(create_deployment),
         [](Probe& p) {
             p.refused("A's course, version and bot",
                       [&](sdk::StorageTx& tx) { tx.create_deployment(p.b.account, p.a.deployment); });
             p.refused("B's course and version on A's bot", [&](sdk::StorageTx& tx) {
                 auto d = p.b.deployment;
                 d.bot_id = p.a.bot.id;
                 d.legacy_alias.clear();
                 tx.create_deployment(p.b.account, d);
             });
             p.refused("A's course and version on B's bot", [&](sdk::StorageTx& tx) {
                 auto d = p.a.deployment;
                 d.bot_id = p.b.bot.id;
                 d.legacy_alias.clear();
                 tx.create_deployment(p.b.account, d);
             });
         }},
        {STORAGE_METHOD(get_deployment),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.get_deployment(p.b.account, p.a.deployment.id));
             });
         }},
        {STORAGE_METHOD(list_deployments),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_deployments(p.b.account), p.a.deployment.id));
             });
         }},
        {STORAGE_METHOD(update_deployment),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 auto d = p.a.deployment;
                 d.active = false;
                 d.restricted = false;
                 d.legacy_alias = "stolen";
                 EXPECT_FALSE(tx.update_deployment(p.b.account, d));
             });
             p.refused("B's deployment pointed at A's version", [&](sdk::StorageTx& tx) {
                 auto d = p.b.deployment;
                 d.version_id = p.a.version.id;
                 tx.update_deployment(p.b.account, d);
             });
         }},
        {STORAGE_METHOD(find_deployment_by_alias),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(
                     tx.find_deployment_by_alias(p.b.account, p.a.bot.id, p.a.deployment.legacy_alias));
                 EXPECT_FALSE(
                     tx.find_deployment_by_alias(p.b.account, p.b.bot.id, p.a.deployment.legacy_alias));
             });
         }},
        {STORAGE_METHOD(ban),
         [](Probe& p) {
             p.refused("a ban on A's bot", [&](sdk::StorageTx& tx) {
                 auto ban = p.a.bot_ban;
                 ban.user_id = 4242;
                 tx.ban(p.b.account, ban);
             });
             // B's account-wide ban of A's student is B's alone (the snapshot
             // shows A's bans unchanged).
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::Ban everywhere;
                 everywhere.user_id = p.a.chat;
                 EXPECT_EQ(tx.ban(p.b.account, everywhere).account_id, p.b.account);
             });
         }},
        {STORAGE_METHOD(unban),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.unban(p.b.account, p.a.bot_ban.id));
                 EXPECT_FALSE(tx.unban(p.b.account, p.a.account_ban.id));
             });
         }},
        {STORAGE_METHOD(list_bans),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 const auto bans = tx.list_bans(p.b.account);
                 EXPECT_TRUE(none_of_ids(bans, p.a.bot_ban.id));
                 EXPECT_TRUE(none_of_ids(bans, p.a.account_ban.id));
             });
         }},
        {STORAGE_METHOD(is_banned),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.is_banned(p.b.account, p.a.bot.id, p.a.bot_ban.user_id));
                 EXPECT_FALSE(tx.is_banned(p.b.account, p.b.bot.id, p.a.account_ban.user_id))
                     << "A's account-wide ban reached B's bot";
             });
         }},
        {STORAGE_METHOD(add_participant),
         [](Probe& p) {
             p.refused("a participant of A's deployment", [&](sdk::StorageTx& tx) {
                 auto participant = p.a.participant;
                 participant.user_id = 4242;
                 tx.add_participant(p.b.account, participant);
             });
         }},
        {STORAGE_METHOD(remove_participant),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.remove_participant(p.b.account, p.a.participant.id));
             });
         }},
        {STORAGE_METHOD(list_participants),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.list_participants(p.b.account, p.a.deployment.id).empty());
             });
         }},
        {STORAGE_METHOD(is_participant),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(
                     tx.is_participant(p.b.account, p.a.deployment.id, *p.a.participant.user_id, ""));
                 EXPECT_FALSE(tx.is_participant(p.b.account, p.a.deployment.id, 1, p.a.participant.username));
                 EXPECT_FALSE(tx.is_participant(p.b.account, p.b.deployment.id, *p.a.participant.user_id,
                                                p.a.participant.username));
             });
         }},
        {STORAGE_METHOD(find_ban),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.find_ban(p.b.account, p.a.bot.id, p.a.bot_ban.user_id));
                 EXPECT_FALSE(tx.find_ban(p.b.account, p.b.bot.id, p.a.account_ban.user_id));
             });
         }},
        // --- TokenStore
        {STORAGE_METHOD(create_token),
         [](Probe& p) {
             p.refused("a token of A's deployment", [&](sdk::StorageTx& tx) {
                 auto token = p.a.token;
                 token.code = "made-by-b";
                 tx.create_token(p.b.account, token);
             });
         }},
        {STORAGE_METHOD(get_token),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.get_token(p.b.account, p.a.token.id)); });
         }},
        {STORAGE_METHOD(find_token),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.find_token(p.b.account, p.a.deployment.id, p.a.token.code));
                 EXPECT_FALSE(tx.find_token(p.b.account, p.b.deployment.id, p.a.token.code));
             });
         }},
        {STORAGE_METHOD(list_tokens),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.list_tokens(p.b.account, p.a.deployment.id).empty());
             });
         }},
        {STORAGE_METHOD(consume_token),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.consume_token(p.b.account, p.a.token.id)); });
         }},
        {STORAGE_METHOD(revoke_token),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.revoke_token(p.b.account, p.a.token.id)); });
         }},
        {STORAGE_METHOD(set_token_active),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.set_token_active(p.b.account, p.a.token.id, false));
             });
         }},
        // --- RunStore
        {STORAGE_METHOD(start_run),
         [](Probe& p) {
             auto run = p.a.run;
             run.chat_id = run.user_id = 4242;
             p.refused("on A's bot and deployment",
                       [&](sdk::StorageTx& tx) { tx.start_run(p.b.account, run); });
             run.bot_id = p.b.bot.id;
             p.refused("on B's bot with A's deployment",
                       [&](sdk::StorageTx& tx) { tx.start_run(p.b.account, run); });
             run.bot_id = p.a.bot.id;
             run.deployment_id = p.b.deployment.id;
             p.refused("on A's bot with B's deployment",
                       [&](sdk::StorageTx& tx) { tx.start_run(p.b.account, run); });
         }},
        {STORAGE_METHOD(get_run),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.get_run(p.b.account, p.a.run.id)); });
         }},
        {STORAGE_METHOD(active_run),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.active_run(p.b.account, p.a.bot.id, p.a.chat)); });
         }},
        {STORAGE_METHOD(update_run),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 auto run = p.a.run;
                 run.status = sdk::RunStatus::stopped;
                 run.active = false;
                 run.cursor = "stolen";
                 run.ended_at = 1;
                 EXPECT_FALSE(tx.update_run(p.b.account, run));
             });
         }},
        {STORAGE_METHOD(list_runs),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_runs(p.b.account, {}), p.a.run.id));
                 sdk::RunFilter by_bot;
                 by_bot.bot_id = p.a.bot.id;
                 EXPECT_TRUE(tx.list_runs(p.b.account, by_bot).empty());
                 sdk::RunFilter by_deployment;
                 by_deployment.deployment_id = p.a.deployment.id;
                 EXPECT_TRUE(tx.list_runs(p.b.account, by_deployment).empty());
             });
         }},
        {STORAGE_METHOD(append_conversation),
         [](Probe& p) {
             p.refused("an entry of A's run", [&](sdk::StorageTx& tx) {
                 sdk::ConversationEntry entry;
                 entry.run_id = p.a.run.id;
                 entry.element_id = p.a.name + "_intro";
                 entry.role = "user";
                 tx.append_conversation(p.b.account, entry);
             });
         }},
        {STORAGE_METHOD(append_conversation_rows),
         [](Probe& p) {
             // B's own row first: the call as a whole is refused, and keeps nothing.
             sdk::ConversationEntry own;
             own.run_id = p.b.run.id;
             own.element_id = p.b.name + "_intro";
             own.role = "bot";
             own.payload_json = R"({"text":"kept by nobody"})";
             auto theirs = own;
             theirs.run_id = p.a.run.id;
             theirs.element_id = p.a.name + "_intro";
             p.refused("rows of B's run and A's run", [&](sdk::StorageTx& tx) {
                 tx.append_conversation_rows(p.b.account, {own, theirs});
             });
             p.in_tx([&](sdk::StorageTx& tx) {
                 for (const auto& row : tx.conversation(p.b.account, p.b.run.id))
                     EXPECT_NE(row.payload_json, own.payload_json);
             });
         }},
        {STORAGE_METHOD(conversation),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.conversation(p.b.account, p.a.run.id).empty()); });
         }},
        {STORAGE_METHOD(record_poll),
         [](Probe& p) {
             sdk::PollRecord poll;
             poll.bot_id = p.a.bot.id;
             poll.poll_id = "poll-made-by-b";
             poll.run_id = p.a.run.id;
             poll.element_id = p.a.name + "_intro";
             p.refused("a poll of A's bot and run",
                       [&](sdk::StorageTx& tx) { tx.record_poll(p.b.account, poll); });
             poll.bot_id = p.b.bot.id;
             p.refused("a poll of B's bot for A's run",
                       [&](sdk::StorageTx& tx) { tx.record_poll(p.b.account, poll); });
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.find_poll_all_accounts(p.a.bot.id, poll.poll_id));
                 EXPECT_FALSE(tx.find_poll_all_accounts(p.b.bot.id, poll.poll_id));
             });
         }},
        // --- TimerStore
        {STORAGE_METHOD(add_timer),
         [](Probe& p) {
             p.refused("a timer of A's run", [&](sdk::StorageTx& tx) {
                 sdk::WaitingElement timer;
                 timer.run_id = p.a.run.id;
                 timer.element_id = p.a.name + "_intro";
                 timer.due_at = 1;
                 tx.add_timer(p.b.account, timer);
             });
         }},
        {STORAGE_METHOD(cancel_run_timers),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_EQ(tx.cancel_run_timers(p.b.account, p.a.run.id), 0); });
         }},
        {STORAGE_METHOD(claim_timer),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.claim_timer(p.b.account, p.a.timer)); });
         }},
        // --- OutboxStore
        {STORAGE_METHOD(enqueue_outbox),
         [](Probe& p) {
             sdk::OutboxMessage message;
             message.bot_id = p.a.bot.id;
             message.chat_id = p.a.chat;
             message.payload_json = R"({"kind":"text","text":"from B"})";
             p.refused("a message from A's bot",
                       [&](sdk::StorageTx& tx) { tx.enqueue_outbox(p.b.account, message); });
             message.bot_id = p.b.bot.id;
             message.run_id = p.a.run.id;
             p.refused("a message of A's run from B's bot",
                       [&](sdk::StorageTx& tx) { tx.enqueue_outbox(p.b.account, message); });
         }},
        {STORAGE_METHOD(enqueue_outbox_rows),
         [](Probe& p) {
             sdk::OutboxMessage own;
             own.bot_id = p.b.bot.id;
             own.chat_id = p.b.chat;
             own.payload_json = R"({"kind":"text","text":"kept by nobody"})";
             auto from_a = own;
             from_a.bot_id = p.a.bot.id;
             from_a.chat_id = p.a.chat;
             p.refused("messages from B's bot and A's bot", [&](sdk::StorageTx& tx) {
                 tx.enqueue_outbox_rows(p.b.account, {own, from_a});
             });
             auto of_a_run = own;
             of_a_run.run_id = p.a.run.id;
             p.refused("messages of B's bot, one for A's run", [&](sdk::StorageTx& tx) {
                 tx.enqueue_outbox_rows(p.b.account, {own, of_a_run});
             });
             p.in_tx([&](sdk::StorageTx& tx) {
                 for (const auto& row : tx.list_outbox(p.b.account, p.b.bot.id, p.b.chat))
                     EXPECT_NE(row.payload_json, own.payload_json);
             });
         }},
        {STORAGE_METHOD(list_outbox),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.list_outbox(p.b.account, p.a.bot.id, p.a.chat).empty());
             });
         }},
        {STORAGE_METHOD(mark_outbox_sent),
         [](Probe& p) {
             p.in_tx(
                 [&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.mark_outbox_sent(p.b.account, p.a.message)); });
         }},
        {STORAGE_METHOD(mark_outbox_retry),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.mark_outbox_retry(p.b.account, p.a.message, 99, "by B"));
             });
         }},
        {STORAGE_METHOD(mark_outbox_failed),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.mark_outbox_failed(p.b.account, p.a.message, "by B"));
             });
         }},
        // --- UpdateLedger
        {STORAGE_METHOD(mark_update_processed),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 // Neither "seen before" nor "new" for a bot that is not B's.
                 EXPECT_FALSE(tx.mark_update_processed(p.b.account, p.a.bot.id, p.a.update_id));
                 EXPECT_FALSE(tx.mark_update_processed(p.b.account, p.a.bot.id, p.a.update_id + 1));
             });
             // A's ledger still knows its update and not the next one; rolled
             // back, so the check itself writes nothing.
             auto tx = p.storage.begin();
             EXPECT_FALSE(tx->mark_update_processed(p.a.account, p.a.bot.id, p.a.update_id));
             EXPECT_TRUE(tx->mark_update_processed(p.a.account, p.a.bot.id, p.a.update_id + 1));
         }},
        // --- PanelAccessStore
        {STORAGE_METHOD(create_api_key),
         [](Probe& p) {
             // A's key, record and all, made again under another prefix: B's key.
             auto key = p.a.api_key;
             key.prefix = "pk_made_by_b";
             p.in_tx([&](sdk::StorageTx& tx) {
                 tx.create_api_key(p.b.account, key);
                 EXPECT_EQ(tx.find_api_key_all_accounts(key.prefix)->account_id, p.b.account);
             });
             // Prefixes are the platform's: A's is taken, and stays A's.
             try {
                 p.in_tx([&](sdk::StorageTx& tx) { tx.create_api_key(p.b.account, p.a.api_key); });
                 ADD_FAILURE() << "B took A's key prefix";
             } catch (const StorageError& e) {
                 EXPECT_EQ(e.code(), StorageError::Code::conflict) << e.what();
             }
         }},
        {STORAGE_METHOD(list_api_keys),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(none_of_ids(tx.list_api_keys(p.b.account), p.a.api_key.id));
             });
         }},
        {STORAGE_METHOD(revoke_api_key),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.revoke_api_key(p.b.account, p.a.api_key.id, 5000));
             });
         }},
        {STORAGE_METHOD(touch_api_key),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_FALSE(tx.touch_api_key(p.b.account, p.a.api_key.id, 5000));
             });
         }},
        // --- AnalyticsStore
        {STORAGE_METHOD(run_status_counts),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::AnalyticsFilter of_a;
                 of_a.version_ids = {p.a.version.id};
                 EXPECT_TRUE(tx.run_status_counts(p.b.account, of_a).empty());
                 of_a.version_ids.clear();
                 of_a.deployment_id = p.a.deployment.id;
                 EXPECT_TRUE(tx.run_status_counts(p.b.account, of_a).empty());
                 std::int64_t runs = 0;
                 for (const auto& c : tx.run_status_counts(p.b.account, {})) runs += c.runs;
                 EXPECT_EQ(runs, 1) << "B counts only its own run";
             });
         }},
        {STORAGE_METHOD(element_progress),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.element_progress(p.b.account, p.a.version.id).empty());
                 EXPECT_EQ(tx.element_progress(p.a.account, p.a.version.id).size(), 1u) << "A's own is there";
             });
         }},
        {STORAGE_METHOD(run_cohorts),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::AnalyticsFilter of_a;
                 of_a.version_ids = {p.a.version.id};
                 EXPECT_TRUE(tx.run_cohorts(p.b.account, of_a).empty());
             });
         }},
        {STORAGE_METHOD(run_sources),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 for (const auto& s : tx.run_sources(p.b.account, {}))
                     EXPECT_NE(s.token_id, std::optional<Id>(p.a.token.id));
             });
         }},
        {STORAGE_METHOD(conversation_page),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 for (const auto& e : tx.conversation_page(p.b.account, {}, 0, 1000))
                     EXPECT_NE(e.id, p.a.entry);
                 sdk::AnalyticsFilter of_a;
                 of_a.deployment_id = p.a.deployment.id;
                 EXPECT_TRUE(tx.conversation_page(p.b.account, of_a, 0, 1000).empty());
             });
         }},
        // --- RunTimerStore
        {STORAGE_METHOD(pending_run_timers),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.pending_run_timers(p.b.account, p.a.run.id).empty());
                 EXPECT_EQ(tx.pending_run_timers(p.a.account, p.a.run.id).size(), 1u) << "A's own is there";
             });
         }},
        // --- BotHealthStore
        {STORAGE_METHOD(record_bot_health),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::BotHealth h;
                 h.bot_id = p.a.bot.id;
                 h.state = "failing";
                 h.last_error = "B wrote this";
                 EXPECT_FALSE(tx.record_bot_health(p.b.account, h));
                 for (const auto& seen : tx.list_bot_health(p.a.account))
                     EXPECT_NE(seen.last_error, h.last_error);
             });
         }},
        {STORAGE_METHOD(list_bot_health),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::BotHealth h;
                 h.bot_id = p.a.bot.id;
                 h.state = "polling";
                 EXPECT_TRUE(tx.record_bot_health(p.a.account, h));
                 for (const auto& seen : tx.list_bot_health(p.b.account)) EXPECT_NE(seen.bot_id, p.a.bot.id);
             });
         }},
        // --- LegacyIdStore
        {STORAGE_METHOD(record_legacy_id),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.record_legacy_id(p.a.account, "run", "7", p.a.run.id));
                 // The same key is B's own to record: one account's imports do not block another's.
                 EXPECT_TRUE(tx.record_legacy_id(p.b.account, "run", "7", p.b.run.id));
                 EXPECT_EQ(tx.find_legacy_id(p.a.account, "run", "7"), std::optional<Id>(p.a.run.id));
             });
         }},
        {STORAGE_METHOD(find_legacy_id),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_TRUE(tx.record_legacy_id(p.a.account, "course", "bot/c1", p.a.course.id));
                 EXPECT_FALSE(tx.find_legacy_id(p.b.account, "course", "bot/c1"));
             });
         }},
        // --- ChatAuthoringStore
        {STORAGE_METHOD(set_chat_authoring),
         [](Probe& p) {
             sdk::ChatAuthoring waiting;
             waiting.bot_id = p.a.bot.id;
             waiting.chat_id = 555;
             waiting.user_id = 555;
             waiting.mode = "create";
             waiting.expires_at = 1000;
             p.in_tx([&](sdk::StorageTx& tx) { tx.set_chat_authoring(p.a.account, waiting); });
             waiting.mode = "edit";
             waiting.course_id = p.b.course.id;
             try {
                 p.in_tx([&](sdk::StorageTx& tx) { tx.set_chat_authoring(p.b.account, waiting); });
                 ADD_FAILURE() << "B set what A's bot's chat waits for";
             } catch (const StorageError& e) {
                 EXPECT_EQ(e.code(), StorageError::Code::invalid) << e.what();
             }
             p.in_tx([&](sdk::StorageTx& tx) {
                 EXPECT_EQ(tx.find_chat_authoring(p.a.account, p.a.bot.id, 555)->mode, "create");
                 EXPECT_TRUE(tx.clear_chat_authoring(p.a.account, p.a.bot.id, 555));
             });
         }},
        {STORAGE_METHOD(find_chat_authoring),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::ChatAuthoring waiting;
                 waiting.bot_id = p.a.bot.id;
                 waiting.chat_id = 556;
                 waiting.user_id = 556;
                 waiting.mode = "create";
                 tx.set_chat_authoring(p.a.account, waiting);
                 EXPECT_FALSE(tx.find_chat_authoring(p.b.account, p.a.bot.id, 556));
             });
         }},
        {STORAGE_METHOD(clear_chat_authoring),
         [](Probe& p) {
             p.in_tx([&](sdk::StorageTx& tx) {
                 sdk::ChatAuthoring waiting;
                 waiting.bot_id = p.a.bot.id;
                 waiting.chat_id = 557;
                 waiting.user_id = 557;
                 waiting.mode = "create";
                 tx.set_chat_authoring(p.a.account, waiting);
                 EXPECT_FALSE(tx.clear_chat_authoring(p.b.account, p.a.bot.id, 557));
                 EXPECT_TRUE(tx.find_chat_authoring(p.a.account, p.a.bot.id, 557));
             });
         }},
        {STORAGE_METHOD(create_login_link),
         [](Probe& p) {
             // A's link, record and all, under another token: it signs in to B.
             auto link = p.a.login_link;
             link.token_hash = digest(15);
             p.in_tx([&](sdk::StorageTx& tx) {
                 tx.create_login_link(p.b.account, link);
                 EXPECT_EQ(tx.consume_login_link_all_accounts(link.token_hash, kLinkUse)->account_id,
                           p.b.account);
             });
             try {
                 p.in_tx([&](sdk::StorageTx& tx) { tx.create_login_link(p.b.account, p.a.login_link); });
                 ADD_FAILURE() << "B made a link with A's token";
             } catch (const StorageError& e) {
                 EXPECT_EQ(e.code(), StorageError::Code::conflict) << e.what();
             }
         }},
    };
    return cases;
}

template <class Backend>
class TenantIsolation : public storage_test::MigratedStorageTest<Backend> {
protected:
    using Base = storage_test::MigratedStorageTest<Backend>;
    using Base::storage_;

    void SetUp() override {
        Base::SetUp();
        if (Base::stopped()) return;
        auto tx = storage_->begin();
        a_ = seed(*tx, "alpha", 1);
        b_ = seed(*tx, "beta", 2);
        tx->commit();
    }

    std::string snapshot_of(const TenantData& t) {
        auto tx = storage_->begin();
        return snapshot(*tx, t);
    }

    TenantData a_;
    TenantData b_;
};

TYPED_TEST_SUITE(TenantIsolation, Backends, BackendNames);

TYPED_TEST(TenantIsolation, EveryMethodCalledAsAnotherAccountChangesNothingOfItsRecords) {
    const std::string before = this->snapshot_of(this->a_);
    // The snapshot sees every kind of record A holds.
    for (const char* kind :
         {"member ", "key sealed", "bot ", "course ", "version ", "element ", "deployment ", "token ",
          "participant ", "ban ", "run ", "entry ", "outbox ", "timer ", "api key "})
        EXPECT_NE(before.find(kind), std::string::npos) << kind << " missing from\n" << before;
    EXPECT_EQ(before.find("poll -"), std::string::npos) << "A's poll missing from\n" << before;
    EXPECT_NE(before.find("login link " + std::to_string(this->a_.login_link.id) + " " +
                          std::to_string(this->a_.account)),
              std::string::npos)
        << "A's login link missing from\n"
        << before;
    Probe probe{*this->storage_, this->a_, this->b_};
    for (const auto& c : isolation_cases()) {
        SCOPED_TRACE(std::string(c.method));
        c.run(probe);
        EXPECT_EQ(this->snapshot_of(this->a_), before) << "A's records changed";
    }
}

// Each `virtual ... name(... Id account_id ...)` declaration of storage.hpp.
std::set<std::string> methods_taking_an_account_id() {
    std::ifstream header(PROFO_SDK_STORAGE_HEADER);
    std::stringstream text;
    text << header.rdbuf();
    const std::string source = text.str();
    std::set<std::string> names;
    static const std::regex declaration(R"(virtual[^;{}]*?\b(\w+)\s*\(([^)]*)\))");
    for (std::sregex_iterator it(source.begin(), source.end(), declaration), end; it != end; ++it)
        if ((*it)[2].str().find("account_id") != std::string::npos) names.insert((*it)[1].str());
    return names;
}

TEST(TenantIsolationCases, CoverEveryMethodThatTakesAnAccountId) {
    const auto declared = methods_taking_an_account_id();
    ASSERT_GT(declared.size(), 40u) << "storage.hpp was not read from " << PROFO_SDK_STORAGE_HEADER;
    std::set<std::string> covered;
    for (const auto& c : isolation_cases())
        EXPECT_TRUE(covered.insert(std::string(c.method)).second) << c.method << " has two cases";
    for (const auto& name : declared)
        EXPECT_TRUE(covered.count(name))
            << "sdk::StorageTx::" << name << " takes an account id but has no isolation case";
    for (const auto& name : covered)
        EXPECT_TRUE(declared.count(name)) << name << " has a case but takes no account id in storage.hpp";
}

}  // namespace
}  // namespace profo::storage_test
