// The storage conformance suite: every storage plugin, loaded through the host's
// loader, must pass the same tests unchanged.
//
// PostgreSQL runs when PROFO_TEST_PG_DSN names a server (see
// scripts/pg-test-server.sh); without it those tests skip, or fail when
// PROFO_REQUIRE_PG=1 (CI), so a missing server cannot pass silently.
#include "backend_types.hpp"
#include "sync_counting_vfs.hpp"

#include "runtime/retention.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <dlfcn.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <thread>

namespace profo::storage_test {
namespace {

using sdk::Id;
using sdk::StorageError;
using Code = StorageError::Code;

const char* code_name(Code code) {
    switch (code) {
        case Code::conflict: return "conflict";
        case Code::invalid: return "invalid";
        case Code::unavailable: return "unavailable";
        case Code::schema_too_new: return "schema_too_new";
        case Code::internal: return "internal";
    }
    return "?";
}

// Runs `call`, which must throw StorageError with `code` (and a message
// containing `mentions`, when given).
template <class Call>
void expect_storage_error(Code code, Call&& call, const std::string& mentions = "") {
    try {
        call();
        ADD_FAILURE() << "expected StorageError(" << code_name(code) << "), got no exception";
    } catch (const StorageError& e) {
        EXPECT_EQ(code_name(e.code()), std::string(code_name(code))) << e.what();
        if (!mentions.empty()) {
            EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos)
                << "message '" << e.what() << "' should mention '" << mentions << "'";
        }
    }
}

// A small tenant: an account with a bot, a course with one published version
// and a deployment of it.
struct Tenant {
    Id account = 0;
    sdk::Bot bot;
    sdk::Course course;
    sdk::CourseVersion version;
    sdk::CourseDeployment deployment;
};

std::vector<sdk::CourseElement> sample_elements() {
    std::vector<sdk::CourseElement> elements(3);
    elements[0].element_id = "Intro";
    elements[0].type = "message";
    elements[0].body_json = R"({"type":"message","text":"Hi"})";
    elements[1].element_id = "Quiz_1";
    elements[1].type = "quiz";
    elements[1].body_json = R"({"type":"quiz","answers":[]})";
    elements[2].element_id = "End";
    elements[2].type = "end";
    return elements;
}

sdk::Bot make_bot(const std::string& username) {
    sdk::Bot bot;
    bot.username = username;
    bot.token_sealed = "sealed:" + username;
    bot.settings_json = R"({"lang":"en"})";
    return bot;
}

Tenant seed_tenant(sdk::StorageTx& tx, Id account, const std::string& name) {
    Tenant t;
    t.account = account;
    t.bot = tx.create_bot(account, make_bot(name + "_bot"));
    t.course = tx.create_course(account, name + " course");
    t.version = tx.create_version(account, t.course.id, "course.yaml", sample_elements());
    sdk::CourseDeployment d;
    d.course_id = t.course.id;
    d.version_id = t.version.id;
    d.bot_id = t.bot.id;
    d.environment = "prod";
    d.legacy_alias = name + "-alias";
    t.deployment = tx.create_deployment(account, d);
    return t;
}

sdk::Run make_run(const Tenant& t, std::int64_t chat_id) {
    sdk::Run run;
    run.bot_id = t.bot.id;
    run.deployment_id = t.deployment.id;
    run.chat_id = chat_id;
    run.user_id = chat_id;
    run.username = "student" + std::to_string(chat_id);
    run.cursor = "Intro";
    run.state_json = R"({"activation":1})";
    run.utm_json = R"({"source":"ad"})";
    return run;
}

sdk::ConversationEntry entry(Id run_id, const std::string& element_id, const std::string& role) {
    sdk::ConversationEntry e;
    e.run_id = run_id;
    e.element_id = element_id;
    e.role = role;
    return e;
}

sdk::OutboxMessage make_message(const Tenant& t, std::int64_t chat_id, std::optional<Id> run_id) {
    sdk::OutboxMessage m;
    m.bot_id = t.bot.id;
    m.chat_id = chat_id;
    m.run_id = run_id;
    m.payload_json = R"({"kind":"text","text":"hello"})";
    return m;
}

// A SHA-256 digest as the panel hands them over: 64 lowercase hex digits.
std::string digest(unsigned n) {
    char text[65];
    std::snprintf(text, sizeof text, "%064x", n);
    return text;
}

sdk::ApiKey make_api_key(const std::string& prefix, unsigned secret) {
    sdk::ApiKey key;
    key.label = "key " + prefix;
    key.prefix = prefix;
    key.secret_hash = digest(secret);
    key.role = "admin";
    key.created_by_user_id = 42;
    return key;
}

// Made a second before it expires, unless the test says otherwise.
sdk::LoginLink make_link(unsigned token, sdk::Millis expires_at) {
    sdk::LoginLink link;
    link.token_hash = digest(token);
    link.created_at = expires_at - 1000;
    link.expires_at = expires_at;
    return link;
}

sdk::PanelSession make_session(unsigned token, sdk::Millis expires_at) {
    sdk::PanelSession session;
    session.token_hash = digest(token);
    session.telegram_user_id = 42;
    session.username = "creator";
    session.first_name = "Ada";
    session.created_at = expires_at - 1000;
    session.expires_at = expires_at;
    return session;
}

template <class Backend>
class StorageConformance : public ::testing::Test {
protected:
    void SetUp() override {
        if (auto reason = Backend::unavailable()) {
            const char* required = std::getenv("PROFO_REQUIRE_PG");
            if (required != nullptr && std::string(required) == "1")
                FAIL() << *reason << " -- and PROFO_REQUIRE_PG=1 demands that the " << Backend::kPluginId
                       << " backend is tested";
            GTEST_SKIP() << *reason;
        }
        database_ = std::make_unique<typename Backend::Database>();
        storage_ = open(*database_);
        storage_->migrate();
    }

    // Opens another Storage (a separate pool, as a second process would have).
    std::shared_ptr<sdk::Storage> open(const typename Backend::Database& database) {
        auto plugin = load_module(Backend::module());
        return plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(database.options()));
    }

    // Runs `work` in a transaction of its own and commits it.
    template <class Work>
    auto in_tx(Work&& work) {
        return in_tx(*storage_, std::forward<Work>(work));
    }
    template <class Work>
    static auto in_tx(sdk::Storage& storage, Work&& work) {
        auto tx = storage.begin();
        if constexpr (std::is_void_v<decltype(work(*tx))>) {
            work(*tx);
            tx->commit();
        } else {
            auto result = work(*tx);
            tx->commit();
            return result;
        }
    }

    Tenant seed(Id account, const std::string& name) {
        return in_tx([&](sdk::StorageTx& tx) { return seed_tenant(tx, account, name); });
    }

    std::unique_ptr<typename Backend::Database> database_;
    std::shared_ptr<sdk::Storage> storage_;
};

TYPED_TEST_SUITE(StorageConformance, Backends, BackendNames);

// --- Loading and migrations -----------------------------------------------------

TYPED_TEST(StorageConformance, LoadsThroughTheHostLoader) {
    auto plugin = load_module(TypeParam::module());
    EXPECT_EQ(plugin->metadata().kind, sdk::PluginKind::storage);
    EXPECT_EQ(plugin->metadata().id, TypeParam::kPluginId);
    EXPECT_EQ(this->storage_->backend(), TypeParam::kPluginId);
    EXPECT_GE(this->storage_->latest_schema_version(), 3);
}

TYPED_TEST(StorageConformance, MigratesAnEmptyDatabase) {
    typename TypeParam::Database fresh;
    auto storage = this->open(fresh);
    const int latest = storage->latest_schema_version();
    EXPECT_EQ(storage->schema_version(), 0);

    auto report = storage->migrate();
    EXPECT_EQ(report.from_version, 0);
    EXPECT_EQ(report.to_version, latest);
    std::vector<int> all(latest);
    for (int v = 1; v <= latest; ++v) all[v - 1] = v;
    EXPECT_EQ(report.applied, all);
    EXPECT_EQ(storage->schema_version(), latest);

    auto accounts = this->in_tx(*storage, [](sdk::StorageTx& tx) { return tx.list_accounts(); });
    ASSERT_EQ(accounts.size(), 1u);
    EXPECT_EQ(accounts[0].id, sdk::kDefaultAccountId);
    EXPECT_EQ(accounts[0].name, "Default");
    EXPECT_GT(accounts[0].created_at, 0);
}

TYPED_TEST(StorageConformance, MigrateIsANoOpWhenUpToDate) {
    const int latest = this->storage_->latest_schema_version();
    auto report = this->storage_->migrate();
    EXPECT_EQ(report.from_version, latest);
    EXPECT_EQ(report.to_version, latest);
    EXPECT_TRUE(report.applied.empty());
    // An older target never goes back.
    report = this->storage_->migrate(1);
    EXPECT_TRUE(report.applied.empty());
    EXPECT_EQ(this->storage_->schema_version(), latest);
}

TYPED_TEST(StorageConformance, RefusesATargetBeyondTheLatestVersion) {
    const int latest = this->storage_->latest_schema_version();
    expect_storage_error(Code::invalid, [&] { this->storage_->migrate(latest + 1); });
}

constexpr int kBotsEnabledVersion = 5;
constexpr int kSettledTimersVersion = 7;
// Version 6 added the enrollment columns today's token queries name.
constexpr int kEnrollmentRulesVersion = 6;
// Version 8 added the archive column today's deployment queries name, and
// made course versions immutable.
constexpr int kArchivedDeploymentsVersion = 8;

TYPED_TEST(StorageConformance, MigratesFromEachEarlierVersionKeepingData) {
    const int latest = this->storage_->latest_schema_version();
    for (int from = 1; from < latest; ++from) {
        SCOPED_TRACE("from version " + std::to_string(from));
        typename TypeParam::Database fresh;
        auto storage = this->open(fresh);
        auto partial = storage->migrate(from);
        EXPECT_EQ(partial.to_version, from);
        EXPECT_EQ(storage->schema_version(), from);
        if (from < kBotsEnabledVersion) {
            // Today's bot queries name the `enabled` column (version 5), so they
            // cannot seed an older schema; the empty schema must still migrate.
            auto report = storage->migrate();
            EXPECT_EQ(report.from_version, from);
            EXPECT_EQ(report.to_version, latest);
            continue;
        }

        // Data the schema at `from` can already hold.
        Id account = 0;
        std::optional<Tenant> tenant;
        this->in_tx(*storage, [&](sdk::StorageTx& tx) {
            account = tx.create_account("Early").id;
            sdk::AccountMember owner;
            owner.telegram_user_id = 42;
            owner.username = "owner";
            owner.role = "owner";
            tx.add_member(account, owner);
            if (from >= kArchivedDeploymentsVersion) {
                tenant = seed_tenant(tx, account, "early" + std::to_string(from));
                sdk::EnrollmentToken token;
                token.deployment_id = tenant->deployment.id;
                token.type = "public";
                token.code = "EARLY";
                tx.create_token(account, token);
            } else if (from >= 2) {
                // The deployment and its token as that schema held them, in its own SQL.
                Tenant t;
                t.account = account;
                t.bot = tx.create_bot(account, make_bot("early" + std::to_string(from) + "_bot"));
                t.course = tx.create_course(account, "early course");
                t.version = tx.create_version(account, t.course.id, "course.yaml", sample_elements());
                t.deployment.account_id = account;
                t.deployment.course_id = t.course.id;
                t.deployment.version_id = t.version.id;
                t.deployment.bot_id = t.bot.id;
                tenant = t;
            } else {
                tx.create_bot(account, make_bot("early_bot"));
            }
        });

        if (tenant && from < kArchivedDeploymentsVersion) {
            const auto a = std::to_string(account);
            fresh.execute(
                "INSERT INTO course_deployments (account_id, course_id, version_id, bot_id, environment, "
                "legacy_alias, created_at) VALUES (" +
                a + ", " + std::to_string(tenant->course.id) + ", " + std::to_string(tenant->version.id) +
                ", " + std::to_string(tenant->bot.id) + ", 'prod', 'early', 1)");
            fresh.execute(
                "INSERT INTO enrollment_tokens (account_id, deployment_id, type, code, max_uses, "
                "created_at) SELECT account_id, id, 'group', 'EARLY', 30, 1 FROM course_deployments "
                "WHERE account_id = " +
                a);
            // Before version 8 nothing stopped a version from changing.
            fresh.execute("UPDATE course_versions SET source_name = 'renamed.yaml' WHERE account_id = " + a);
        }

        auto report = storage->migrate();
        EXPECT_EQ(report.from_version, from);
        EXPECT_EQ(report.to_version, latest);
        ASSERT_FALSE(report.applied.empty());
        EXPECT_EQ(report.applied.front(), from + 1);
        EXPECT_EQ(report.applied.back(), latest);

        this->in_tx(*storage, [&](sdk::StorageTx& tx) {
            ASSERT_TRUE(tx.get_account(account));
            ASSERT_EQ(tx.list_members(account).size(), 1u);
            EXPECT_EQ(tx.list_members(account)[0].telegram_user_id, 42);
            auto bots = tx.list_bots(account);
            ASSERT_EQ(bots.size(), 1u);
            // The panel's tables (version 9) work with the migrated account.
            const std::string prefix = "pk_early" + std::to_string(from);
            const Id key = tx.create_api_key(account, make_api_key(prefix, 1));
            EXPECT_EQ(tx.find_api_key_all_accounts(prefix)->account_id, account);
            EXPECT_TRUE(tx.touch_api_key(account, key, 5));
            tx.create_login_link(account, make_link(1, 2'000'000));
            EXPECT_EQ(tx.consume_login_link_all_accounts(digest(1), 1'999'000)->account_id, account);
            auto session = make_session(1, 2'000'000);
            session.pinned_account_id = account;
            tx.create_panel_session_all_accounts(session);
            EXPECT_TRUE(tx.find_panel_session_all_accounts(digest(1)));
            if (tenant) {
                EXPECT_EQ(tx.version_elements(account, tenant->version.id).size(), 3u);
                if (from < kArchivedDeploymentsVersion) {
                    // What versions 6 and 8 added has its defaults on the older rows.
                    ASSERT_EQ(tx.list_deployments(account).size(), 1u);
                    tenant->deployment = tx.list_deployments(account)[0];
                    EXPECT_EQ(tenant->deployment.legacy_alias, "early");
                    EXPECT_FALSE(tenant->deployment.restricted);
                    EXPECT_FALSE(tenant->deployment.allow_restart);
                    EXPECT_FALSE(tenant->deployment.collect_email);
                    EXPECT_FALSE(tenant->deployment.archived_at);
                    EXPECT_TRUE(tenant->deployment.active);
                    EXPECT_EQ(tx.get_version(account, tenant->version.id)->source_name, "renamed.yaml");
                    const auto token = tx.find_token(account, tenant->deployment.id, "EARLY");
                    ASSERT_TRUE(token);
                    EXPECT_TRUE(token->active);
                    EXPECT_EQ(token->label, "");
                    EXPECT_EQ(token->max_uses, 30);
                    EXPECT_FALSE(token->starts_at);
                    EXPECT_FALSE(token->user_id);
                    EXPECT_TRUE(tx.consume_token(account, token->id));
                    EXPECT_FALSE(tx.enrollment_key(account));
                    // The migrated rows can be archived like new ones.
                    auto archived = tenant->deployment;
                    archived.active = false;
                    archived.archived_at = 42;
                    EXPECT_TRUE(tx.update_deployment(account, archived));
                    EXPECT_EQ(tx.get_deployment(account, archived.id)->archived_at,
                              std::optional<sdk::Millis>(42));
                }
                ASSERT_TRUE(tx.find_token(account, tenant->deployment.id, "EARLY"));
                // The newer tables work with the older rows.
                auto run = tx.start_run(account, make_run(*tenant, 7));
                EXPECT_TRUE(tx.active_run(account, tenant->bot.id, 7));
                tx.append_conversation(account, entry(run.id, "Intro", "bot"));
            }
        });
        // From now on the migrated versions never change.
        if (tenant) {
            EXPECT_THROW(fresh.execute("UPDATE course_elements SET body_json = '{}' WHERE version_id = " +
                                       std::to_string(tenant->version.id)),
                         std::runtime_error);
        }
    }
}

TYPED_TEST(StorageConformance, TwoProcessesMigratingAtOnceApplyEachVersionOnce) {
    typename TypeParam::Database fresh;
    auto first = this->open(fresh);
    auto second = this->open(fresh);
    const int latest = first->latest_schema_version();

    std::barrier start(2);
    sdk::MigrationReport reports[2];
    std::string errors[2];
    auto migrate = [&](int i, sdk::Storage& storage) {
        start.arrive_and_wait();
        try {
            reports[i] = storage.migrate();
        } catch (const std::exception& e) {
            errors[i] = e.what();
        }
    };
    std::thread a(migrate, 0, std::ref(*first));
    std::thread b(migrate, 1, std::ref(*second));
    a.join();
    b.join();
    EXPECT_EQ(errors[0], "");
    EXPECT_EQ(errors[1], "");

    std::vector<int> applied = reports[0].applied;
    applied.insert(applied.end(), reports[1].applied.begin(), reports[1].applied.end());
    std::sort(applied.begin(), applied.end());
    std::vector<int> all(latest);
    for (int v = 1; v <= latest; ++v) all[v - 1] = v;
    EXPECT_EQ(applied, all);
    EXPECT_EQ(reports[0].to_version, latest);
    EXPECT_EQ(reports[1].to_version, latest);
    EXPECT_EQ(first->schema_version(), latest);
    EXPECT_EQ(this->in_tx(*second, [](sdk::StorageTx& tx) { return tx.list_accounts().size(); }), 1u);
}

TYPED_TEST(StorageConformance, RefusesADatabaseWithANewerSchema) {
    const int latest = this->storage_->latest_schema_version();
    const int future = latest + 1;
    this->database_->execute("INSERT INTO schema_migrations (version, applied_at) VALUES (" +
                             std::to_string(future) + ", 0)");
    expect_storage_error(
        Code::schema_too_new, [&] { this->storage_->migrate(); },
        "database schema version " + std::to_string(future) + " is newer than this build (" +
            std::to_string(latest) + "); upgrade profo");
    EXPECT_EQ(this->storage_->schema_version(), future);
}

// --- Transactions -------------------------------------------------------------------

TYPED_TEST(StorageConformance, UncommittedTransactionsRollBack) {
    {
        auto tx = this->storage_->begin();
        tx->create_account("Vanishing");
    }
    auto accounts = this->in_tx([](sdk::StorageTx& tx) { return tx.list_accounts(); });
    EXPECT_EQ(accounts.size(), 1u);
}

TYPED_TEST(StorageConformance, AFailedCallLeavesTheTransactionOnlyForRollback) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "fail");
    auto tx = this->storage_->begin();
    tx->create_account("Lost");
    expect_storage_error(Code::conflict, [&] { tx->create_course(t.account, t.course.name); });
    expect_storage_error(
        Code::invalid, [&] { tx->list_accounts(); }, "roll it back");
    expect_storage_error(Code::invalid, [&] { tx->commit(); });
    tx.reset();
    EXPECT_EQ(this->in_tx([](sdk::StorageTx& tx) { return tx.list_accounts(); }).size(), 1u);
}

TYPED_TEST(StorageConformance, ACommittedTransactionIsFinished) {
    auto tx = this->storage_->begin();
    tx->create_account("Kept");
    tx->commit();
    expect_storage_error(
        Code::invalid, [&] { tx->list_accounts(); }, "already committed");
    tx.reset();
    EXPECT_EQ(this->in_tx([](sdk::StorageTx& tx) { return tx.list_accounts(); }).size(), 2u);
}

// --- Entities ---------------------------------------------------------------------------

TYPED_TEST(StorageConformance, AccountsAndMembers) {
    this->in_tx([](sdk::StorageTx& tx) {
        auto acme = tx.create_account("Acme");
        EXPECT_GT(acme.id, sdk::kDefaultAccountId);
        EXPECT_EQ(acme.name, "Acme");
        EXPECT_GT(acme.created_at, 0);
        auto fetched = tx.get_account(acme.id);
        ASSERT_TRUE(fetched);
        EXPECT_EQ(fetched->name, "Acme");
        EXPECT_EQ(fetched->created_at, acme.created_at);
        EXPECT_FALSE(tx.get_account(acme.id + 1000));
        EXPECT_EQ(tx.list_accounts().size(), 2u);

        sdk::AccountMember owner;
        owner.telegram_user_id = 1001;
        owner.username = "alice";
        owner.role = "owner";
        auto alice = tx.add_member(acme.id, owner);
        EXPECT_GT(alice.id, 0);
        EXPECT_EQ(alice.account_id, acme.id);
        EXPECT_EQ(alice.role, "owner");
        EXPECT_EQ(alice.username, "alice");

        sdk::AccountMember admin;
        admin.telegram_user_id = 1001;
        admin.username = "alice";
        tx.add_member(sdk::kDefaultAccountId, admin);  // one user, two accounts
        admin.telegram_user_id = 1002;
        admin.username = "bob";
        auto bob = tx.add_member(acme.id, admin);

        auto members = tx.list_members(acme.id);
        ASSERT_EQ(members.size(), 2u);
        EXPECT_EQ(members[0].telegram_user_id, 1001);
        EXPECT_EQ(members[1].telegram_user_id, 1002);
        auto memberships = tx.memberships_of(1001);
        ASSERT_EQ(memberships.size(), 2u);
        EXPECT_EQ(memberships[0].account_id, sdk::kDefaultAccountId);
        EXPECT_EQ(memberships[1].account_id, acme.id);

        EXPECT_TRUE(tx.remove_member(acme.id, bob.id));
        EXPECT_FALSE(tx.remove_member(acme.id, bob.id));
        EXPECT_EQ(tx.list_members(acme.id).size(), 1u);
        EXPECT_TRUE(tx.memberships_of(1002).empty());
    });
    expect_storage_error(Code::invalid,
                         [&] { this->in_tx([](sdk::StorageTx& tx) { tx.create_account(""); }); });
    expect_storage_error(
        Code::conflict,
        [&] {
            this->in_tx([](sdk::StorageTx& tx) {
                sdk::AccountMember again;
                again.telegram_user_id = 1001;
                tx.add_member(sdk::kDefaultAccountId, again);
            });
        },
        "already a member");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([](sdk::StorageTx& tx) {
            sdk::AccountMember guest;
            guest.telegram_user_id = 5;
            guest.role = "guest";
            tx.add_member(sdk::kDefaultAccountId, guest);
        });
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([](sdk::StorageTx& tx) {
                sdk::AccountMember member;
                member.telegram_user_id = 6;
                tx.add_member(9999, member);
            });
        },
        "account 9999");
}

TYPED_TEST(StorageConformance, AccountNamesAreUniqueWithoutRegardToCase) {
    const Id acme = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Acme").id; });
    const Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([](sdk::StorageTx& tx) { tx.create_account("ACME"); }); },
        "another account is already called 'ACME'");
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.rename_account(other, "acme"); }); },
        "already called");
    expect_storage_error(Code::invalid,
                         [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.rename_account(acme, ""); }); });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.rename_account(acme, "ACME")) << "its own name in other letters";
        EXPECT_TRUE(tx.rename_account(other, "Acme Two"));
        EXPECT_FALSE(tx.rename_account(other + 1000, "Nobody"));
        // Only ASCII letters fold, the same on every backend.
        EXPECT_GT(tx.create_account("\u00c9cole").id, 0);
        EXPECT_GT(tx.create_account("\u00e9cole").id, 0);
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.get_account(acme)->name, "ACME");
        EXPECT_EQ(tx.get_account(other)->name, "Acme Two");
        EXPECT_FALSE(tx.list_accounts().empty());
    });
}

TYPED_TEST(StorageConformance, MembersChangeRoleButTheLastOwnerStays) {
    const Id a = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Owned").id; });
    auto [alice, bob] = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::AccountMember owner;
        owner.telegram_user_id = 1001;
        owner.username = "alice";
        owner.role = "owner";
        sdk::AccountMember admin;
        admin.telegram_user_id = 1002;
        admin.username = "bob";
        const auto first = tx.add_member(a, owner);  // before bob: arguments have no order
        return std::pair(first, tx.add_member(a, admin));
    });
    this->in_tx([&, alice = alice, bob = bob](sdk::StorageTx& tx) {
        auto promoted = bob;
        promoted.role = "owner";
        promoted.username = "bob_new";
        EXPECT_TRUE(tx.update_member(a, promoted));
        auto demoted = alice;
        demoted.role = "admin";
        EXPECT_TRUE(tx.update_member(a, demoted)) << "bob is an owner now";
        auto missing = bob;
        missing.id = bob.id + 1000;
        EXPECT_FALSE(tx.update_member(a, missing));
        const auto members = tx.list_members(a);
        ASSERT_EQ(members.size(), 2u);
        EXPECT_EQ(members[0].role, "admin");
        EXPECT_EQ(members[1].role, "owner");
        EXPECT_EQ(members[1].username, "bob_new");
    });
    expect_storage_error(
        Code::conflict,
        [&, bob = bob] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto demoted = bob;
                demoted.role = "admin";
                tx.update_member(a, demoted);
            });
        },
        "telegram user 1002 is the last owner of account " + std::to_string(a));
    expect_storage_error(
        Code::conflict,
        [&, bob = bob] { this->in_tx([&](sdk::StorageTx& tx) { tx.remove_member(a, bob.id); }); },
        "last owner");
    expect_storage_error(
        Code::invalid,
        [&, bob = bob] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto guest = bob;
                guest.role = "guest";
                tx.update_member(a, guest);
            });
        },
        "role must be owner or admin");
    this->in_tx([&, alice = alice, bob = bob](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.remove_member(a, alice.id)) << "an admin goes freely";
        auto kept = tx.list_members(a);
        ASSERT_EQ(kept.size(), 1u);
        EXPECT_EQ(kept[0].id, bob.id);
        EXPECT_EQ(kept[0].role, "owner");
        // An account without owners (the default one) has no owner to keep.
        sdk::AccountMember admin;
        admin.telegram_user_id = 7;
        const auto only = tx.add_member(sdk::kDefaultAccountId, admin);
        EXPECT_TRUE(tx.remove_member(sdk::kDefaultAccountId, only.id));
    });
}

TYPED_TEST(StorageConformance, TwoOwnersRemovedAtOnceLeaveOne) {
    const Id a = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Two owners").id; });
    auto [first, second] = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::AccountMember owner;
        owner.role = "owner";
        owner.telegram_user_id = 1;
        const auto one = tx.add_member(a, owner);
        owner.telegram_user_id = 2;
        return std::pair(one, tx.add_member(a, owner));
    });
    // The first removal is made and held uncommitted while the second one
    // starts; the second must wait for it and then count one owner.
    auto holding = this->storage_->begin();
    ASSERT_TRUE(holding->remove_member(a, first.id));
    std::atomic<bool> second_done{false};
    std::optional<Code> second_error;
    std::thread other([&, second = second] {
        try {
            auto tx = this->storage_->begin();
            tx->remove_member(a, second.id);
            tx->commit();
        } catch (const StorageError& e) {
            second_error = e.code();
        }
        second_done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    EXPECT_FALSE(second_done) << "the second removal did not wait for the first";
    holding->commit();
    other.join();
    ASSERT_TRUE(second_error);
    EXPECT_EQ(code_name(*second_error), std::string("conflict"));
    const auto members = this->in_tx([&](sdk::StorageTx& tx) { return tx.list_members(a); });
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].telegram_user_id, 2);
    EXPECT_EQ(members[0].role, "owner");
}

TYPED_TEST(StorageConformance, AStatementThatFailedStoresItsNextNullsAsNull) {
    // One connection, so the statement that failed is the one used next.
    auto options = this->database_->options();
    options.pool_size = 1;
    auto plugin = load_module(TypeParam::module());
    auto storage = plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(options));
    const Tenant t = this->in_tx(
        *storage, [](sdk::StorageTx& tx) { return seed_tenant(tx, sdk::kDefaultAccountId, "nulls"); });
    const Id a = sdk::kDefaultAccountId;
    expect_storage_error(Code::invalid, [&] {
        this->in_tx(*storage, [&](sdk::StorageTx& tx) {
            sdk::Ban ban;
            ban.bot_id = t.bot.id + 1000;
            ban.user_id = 1;
            tx.ban(a, ban);
        });
    });
    const auto everywhere = this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        sdk::Ban ban;
        ban.user_id = 2;
        return tx.ban(a, ban);
    });
    EXPECT_FALSE(everywhere.bot_id) << "the refused ban's bot " << *everywhere.bot_id;

    sdk::EnrollmentToken token;
    token.deployment_id = t.deployment.id;
    token.type = "group";
    token.code = "TAKEN";
    token.max_uses = 5;
    this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_token(a, token); });
    expect_storage_error(Code::conflict, [&] {
        this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_token(a, token); });
    });
    token.code = "FREE";
    token.max_uses.reset();
    const auto unlimited =
        this->in_tx(*storage, [&](sdk::StorageTx& tx) { return tx.create_token(a, token); });
    EXPECT_FALSE(unlimited.max_uses) << "the refused token's limit " << *unlimited.max_uses;
}

TYPED_TEST(StorageConformance, Bots) {
    const Id a = sdk::kDefaultAccountId;
    auto bot = this->in_tx([&](sdk::StorageTx& tx) {
        auto bot = tx.create_bot(a, make_bot("ProfoBot"));
        EXPECT_GT(bot.id, 0);
        EXPECT_EQ(bot.account_id, a);
        EXPECT_EQ(bot.username, "ProfoBot");
        EXPECT_EQ(bot.token_sealed, "sealed:ProfoBot");
        EXPECT_EQ(bot.settings_json, R"({"lang":"en"})");
        EXPECT_EQ(bot.mode, "poll");
        EXPECT_EQ(bot.update_offset, 0);
        EXPECT_GT(bot.created_at, 0);

        sdk::Bot bare = make_bot("bare_bot");
        bare.settings_json.clear();
        bare.mode = "webhook";
        auto second = tx.create_bot(a, bare);
        EXPECT_EQ(second.settings_json, "{}");
        EXPECT_EQ(tx.list_bots(a).size(), 2u);
        return bot;
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        sdk::Bot changed = bot;
        changed.username = "RenamedBot";
        changed.token_sealed = "sealed:new";
        changed.settings_json = "{}";
        changed.mode = "webhook";
        changed.update_offset = 999;  // not updated by update_bot
        EXPECT_TRUE(tx.update_bot(a, changed));
        auto fetched = tx.get_bot(a, bot.id);
        ASSERT_TRUE(fetched);
        EXPECT_EQ(fetched->username, "RenamedBot");
        EXPECT_EQ(fetched->token_sealed, "sealed:new");
        EXPECT_EQ(fetched->mode, "webhook");
        EXPECT_EQ(fetched->update_offset, 0);

        EXPECT_TRUE(tx.set_bot_offset(a, bot.id, 123457));
        EXPECT_EQ(tx.get_bot(a, bot.id)->update_offset, 123457);
        EXPECT_FALSE(tx.set_bot_offset(a, bot.id + 1000, 1));
        changed.id = bot.id + 1000;
        EXPECT_FALSE(tx.update_bot(a, changed));
    });

    Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    // Usernames are unique across the platform, whatever the case.
    expect_storage_error(
        Code::conflict,
        [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_bot(other, make_bot("renamedbot")); }); },
        "renamedbot");
    expect_storage_error(Code::conflict, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            auto b = *tx.get_bot(a, bot.id);
            b.username = "BARE_BOT";
            tx.update_bot(a, b);
        });
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            auto b = make_bot("modeless_bot");
            b.mode = "carrier-pigeon";
            tx.create_bot(a, b);
        });
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        tx.create_bot(other, make_bot("other_bot"));
        auto all = tx.list_bots_all_accounts();
        ASSERT_EQ(all.size(), 3u);
        EXPECT_EQ(all[2].account_id, other);
        EXPECT_TRUE(tx.delete_bot(a, bot.id));
        EXPECT_FALSE(tx.delete_bot(a, bot.id));
        EXPECT_FALSE(tx.get_bot(a, bot.id));
        EXPECT_EQ(tx.list_bots(a).size(), 1u);
    });

    // A bot that serves a deployment stays.
    Tenant t = this->seed(a, "kept");
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.delete_bot(a, t.bot.id); }); },
        "bot " + std::to_string(t.bot.id));
}

TYPED_TEST(StorageConformance, CoursesAndVersions) {
    const Id a = sdk::kDefaultAccountId;
    auto course = this->in_tx([&](sdk::StorageTx& tx) {
        auto course = tx.create_course(a, "Onboarding");
        EXPECT_GT(course.id, 0);
        EXPECT_EQ(course.account_id, a);
        EXPECT_EQ(course.name, "Onboarding");
        EXPECT_GT(course.created_at, 0);
        EXPECT_EQ(course.updated_at, course.created_at);
        EXPECT_EQ(tx.get_course(a, course.id)->name, "Onboarding");
        EXPECT_EQ(tx.find_course(a, "Onboarding")->id, course.id);
        EXPECT_FALSE(tx.find_course(a, "onboarding"));
        tx.create_course(a, "Second");
        auto courses = tx.list_courses(a);
        EXPECT_EQ(courses.size(), 2u);
        EXPECT_EQ(courses.at(0).name, "Onboarding");
        EXPECT_TRUE(tx.rename_course(a, course.id, "Welcome"));
        EXPECT_EQ(tx.get_course(a, course.id)->name, "Welcome");
        EXPECT_FALSE(tx.rename_course(a, course.id + 1000, "Nothing"));
        return course;
    });
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_course(a, "Second"); }); },
        "Second");
    expect_storage_error(Code::conflict, [&] {
        this->in_tx([&](sdk::StorageTx& tx) { tx.rename_course(a, course.id, "Second"); });
    });
    // Names are unique per account only.
    Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_EQ(tx.create_course(other, "Second").account_id, other); });

    this->in_tx([&](sdk::StorageTx& tx) {
        auto v1 = tx.create_version(a, course.id, "welcome.yaml", sample_elements());
        EXPECT_EQ(v1.number, 1);
        EXPECT_EQ(v1.course_id, course.id);
        EXPECT_EQ(v1.account_id, a);
        EXPECT_EQ(v1.source_name, "welcome.yaml");
        auto v2 = tx.create_version(a, course.id, "panel", {sample_elements()[2]});
        EXPECT_EQ(v2.number, 2);

        auto elements = tx.version_elements(a, v1.id);
        ASSERT_EQ(elements.size(), 3u);
        for (int i = 0; i < 3; ++i) {
            EXPECT_EQ(elements[i].position, i);
            EXPECT_EQ(elements[i].version_id, v1.id);
            EXPECT_EQ(elements[i].account_id, a);
            EXPECT_EQ(elements[i].element_id, sample_elements()[i].element_id);
            EXPECT_EQ(elements[i].type, sample_elements()[i].type);
        }
        EXPECT_EQ(elements[1].body_json, R"({"type":"quiz","answers":[]})");
        EXPECT_EQ(elements[2].body_json, "{}");
        EXPECT_EQ(tx.version_elements(a, v2.id).size(), 1u);

        EXPECT_EQ(tx.get_version(a, v2.id)->number, 2);
        auto versions = tx.list_versions(a, course.id);
        ASSERT_EQ(versions.size(), 2u);
        EXPECT_EQ(versions[0].id, v1.id);
        EXPECT_EQ(versions[1].id, v2.id);
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto twice = sample_elements();
                twice[2].element_id = "Intro";
                tx.create_version(a, course.id, "bad.yaml", twice);
            });
        },
        "Intro");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx(
            [&](sdk::StorageTx& tx) { tx.create_version(a, course.id + 1000, "x", sample_elements()); });
    });

    // Deleting an undeployed course takes its versions along.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto versions = tx.list_versions(a, course.id);
        EXPECT_TRUE(tx.delete_course(a, course.id));
        EXPECT_FALSE(tx.delete_course(a, course.id));
        EXPECT_FALSE(tx.get_course(a, course.id));
        EXPECT_FALSE(tx.get_version(a, versions[0].id));
        EXPECT_TRUE(tx.version_elements(a, versions[0].id).empty());
    });

    Tenant t = this->seed(a, "deployed");
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.delete_course(a, t.course.id); }); },
        "deployment");
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.get_course(a, t.course.id)); });
}

TYPED_TEST(StorageConformance, Deployments) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "dep");
    EXPECT_GT(t.deployment.id, 0);
    EXPECT_EQ(t.deployment.account_id, a);
    EXPECT_EQ(t.deployment.course_id, t.course.id);
    EXPECT_EQ(t.deployment.version_id, t.version.id);
    EXPECT_EQ(t.deployment.bot_id, t.bot.id);
    EXPECT_EQ(t.deployment.environment, "prod");
    EXPECT_EQ(t.deployment.overrides_json, "{}");
    EXPECT_EQ(t.deployment.legacy_alias, "dep-alias");
    EXPECT_TRUE(t.deployment.active);
    EXPECT_GT(t.deployment.created_at, 0);

    auto other_course = this->in_tx([&](sdk::StorageTx& tx) {
        auto c = tx.create_course(a, "Other course");
        return tx.create_version(a, c.id, "o.yaml", sample_elements());
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        auto fetched = tx.get_deployment(a, t.deployment.id);
        ASSERT_TRUE(fetched);
        EXPECT_EQ(fetched->legacy_alias, "dep-alias");
        EXPECT_EQ(tx.find_deployment_by_alias(a, t.bot.id, "dep-alias")->id, t.deployment.id);
        EXPECT_FALSE(tx.find_deployment_by_alias(a, t.bot.id, "nope"));
        EXPECT_FALSE(tx.find_deployment_by_alias(a, t.bot.id, ""));

        auto v2 = tx.create_version(a, t.course.id, "v2.yaml", sample_elements());
        sdk::CourseDeployment changed = *fetched;
        changed.version_id = v2.id;
        changed.environment = "test";
        changed.overrides_json = R"({"delay":0})";
        changed.legacy_alias = "renamed";
        changed.active = false;
        changed.bot_id = 999999;  // not updated
        EXPECT_TRUE(tx.update_deployment(a, changed));
        auto updated = tx.get_deployment(a, t.deployment.id);
        EXPECT_EQ(updated->version_id, v2.id);
        EXPECT_EQ(updated->environment, "test");
        EXPECT_EQ(updated->overrides_json, R"({"delay":0})");
        EXPECT_EQ(updated->legacy_alias, "renamed");
        EXPECT_FALSE(updated->active);
        EXPECT_EQ(updated->bot_id, t.bot.id);
        changed.id += 1000;
        EXPECT_FALSE(tx.update_deployment(a, changed));

        sdk::CourseDeployment test_env = t.deployment;
        test_env.environment = "test";
        test_env.legacy_alias = "renamed";  // the one carrying it is inactive
        auto second = tx.create_deployment(a, test_env);
        EXPECT_EQ(tx.list_deployments(a).size(), 2u);
        EXPECT_EQ(tx.find_deployment_by_alias(a, t.bot.id, "renamed")->id, second.id);
    });

    // A deployment runs a version of its own course.
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto d = t.deployment;
                d.version_id = other_course.id;
                tx.create_deployment(a, d);
            });
        },
        "belongs to course");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            auto d = *tx.get_deployment(a, t.deployment.id);
            d.version_id = other_course.id;
            tx.update_deployment(a, d);
        });
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            auto d = t.deployment;
            d.environment = "staging";
            tx.create_deployment(a, d);
        });
    });
    // One active deployment per alias and bot.
    expect_storage_error(
        Code::conflict,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto d = t.deployment;
                d.legacy_alias = "renamed";
                tx.create_deployment(a, d);
            });
        },
        "renamed");
}

TYPED_TEST(StorageConformance, EnrollmentTokens) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "tok");
    auto [limited, open] = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::EnrollmentToken token;
        token.deployment_id = t.deployment.id;
        token.type = "group";
        token.code = "SPRING-2025";
        token.max_uses = 2;
        token.expires_at = 1'900'000'000'000;
        token.utm_json = R"({"campaign":"spring"})";
        auto limited = tx.create_token(a, token);
        EXPECT_GT(limited.id, 0);
        EXPECT_EQ(limited.account_id, a);
        EXPECT_EQ(limited.type, "group");
        EXPECT_EQ(limited.code, "SPRING-2025");
        EXPECT_EQ(limited.max_uses, 2);
        EXPECT_EQ(limited.uses, 0);
        EXPECT_EQ(limited.expires_at, 1'900'000'000'000);
        EXPECT_EQ(limited.utm_json, R"({"campaign":"spring"})");
        EXPECT_FALSE(limited.revoked);

        sdk::EnrollmentToken unlimited;
        unlimited.deployment_id = t.deployment.id;
        unlimited.type = "public";
        unlimited.code = "open";
        auto open = tx.create_token(a, unlimited);
        EXPECT_FALSE(open.max_uses);
        EXPECT_FALSE(open.expires_at);
        return std::pair(limited, open);
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.get_token(a, limited.id)->code, "SPRING-2025");
        EXPECT_EQ(tx.find_token(a, t.deployment.id, "open")->id, open.id);
        EXPECT_FALSE(tx.find_token(a, t.deployment.id, "OPEN"));
        auto tokens = tx.list_tokens(a, t.deployment.id);
        ASSERT_EQ(tokens.size(), 2u);
        EXPECT_EQ(tokens[0].id, limited.id);

        EXPECT_TRUE(tx.consume_token(a, limited.id));
        EXPECT_TRUE(tx.consume_token(a, limited.id));
        EXPECT_FALSE(tx.consume_token(a, limited.id));  // max_uses reached
        EXPECT_EQ(tx.get_token(a, limited.id)->uses, 2);
        for (int i = 0; i < 5; ++i) EXPECT_TRUE(tx.consume_token(a, open.id));
        EXPECT_EQ(tx.get_token(a, open.id)->uses, 5);

        EXPECT_TRUE(tx.revoke_token(a, open.id));
        EXPECT_TRUE(tx.get_token(a, open.id)->revoked);
        EXPECT_FALSE(tx.consume_token(a, open.id));
        EXPECT_EQ(tx.get_token(a, open.id)->uses, 5);
        EXPECT_FALSE(tx.consume_token(a, open.id + 1000));
        EXPECT_FALSE(tx.revoke_token(a, open.id + 1000));
    });

    expect_storage_error(
        Code::conflict,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                sdk::EnrollmentToken again;
                again.deployment_id = t.deployment.id;
                again.type = "public";
                again.code = "open";
                tx.create_token(a, again);
            });
        },
        "open");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            sdk::EnrollmentToken bad;
            bad.deployment_id = t.deployment.id;
            bad.type = "public";
            bad.code = "has space";
            tx.create_token(a, bad);
        });
    });
}

TYPED_TEST(StorageConformance, TokensKeepLabelsPausesWindowsAndHolders) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "cohort");
    auto personal = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::EnrollmentToken token;
        token.deployment_id = t.deployment.id;
        token.type = "personal";
        token.code = "Ann-1";
        token.label = "Ann's link";
        token.max_uses = 1;
        token.starts_at = 1'700'000'000'000;
        token.ends_at = 1'800'000'000'000;
        token.user_id = 4242;
        token.username = "@Ann_Smith";
        token.utm_json = R"({"source":"mail","medium":"email","campaign":"spring"})";
        return tx.create_token(a, token);
    });
    EXPECT_EQ(personal.label, "Ann's link");
    EXPECT_TRUE(personal.active);
    EXPECT_EQ(personal.starts_at, 1'700'000'000'000);
    EXPECT_EQ(personal.ends_at, 1'800'000'000'000);
    EXPECT_EQ(personal.user_id, 4242);
    EXPECT_EQ(personal.username, "ann_smith") << "stored as Telegram compares it";

    this->in_tx([&](sdk::StorageTx& tx) {
        const auto read = tx.find_token(a, t.deployment.id, "Ann-1");
        ASSERT_TRUE(read);
        EXPECT_EQ(read->label, "Ann's link");
        EXPECT_EQ(read->utm_json, R"({"source":"mail","medium":"email","campaign":"spring"})");
        EXPECT_EQ(read->username, "ann_smith");

        EXPECT_TRUE(tx.set_token_active(a, personal.id, false));
        EXPECT_FALSE(tx.get_token(a, personal.id)->active);
        EXPECT_FALSE(tx.consume_token(a, personal.id)) << "a paused token gives no use";
        EXPECT_TRUE(tx.set_token_active(a, personal.id, true));
        EXPECT_TRUE(tx.consume_token(a, personal.id));
        EXPECT_FALSE(tx.consume_token(a, personal.id));
        EXPECT_FALSE(tx.set_token_active(a, personal.id + 1000, true));

        sdk::EnrollmentToken open;
        open.deployment_id = t.deployment.id;
        open.type = "public";
        open.code = "no-window";
        const auto plain = tx.create_token(a, open);
        EXPECT_EQ(plain.label, "");
        EXPECT_FALSE(plain.starts_at);
        EXPECT_FALSE(plain.ends_at);
        EXPECT_FALSE(plain.user_id);
        EXPECT_EQ(plain.username, "");
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                sdk::EnrollmentToken backwards;
                backwards.deployment_id = t.deployment.id;
                backwards.type = "group";
                backwards.code = "backwards";
                backwards.starts_at = 2000;
                backwards.ends_at = 1000;
                tx.create_token(a, backwards);
            });
        },
        "ends (1000) before it starts (2000)");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            sdk::EnrollmentToken long_code;
            long_code.deployment_id = t.deployment.id;
            long_code.type = "public";
            long_code.code = std::string(33, 'a');
            tx.create_token(a, long_code);
        });
    });
}

TYPED_TEST(StorageConformance, DeploymentsKeepWhoMayStartThemAndHow) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "flags");
    EXPECT_FALSE(t.deployment.restricted);
    EXPECT_FALSE(t.deployment.allow_restart);
    EXPECT_FALSE(t.deployment.collect_email);
    this->in_tx([&](sdk::StorageTx& tx) {
        sdk::CourseDeployment d = t.deployment;
        d.id = 0;
        d.legacy_alias = "";
        d.restricted = true;
        d.collect_email = true;
        const auto created = tx.create_deployment(a, d);
        EXPECT_TRUE(created.restricted);
        EXPECT_FALSE(created.allow_restart);
        EXPECT_TRUE(created.collect_email);

        auto changed = *tx.get_deployment(a, created.id);
        changed.restricted = false;
        changed.allow_restart = true;
        changed.collect_email = false;
        EXPECT_TRUE(tx.update_deployment(a, changed));
        const auto read = tx.get_deployment(a, created.id);
        EXPECT_FALSE(read->restricted);
        EXPECT_TRUE(read->allow_restart);
        EXPECT_FALSE(read->collect_email);
    });
}

TYPED_TEST(StorageConformance, DeploymentsAreArchivedForGood) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "retired");
    EXPECT_FALSE(t.deployment.archived_at);
    this->in_tx([&](sdk::StorageTx& tx) {
        auto archived = t.deployment;
        archived.active = false;
        archived.archived_at = 1700000000123;
        EXPECT_TRUE(tx.update_deployment(a, archived));
        const auto read = tx.get_deployment(a, t.deployment.id);
        ASSERT_TRUE(read->archived_at);
        EXPECT_EQ(*read->archived_at, 1700000000123);
        EXPECT_FALSE(read->active);
        EXPECT_EQ(tx.list_deployments(a).size(), 1u) << "storage lists archived deployments too";

        // Its alias is free for a deployment that takes students, which a
        // legacy link then finds first.
        auto successor = t.deployment;
        successor.id = 0;
        const auto created = tx.create_deployment(a, successor);
        EXPECT_EQ(tx.find_deployment_by_alias(a, t.bot.id, "retired-alias")->id, created.id);
        EXPECT_FALSE(created.archived_at);

        // Archived at creation, as an import of old data would be.
        auto born_archived = t.deployment;
        born_archived.id = 0;
        born_archived.legacy_alias.clear();
        born_archived.active = false;
        born_archived.archived_at = 5;
        EXPECT_EQ(tx.create_deployment(a, born_archived).archived_at, std::optional<sdk::Millis>(5));
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto back = *tx.get_deployment(a, t.deployment.id);
                back.archived_at.reset();
                tx.update_deployment(a, back);
            });
        },
        "stays archived");
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto active = *tx.get_deployment(a, t.deployment.id);
                active.active = true;
                tx.update_deployment(a, active);
            });
        },
        "archived and cannot be active");
    this->in_tx([&](sdk::StorageTx& tx) {
        // Other columns of an archived row may still change (texts for the students it stopped).
        auto texts = *tx.get_deployment(a, t.deployment.id);
        texts.overrides_json = R"({"texts":{"course_archived":"Gone."}})";
        EXPECT_TRUE(tx.update_deployment(a, texts));
        EXPECT_EQ(tx.get_deployment(a, t.deployment.id)->archived_at,
                  std::optional<sdk::Millis>(1700000000123));
    });
}

TYPED_TEST(StorageConformance, PublishedVersionsNeverChange) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "frozen");
    const auto first = this->in_tx([&](sdk::StorageTx& tx) { return tx.version_elements(a, t.version.id); });
    // A new version is new rows; the old version's rows stay as they were.
    auto changed = sample_elements();
    changed[0].body_json = R"({"type":"message","text":"Hello again"})";
    const auto second = this->in_tx(
        [&](sdk::StorageTx& tx) { return tx.create_version(a, t.course.id, "v2.yaml", changed); });
    EXPECT_NE(second.id, t.version.id);
    EXPECT_EQ(second.number, t.version.number + 1);

    // Whatever code path tried, the database itself refuses to change a version.
    const auto a_text = std::to_string(a);
    EXPECT_THROW(this->database_->execute("UPDATE course_elements SET body_json = '{}' WHERE version_id = " +
                                          std::to_string(t.version.id)),
                 std::runtime_error);
    EXPECT_THROW(this->database_->execute("UPDATE course_versions SET source_name = 'x' WHERE id = " +
                                          std::to_string(t.version.id)),
                 std::runtime_error);
    EXPECT_THROW(this->database_->execute(
                     "UPDATE course_elements SET position = position + 10 WHERE account_id = " + a_text),
                 std::runtime_error);

    this->in_tx([&](sdk::StorageTx& tx) {
        const auto again = tx.version_elements(a, t.version.id);
        ASSERT_EQ(again.size(), first.size());
        for (std::size_t i = 0; i < first.size(); ++i) {
            EXPECT_EQ(again[i].element_id, first[i].element_id);
            EXPECT_EQ(again[i].type, first[i].type);
            EXPECT_EQ(again[i].body_json, first[i].body_json);
            EXPECT_EQ(again[i].position, first[i].position);
        }
        EXPECT_EQ(tx.get_version(a, t.version.id)->source_name, "course.yaml");
        EXPECT_EQ(tx.version_elements(a, second.id)[0].body_json, changed[0].body_json);
    });
    // Deleting a course still takes its versions with it.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto lone = tx.create_course(a, "Deletable");
        auto v = tx.create_version(a, lone.id, "d.yaml", sample_elements());
        EXPECT_TRUE(tx.delete_course(a, lone.id));
        EXPECT_FALSE(tx.get_version(a, v.id));
        EXPECT_TRUE(tx.version_elements(a, v.id).empty());
    });
}

TYPED_TEST(StorageConformance, TheBanThatAppliesCarriesItsMessage) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "findban");
    Tenant u = this->seed(a, "findban2");
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.find_ban(a, t.bot.id, 70));
        sdk::Ban everywhere;
        everywhere.user_id = 70;
        everywhere.reason = "abuse";
        everywhere.message = "You are banned from every course of this school.";
        const auto account_ban = tx.ban(a, everywhere);
        EXPECT_EQ(account_ban.message, "You are banned from every course of this school.");
        sdk::Ban on_bot;
        on_bot.bot_id = t.bot.id;
        on_bot.user_id = 70;
        on_bot.message = "Not on this bot.";
        const auto bot_ban = tx.ban(a, on_bot);

        // The bot's own ban wins over the account-wide one, however old.
        EXPECT_EQ(tx.find_ban(a, t.bot.id, 70)->id, bot_ban.id);
        EXPECT_EQ(tx.find_ban(a, t.bot.id, 70)->message, "Not on this bot.");
        EXPECT_EQ(tx.find_ban(a, u.bot.id, 70)->id, account_ban.id);
        EXPECT_EQ(tx.find_ban(a, u.bot.id, 70)->reason, "abuse");
        EXPECT_FALSE(tx.find_ban(a, t.bot.id, 71));
        EXPECT_TRUE(tx.unban(a, bot_ban.id));
        EXPECT_EQ(tx.find_ban(a, t.bot.id, 70)->id, account_ban.id);
        ASSERT_EQ(tx.list_bans(a).size(), 1u);
        EXPECT_EQ(tx.list_bans(a)[0].message, "You are banned from every course of this school.");
    });
}

TYPED_TEST(StorageConformance, EachAccountHasItsOwnEnrollmentKey) {
    auto [a, b] = this->in_tx([](sdk::StorageTx& tx) {
        return std::pair(tx.create_account("keys A").id, tx.create_account("keys B").id);
    });
    this->in_tx([&, a = a, b = b](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.enrollment_key(a));
        tx.set_enrollment_key(a, "sealed-a-1");
        EXPECT_EQ(tx.enrollment_key(a), "sealed-a-1");
        EXPECT_FALSE(tx.enrollment_key(b));
        tx.set_enrollment_key(a, "sealed-a-2");  // rotation replaces it
        EXPECT_EQ(tx.enrollment_key(a), "sealed-a-2");
        tx.set_enrollment_key(b, "sealed-b");
        EXPECT_EQ(tx.enrollment_key(a), "sealed-a-2");
        EXPECT_EQ(tx.enrollment_key(b), "sealed-b");
    });
    expect_storage_error(
        Code::invalid, [&] { this->in_tx([](sdk::StorageTx& tx) { tx.set_enrollment_key(999999, "x"); }); },
        "account 999999");
}

TYPED_TEST(StorageConformance, TheLastUseOfATokenGoesToOneStudent) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "race");
    Id token_id = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::EnrollmentToken token;
        token.deployment_id = t.deployment.id;
        token.type = "personal";
        token.code = "ONCE";
        token.max_uses = 1;
        return tx.create_token(a, token).id;
    });
    std::barrier start(2);
    std::atomic<int> granted{0};
    std::atomic<int> errors{0};
    auto consume = [&] {
        start.arrive_and_wait();
        try {
            auto tx = this->storage_->begin();
            if (tx->consume_token(a, token_id)) ++granted;
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            tx->commit();
        } catch (const std::exception&) {
            ++errors;
        }
    };
    std::thread x(consume);
    std::thread y(consume);
    x.join();
    y.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(granted.load(), 1);
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_EQ(tx.get_token(a, token_id)->uses, 1); });
}

TYPED_TEST(StorageConformance, Runs) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "runs");
    Id token_id = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::EnrollmentToken token;
        token.deployment_id = t.deployment.id;
        token.type = "public";
        token.code = "RUNS";
        return tx.create_token(a, token).id;
    });

    auto run = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::Run wanted = make_run(t, 500);
        wanted.token_id = token_id;
        auto run = tx.start_run(a, wanted);
        EXPECT_GT(run.id, 0);
        EXPECT_EQ(run.account_id, a);
        EXPECT_EQ(run.bot_id, t.bot.id);
        EXPECT_EQ(run.deployment_id, t.deployment.id);
        EXPECT_EQ(run.chat_id, 500);
        EXPECT_EQ(run.user_id, 500);
        EXPECT_EQ(run.username, "student500");
        EXPECT_EQ(run.token_id, token_id);
        EXPECT_EQ(run.status, sdk::RunStatus::active);
        EXPECT_TRUE(run.active);
        EXPECT_EQ(run.cursor, "Intro");
        EXPECT_EQ(run.state_json, R"({"activation":1})");
        EXPECT_EQ(run.utm_json, R"({"source":"ad"})");
        EXPECT_GT(run.started_at, 0);
        EXPECT_EQ(run.updated_at, run.started_at);
        EXPECT_FALSE(run.ended_at);

        EXPECT_EQ(tx.get_run(a, run.id).value().cursor, "Intro");
        EXPECT_EQ(tx.active_run(a, t.bot.id, 500).value().id, run.id);
        EXPECT_FALSE(tx.active_run(a, t.bot.id, 501));
        return run;
    });

    // A second active run for the same student and bot is refused...
    expect_storage_error(
        Code::conflict, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.start_run(a, make_run(t, 500)); }); },
        "already has an active run");

    this->in_tx([&](sdk::StorageTx& tx) {
        sdk::Run moved = run;
        moved.cursor = "Quiz_1";
        moved.state_json = R"({"activation":2})";
        moved.updated_at = run.started_at + 10;
        moved.deployment_id = 12345;  // not updated
        EXPECT_TRUE(tx.update_run(a, moved));
        auto fetched = *tx.get_run(a, run.id);
        EXPECT_EQ(fetched.cursor, "Quiz_1");
        EXPECT_EQ(fetched.state_json, R"({"activation":2})");
        EXPECT_EQ(fetched.updated_at, run.started_at + 10);
        EXPECT_EQ(fetched.deployment_id, t.deployment.id);

        moved.status = sdk::RunStatus::completed;
        moved.active = false;
        moved.ended_at = run.started_at + 20;
        EXPECT_TRUE(tx.update_run(a, moved));
        EXPECT_FALSE(tx.active_run(a, t.bot.id, 500));
        moved.id += 1000;
        EXPECT_FALSE(tx.update_run(a, moved));
    });

    // ...but a completed run makes room for a new one.
    auto second = this->in_tx([&](sdk::StorageTx& tx) {
        auto second = tx.start_run(a, make_run(t, 500));
        EXPECT_EQ(tx.active_run(a, t.bot.id, 500)->id, second.id);
        tx.start_run(a, make_run(t, 501));
        return second;
    });
    // The old one cannot become active again beside it.
    expect_storage_error(Code::conflict, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            auto old = *tx.get_run(a, run.id);
            old.active = true;
            old.status = sdk::RunStatus::active;
            tx.update_run(a, old);
        });
    });

    Tenant u = this->seed(a, "runs2");
    this->in_tx([&](sdk::StorageTx& tx) {
        tx.start_run(a, make_run(u, 500));  // another bot: its own active run
        EXPECT_EQ(tx.list_runs(a, {}).size(), 4u);
        sdk::RunFilter by_bot;
        by_bot.bot_id = t.bot.id;
        EXPECT_EQ(tx.list_runs(a, by_bot).size(), 3u);
        sdk::RunFilter by_deployment;
        by_deployment.deployment_id = u.deployment.id;
        EXPECT_EQ(tx.list_runs(a, by_deployment).size(), 1u);
        sdk::RunFilter completed;
        completed.status = sdk::RunStatus::completed;
        auto done = tx.list_runs(a, completed);
        ASSERT_EQ(done.size(), 1u);
        EXPECT_EQ(done[0].id, run.id);
        EXPECT_EQ(done[0].ended_at, run.started_at + 20);
        sdk::RunFilter page;
        page.bot_id = t.bot.id;
        page.status = sdk::RunStatus::active;
        page.limit = 1;
        page.offset = 1;
        auto paged = tx.list_runs(a, page);
        ASSERT_EQ(paged.size(), 1u);
        EXPECT_GT(paged[0].id, second.id);

        sdk::RunFilter chat;
        chat.chat_id = 500;
        EXPECT_EQ(tx.list_runs(a, chat).size(), 3u) << "chat 500 on both bots, and not chat 501";
        chat.bot_id = t.bot.id;
        chat.newest_first = true;
        auto latest = tx.list_runs(a, chat);
        ASSERT_EQ(latest.size(), 2u);
        EXPECT_EQ(latest[0].id, second.id);
        EXPECT_EQ(latest[1].id, run.id);
        chat.limit = 1;
        latest = tx.list_runs(a, chat);
        ASSERT_EQ(latest.size(), 1u);
        EXPECT_EQ(latest[0].id, second.id) << "the chat's last run";
        chat.chat_id = 502;
        EXPECT_TRUE(tx.list_runs(a, chat).empty());
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            sdk::RunFilter bad;
            bad.limit = -1;
            tx.list_runs(a, bad);
        });
    });
}

TYPED_TEST(StorageConformance, OneActiveRunUnderConcurrentStarts) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "race");
    std::barrier start(2);
    std::atomic<int> started{0};
    std::atomic<int> conflicts{0};
    std::atomic<int> other_errors{0};
    auto start_run = [&] {
        start.arrive_and_wait();
        try {
            auto tx = this->storage_->begin();
            tx->start_run(a, make_run(t, 777));
            // Keeps the transaction open so the other writer really overlaps.
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
            tx->commit();
            ++started;
        } catch (const StorageError& e) {
            if (e.code() == Code::conflict)
                ++conflicts;
            else
                ++other_errors;
        }
    };
    std::thread x(start_run);
    std::thread y(start_run);
    x.join();
    y.join();
    EXPECT_EQ(started.load(), 1);
    EXPECT_EQ(conflicts.load(), 1);
    EXPECT_EQ(other_errors.load(), 0);
    this->in_tx([&](sdk::StorageTx& tx) {
        sdk::RunFilter filter;
        filter.bot_id = t.bot.id;
        EXPECT_EQ(tx.list_runs(a, filter).size(), 1u);
        EXPECT_TRUE(tx.active_run(a, t.bot.id, 777));
    });
}

TYPED_TEST(StorageConformance, Conversation) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "conv");
    this->in_tx([&](sdk::StorageTx& tx) {
        auto run = tx.start_run(a, make_run(t, 1));
        sdk::ConversationEntry question;
        question.run_id = run.id;
        question.element_id = "Quiz_1";
        question.role = "bot";
        question.payload_json = R"({"text":"2+2?"})";
        Id first = tx.append_conversation(a, question);
        sdk::ConversationEntry answer = question;
        answer.role = "user";
        answer.payload_json = R"({"text":"4"})";
        answer.score = 1.5;
        answer.maxscore = 2;
        answer.attempt = 2;
        answer.created_at = 1'700'000'000'123;
        Id second = tx.append_conversation(a, answer);
        EXPECT_GT(second, first);

        auto entries = tx.conversation(a, run.id);
        ASSERT_EQ(entries.size(), 2u);
        EXPECT_EQ(entries[0].id, first);
        EXPECT_EQ(entries[0].account_id, a);
        EXPECT_EQ(entries[0].run_id, run.id);
        EXPECT_EQ(entries[0].role, "bot");
        EXPECT_EQ(entries[0].payload_json, R"({"text":"2+2?"})");
        EXPECT_FALSE(entries[0].score);
        EXPECT_FALSE(entries[0].maxscore);
        EXPECT_EQ(entries[0].attempt, 1);
        EXPECT_GT(entries[0].created_at, 0);
        EXPECT_EQ(entries[1].role, "user");
        EXPECT_EQ(entries[1].score, 1.5);
        EXPECT_EQ(entries[1].maxscore, 2.0);
        EXPECT_EQ(entries[1].attempt, 2);
        EXPECT_EQ(entries[1].created_at, 1'700'000'000'123);
        EXPECT_TRUE(tx.conversation(a, run.id + 1000).empty());
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                sdk::ConversationEntry orphan;
                orphan.run_id = 424242;
                orphan.role = "bot";
                tx.append_conversation(a, orphan);
            });
        },
        "run 424242");
}

// Each run's conversation is found whole and in order whatever other runs
// wrote between its rows, in other transactions, or in savepoints undone.
TYPED_TEST(StorageConformance, ARunsConversationIsWholeWhateverWasWrittenBetweenItsRows) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "chain");
    const auto runs = this->in_tx([&](sdk::StorageTx& tx) {
        std::vector<Id> ids;
        for (int chat = 1; chat <= 3; ++chat) ids.push_back(tx.start_run(a, make_run(t, chat)).id);
        return ids;
    });
    std::map<Id, std::vector<std::string>> written;
    const auto add = [&](sdk::StorageTx& tx, Id run, const std::string& text) {
        auto e = entry(run, "Intro", "bot");
        e.payload_json = R"({"text":")" + text + R"("})";
        tx.append_conversation(a, e);
        written[run].push_back(e.payload_json);
    };
    for (int round = 0; round < 4; ++round)
        this->in_tx([&](sdk::StorageTx& tx) {
            for (std::size_t k = 0; k < runs.size(); ++k) {
                const Id run = runs[(k + static_cast<std::size_t>(round)) % runs.size()];
                add(tx, run, std::to_string(round) + "." + std::to_string(k));
                if (round == 2) {
                    // Undone rows leave no trace, and the next row follows the last kept one.
                    tx.savepoint();
                    tx.append_conversation(a, entry(run, "Undone", "bot"));
                    tx.append_conversation_rows(
                        a, {entry(run, "Undone", "user"), entry(runs[0], "Undone", "bot")});
                    tx.rollback_to_savepoint();
                }
            }
            std::vector<sdk::ConversationEntry> both;
            for (const Id run : {runs[2], runs[0], runs[0]}) {
                auto e = entry(run, "Quiz_1", "user");
                e.payload_json = R"({"text":"rows )" + std::to_string(round) + R"("})";
                written[run].push_back(e.payload_json);
                both.push_back(std::move(e));
            }
            tx.append_conversation_rows(a, both);
        });
    this->in_tx([&](sdk::StorageTx& tx) {
        for (const Id run : runs) {
            SCOPED_TRACE("run " + std::to_string(run));
            const auto rows = tx.conversation(a, run);
            std::vector<std::string> texts;
            for (const auto& row : rows) {
                EXPECT_EQ(row.run_id, run);
                EXPECT_NE(row.element_id, "Undone");
                texts.push_back(row.payload_json);
            }
            EXPECT_EQ(texts, written[run]);
            for (std::size_t k = 1; k < rows.size(); ++k) EXPECT_GT(rows[k].id, rows[k - 1].id);
        }
    });
    // Another account reads none of them and cannot add to them.
    const Id b = this->in_tx([&](sdk::StorageTx& tx) { return tx.create_account("chain other").id; });
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.conversation(b, runs[0]).empty()); });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx(
                [&](sdk::StorageTx& tx) { tx.append_conversation(b, entry(runs[0], "Intro", "bot")); });
        },
        "run " + std::to_string(runs[0]) + " not found in account " + std::to_string(b));
    this->in_tx(
        [&](sdk::StorageTx& tx) { EXPECT_EQ(tx.conversation(a, runs[0]).size(), written[runs[0]].size()); });
}

// An event appends its rows and then updates its run, and may read the
// conversation between: whatever the order, in one transaction or across
// a savepoint undone, the history holds every kept row in order. (A chained
// store moves the run's head with its update; see transaction.cpp.)
TYPED_TEST(StorageConformance, AppendsReadsAndRunUpdatesInOneTransactionKeepTheConversationWhole) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "chain_update");
    const auto [one, two] = this->in_tx([&](sdk::StorageTx& tx) {
        return std::pair(tx.start_run(a, make_run(t, 1)), tx.start_run(a, make_run(t, 2)));
    });
    std::map<Id, std::vector<std::string>> written;
    const auto row = [&](Id run, const std::string& text) {
        auto e = entry(run, "Intro", "bot");
        e.payload_json = R"({"text":")" + text + R"("})";
        written[run].push_back(e.payload_json);
        return e;
    };
    const auto texts = [&](sdk::StorageTx& tx, Id run) {
        std::vector<std::string> out;
        for (const auto& r : tx.conversation(a, run)) out.push_back(r.payload_json);
        return out;
    };
    const Id b = this->in_tx([&](sdk::StorageTx& tx) { return tx.create_account("chain update other").id; });
    this->in_tx([&](sdk::StorageTx& tx) {
        tx.append_conversation_rows(a, {row(one.id, "1"), row(two.id, "2"), row(one.id, "3")});
        EXPECT_EQ(texts(tx, one.id), written[one.id]) << "read before the run's update";
        auto updated = one;
        updated.cursor = "Quiz_1";
        // Another account's update of the run changes nothing, the head included.
        EXPECT_FALSE(tx.update_run(b, updated));
        EXPECT_TRUE(tx.update_run(a, updated));
        tx.append_conversation(a, row(one.id, "4"));
        EXPECT_TRUE(tx.update_run(a, updated));
        tx.append_conversation(a, row(two.id, "5"));
        tx.savepoint();
        tx.append_conversation_rows(a, {entry(two.id, "Undone", "bot"), entry(one.id, "Undone", "user")});
        auto undone = two;
        undone.cursor = "Undone";
        EXPECT_TRUE(tx.update_run(a, undone));
        tx.rollback_to_savepoint();
        tx.append_conversation(a, row(two.id, "6"));
        EXPECT_EQ(texts(tx, two.id), written[two.id]) << "read after a savepoint undone";
        tx.append_conversation(a, row(two.id, "7"));
        // No update of run two follows: commit moves its head.
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(texts(tx, one.id), written[one.id]);
        EXPECT_EQ(texts(tx, two.id), written[two.id]);
        EXPECT_EQ(tx.get_run(a, one.id)->cursor, "Quiz_1");
        EXPECT_EQ(tx.get_run(a, two.id)->cursor, "Intro");
        tx.append_conversation(a, row(two.id, "8"));
        tx.append_conversation(a, row(one.id, "9"));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(texts(tx, one.id), written[one.id]);
        EXPECT_EQ(texts(tx, two.id), written[two.id]);
        EXPECT_TRUE(tx.conversation(b, one.id).empty());
    });
    // As the engine's events go: each reads its run first (so a store knows
    // the run and where its history ends, and may hold rows back), appends,
    // then updates the run.
    this->in_tx([&](sdk::StorageTx& tx) {
        for (int round = 0; round < 3; ++round)
            for (const auto& run : {one, two}) {
                auto active = tx.active_run(a, t.bot.id, run.chat_id);
                ASSERT_TRUE(active);
                tx.append_conversation_rows(
                    a, {row(run.id, "q" + std::to_string(round)), row(run.id, "a" + std::to_string(round))});
                if (round == 1) {
                    tx.savepoint();
                    EXPECT_TRUE(tx.active_run(a, t.bot.id, run.chat_id));
                    tx.append_conversation(a, entry(run.id, "Undone", "bot"));
                    tx.rollback_to_savepoint();
                }
                active->cursor = "Round" + std::to_string(round);
                EXPECT_TRUE(tx.update_run(a, *active));
            }
        EXPECT_EQ(texts(tx, two.id), written[two.id]) << "read in the same transaction";
        auto active = tx.active_run(a, t.bot.id, one.chat_id);
        tx.append_conversation(a, row(one.id, "last"));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(texts(tx, one.id), written[one.id]);
        EXPECT_EQ(texts(tx, two.id), written[two.id]);
        EXPECT_EQ(tx.get_run(a, two.id)->cursor, "Round2");
        // A run started in the transaction: its history starts there.
        auto third = make_run(t, 3);
        const Id three = tx.start_run(a, third).id;
        tx.append_conversation_rows(a, {row(three, "first"), row(one.id, "after last")});
        tx.append_conversation(a, row(three, "second"));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(texts(tx, one.id), written[one.id]);
        for (const auto& [run, rows] : written) EXPECT_EQ(texts(tx, run), rows) << "run " << run;
    });
}

// Two transactions adding to one run's conversation at once: both rows stay
// in it, in the order the transactions wrote them (a chained backend's
// append holds the run's row, so the second waits for the first).
TYPED_TEST(StorageConformance, TwoTransactionsAddingToOneRunAtOnceBothStayInItsConversation) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "chain_race");
    const Id run = this->in_tx([&](sdk::StorageTx& tx) { return tx.start_run(a, make_run(t, 9)).id; });
    auto second_storage = this->open(*this->database_);
    auto first = this->storage_->begin();
    first->append_conversation(a, entry(run, "First", "bot"));
    std::thread other([&] {
        auto tx = second_storage->begin();
        tx->append_conversation(a, entry(run, "Second", "bot"));
        tx->commit();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    first->commit();
    other.join();
    this->in_tx([&](sdk::StorageTx& tx) {
        const auto rows = tx.conversation(a, run);
        ASSERT_EQ(rows.size(), 2u);
        EXPECT_EQ(rows[0].element_id, "First");
        EXPECT_EQ(rows[1].element_id, "Second");
    });
}

// The engine writes an event's rows at once (2.9): stored as one by one
// would store them, in order, counted in the analytics, and all or nothing.
TYPED_TEST(StorageConformance, RowsAtOnceAreStoredAsOneByOneWouldBeInOrder) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "rows");
    const sdk::Millis now = 1'800'000'000'000;
    // 37 rows: more than one statement's worth (16), and a part one.
    constexpr int kRows = 37;
    const auto runs = this->in_tx([&](sdk::StorageTx& tx) {
        auto played = make_run(t, 31);
        played.version_id = t.version.id;  // counted in the analytics
        const auto run = tx.start_run(a, played);
        played.chat_id = played.user_id = 32;
        const auto other = tx.start_run(a, played);
        std::vector<sdk::ConversationEntry> rows;
        for (int i = 0; i < kRows; ++i) {
            auto e = entry(i % 5 == 4 ? other.id : run.id, i % 3 == 0 ? "Quiz_1" : "Intro",
                           i % 2 == 0 ? "bot" : "user");
            e.payload_json = i == 7 ? "" : R"({"n":)" + std::to_string(i) + "}";
            if (i % 3 == 0) {
                e.score = i;
                e.maxscore = 40;
            }
            e.attempt = 1 + i % 4;
            e.created_at = i == 8 ? 0 : now + i;
            rows.push_back(std::move(e));
        }
        tx.append_conversation_rows(a, rows);
        tx.append_conversation_rows(a, {});
        std::vector<sdk::OutboxMessage> messages;
        for (int i = 0; i < kRows; ++i) {
            auto m = make_message(t, 31 + i % 2, i % 2 == 0 ? std::optional(run.id) : std::nullopt);
            m.payload_json = R"({"kind":"text","text":")" + std::to_string(i) + R"("})";
            m.next_attempt_at = i == 5 ? 0 : now - 100 + i;
            m.created_at = now - 200 + i;
            messages.push_back(std::move(m));
        }
        tx.enqueue_outbox_rows(a, messages);
        return std::pair(run.id, other.id);
    });
    const Id run_id = runs.first;
    const Id other_run_id = runs.second;
    this->in_tx([&](sdk::StorageTx& tx) {
        auto mine = tx.conversation(a, run_id);
        auto other = tx.conversation(a, other_run_id);
        ASSERT_EQ(mine.size() + other.size(), static_cast<std::size_t>(kRows));
        std::size_t m = 0;
        std::size_t o = 0;
        for (int i = 0; i < kRows; ++i) {
            const auto& got = i % 5 == 4 ? other[o++] : mine[m++];
            SCOPED_TRACE("row " + std::to_string(i));
            EXPECT_EQ(got.account_id, a);
            EXPECT_EQ(got.element_id, i % 3 == 0 ? "Quiz_1" : "Intro");
            EXPECT_EQ(got.role, i % 2 == 0 ? "bot" : "user");
            EXPECT_EQ(got.payload_json, i == 7 ? "{}" : R"({"n":)" + std::to_string(i) + "}");
            EXPECT_EQ(got.score.has_value(), i % 3 == 0);
            if (i % 3 == 0) {
                EXPECT_DOUBLE_EQ(*got.score, i);
            }
            EXPECT_EQ(got.attempt, 1 + i % 4);
            if (i == 8)
                EXPECT_GT(got.created_at, 0);
            else
                EXPECT_EQ(got.created_at, now + i);
        }
        for (std::size_t k = 1; k < mine.size(); ++k) EXPECT_GT(mine[k].id, mine[k - 1].id);

        std::map<std::string, sdk::ElementProgress> progress;
        for (const auto& p : tx.element_progress(a, t.version.id)) progress[p.element_id] = p;
        EXPECT_EQ(progress["Intro"].reached, 2);
        EXPECT_EQ(progress["Quiz_1"].reached, 2);
        EXPECT_EQ(progress["Quiz_1"].scored, 2);
        EXPECT_DOUBLE_EQ(progress["Quiz_1"].score_sum, 0 + 9) << "each run's first scored answer";

        std::size_t texts = 0;
        for (std::int64_t chat : {31, 32})
            for (const auto& row : tx.list_outbox(a, t.bot.id, chat)) {
                EXPECT_EQ(row.status, "pending");
                EXPECT_EQ(row.attempts, 0);
                EXPECT_EQ(row.last_error, "");
                const auto digits = row.payload_json.find(R"("text":")") + 8;
                const int i = std::stoi(row.payload_json.substr(digits));
                EXPECT_EQ(row.chat_id, 31 + i % 2);
                EXPECT_EQ(row.run_id.has_value(), i % 2 == 0);
                EXPECT_EQ(row.created_at, now - 200 + i);
                EXPECT_EQ(row.next_attempt_at, i == 5 ? now - 200 + i : now - 100 + i)
                    << "a message without a send time is due when created";
                ++texts;
            }
        EXPECT_EQ(texts, static_cast<std::size_t>(kRows));
        // Each chat's rows in the order given.
        for (std::int64_t chat : {31, 32}) {
            const auto rows = tx.list_outbox(a, t.bot.id, chat);
            for (std::size_t k = 1; k < rows.size(); ++k)
                EXPECT_LT(rows[k - 1].created_at, rows[k].created_at);
        }
        EXPECT_EQ(tx.pending_outbox_all_accounts(now + 1000, 100).size(), static_cast<std::size_t>(kRows));
    });

    // One bad row stores none of them, and says what was wrong.
    const auto count_rows = [&] {
        return this->in_tx([&](sdk::StorageTx& tx) {
            return tx.conversation(a, run_id).size() + tx.list_outbox(a, t.bot.id, 31).size();
        });
    };
    const auto before = count_rows();
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                tx.append_conversation_rows(a,
                                            {entry(run_id, "Intro", "bot"), entry(424242, "Intro", "bot")});
            });
        },
        "not found in account");
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto empty = make_message(t, 31, run_id);
                empty.payload_json.clear();
                tx.enqueue_outbox_rows(a, {make_message(t, 31, run_id), empty});
            });
        },
        "the payload is empty");
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) {
                auto stranger = make_message(t, 31, std::nullopt);
                stranger.bot_id = 989898;
                tx.enqueue_outbox_rows(a, {make_message(t, 31, run_id), stranger});
            });
        },
        "not found in account");
    EXPECT_EQ(count_rows(), before);
}

// A store may hold an event's outbox rows back to write them with the next
// ones (SqlTransaction::held_outbox_): whatever is read, written one by one
// or undone between, the outbox holds the kept messages in the order given.
TYPED_TEST(StorageConformance, MessagesKeepTheirOrderWhateverIsReadOrUndoneBetween) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "held_outbox");
    const auto message = [&](std::optional<Id> run, const std::string& text) {
        auto m = make_message(t, 41, run);
        m.payload_json = R"({"kind":"text","text":")" + text + R"("})";
        return m;
    };
    const auto texts = [&](sdk::StorageTx& tx) {
        std::vector<std::string> out;
        Id last = 0;
        for (const auto& row : tx.list_outbox(a, t.bot.id, 41)) {
            EXPECT_GT(row.id, last) << "ids in the order written";
            last = row.id;
            out.push_back(nlohmann::json::parse(row.payload_json)["text"].get<std::string>());
        }
        return out;
    };
    const Id run = this->in_tx([&](sdk::StorageTx& tx) {
        const Id id = tx.start_run(a, make_run(t, 41)).id;
        tx.enqueue_outbox_rows(a, {message(id, "1"), message(id, "2")});
        EXPECT_EQ(texts(tx), (std::vector<std::string>{"1", "2"})) << "read in the same transaction";
        tx.enqueue_outbox_rows(a, {message(id, "3")});
        tx.enqueue_outbox(a, message(std::nullopt, "4"));
        tx.enqueue_outbox_rows(a, {message(id, "5")});
        tx.savepoint();
        tx.enqueue_outbox_rows(a, {message(id, "undone")});
        tx.rollback_to_savepoint();
        tx.enqueue_outbox_rows(a, {message(id, "6")});
        tx.savepoint();
        EXPECT_TRUE(tx.get_run(a, id));
        tx.enqueue_outbox_rows(a, {message(id, "7"), message(std::nullopt, "8")});
        tx.enqueue_outbox_rows(a, {message(id, "9")});
        tx.release_savepoint();
        tx.enqueue_outbox_rows(a, {message(id, "10")});
        return id;
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(texts(tx), (std::vector<std::string>{"1", "2", "3", "4", "5", "6", "7", "8", "9", "10"}));
        const auto due = tx.pending_outbox_all_accounts(std::numeric_limits<sdk::Millis>::max(), 100);
        EXPECT_EQ(due.size(), 10u);
    });
    // A transaction that does not commit leaves none of its messages.
    {
        auto tx = this->storage_->begin();
        EXPECT_TRUE(tx->get_run(a, run));
        tx->enqueue_outbox_rows(a, {message(run, "gone")});
    }
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_EQ(texts(tx).size(), 10u); });
}

TYPED_TEST(StorageConformance, DurableTimers) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "timers");
    const sdk::Millis base = 1'800'000'000'000;
    auto [run, other_run, ids] = this->in_tx([&](sdk::StorageTx& tx) {
        auto run = tx.start_run(a, make_run(t, 1));
        auto other_run = tx.start_run(a, make_run(t, 2));
        EXPECT_FALSE(tx.next_timer_due_all_accounts());
        std::vector<Id> ids;
        for (int i : {3, 1, 2}) {
            sdk::WaitingElement timer;
            timer.run_id = run.id;
            timer.element_id = "Wait_" + std::to_string(i);
            timer.due_at = base + i * 1000;
            timer.payload_json = R"({"activation":)" + std::to_string(i) + "}";
            ids.push_back(tx.add_timer(a, timer));
        }
        sdk::WaitingElement other;
        other.run_id = other_run.id;
        other.element_id = "Other";
        other.due_at = base + 500;
        ids.push_back(tx.add_timer(a, other));
        return std::tuple(run, other_run, ids);
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.next_timer_due_all_accounts(), base + 500);
        EXPECT_TRUE(tx.due_timers_all_accounts(base, 10).empty());
        auto due = tx.due_timers_all_accounts(base + 2000, 10);
        ASSERT_EQ(due.size(), 3u);  // ordered by due time
        EXPECT_EQ(due[0].element_id, "Other");
        EXPECT_EQ(due[1].element_id, "Wait_1");
        EXPECT_EQ(due[1].payload_json, R"({"activation":1})");
        EXPECT_EQ(due[1].status, "pending");
        EXPECT_EQ(due[1].run_id, run.id);
        EXPECT_EQ(due[1].account_id, a);
        EXPECT_EQ(due[1].due_at, base + 1000);
        EXPECT_EQ(due[2].element_id, "Wait_2");
        EXPECT_EQ(tx.due_timers_all_accounts(base + 5000, 2).size(), 2u);

        // Claimed exactly once.
        EXPECT_TRUE(tx.claim_timer(a, due[1].id));
        EXPECT_FALSE(tx.claim_timer(a, due[1].id));
        EXPECT_EQ(tx.due_timers_all_accounts(base + 2000, 10).size(), 2u);

        // Cancelling affects only the run's pending timers.
        EXPECT_EQ(tx.cancel_run_timers(a, run.id), 2);
        EXPECT_EQ(tx.cancel_run_timers(a, run.id), 0);
        EXPECT_FALSE(tx.claim_timer(a, ids[0]));  // cancelled
        auto left = tx.due_timers_all_accounts(base + 10'000, 10);
        ASSERT_EQ(left.size(), 1u);
        EXPECT_EQ(left[0].run_id, other_run.id);
        EXPECT_EQ(tx.next_timer_due_all_accounts(), base + 500);
    });
}

TYPED_TEST(StorageConformance, ATimerIsClaimedByOneOfTwoSchedulers) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "claim");
    Id timer_id = this->in_tx([&](sdk::StorageTx& tx) {
        sdk::WaitingElement timer;
        timer.run_id = tx.start_run(a, make_run(t, 1)).id;
        timer.element_id = "Wait";
        timer.due_at = 1;
        return tx.add_timer(a, timer);
    });
    auto second_storage = this->open(*this->database_);
    std::barrier start(2);
    std::atomic<int> claims{0};
    std::atomic<int> errors{0};
    auto claim = [&](sdk::Storage& storage) {
        start.arrive_and_wait();
        try {
            auto tx = storage.begin();
            if (tx->claim_timer(a, timer_id)) ++claims;
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            tx->commit();
        } catch (const std::exception&) {
            ++errors;
        }
    };
    std::thread x(claim, std::ref(*this->storage_));
    std::thread y(claim, std::ref(*second_storage));
    x.join();
    y.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(claims.load(), 1);
}

TYPED_TEST(StorageConformance, BansAndParticipants) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "bans");
    Tenant u = this->seed(a, "bans2");
    this->in_tx([&](sdk::StorageTx& tx) {
        sdk::Ban on_bot;
        on_bot.bot_id = t.bot.id;
        on_bot.user_id = 66;
        on_bot.reason = "spam";
        auto ban = tx.ban(a, on_bot);
        EXPECT_GT(ban.id, 0);
        EXPECT_EQ(ban.account_id, a);
        EXPECT_EQ(ban.bot_id, t.bot.id);
        EXPECT_EQ(ban.reason, "spam");
        EXPECT_GT(ban.created_at, 0);
        EXPECT_TRUE(tx.is_banned(a, t.bot.id, 66));
        EXPECT_FALSE(tx.is_banned(a, u.bot.id, 66));
        EXPECT_FALSE(tx.is_banned(a, t.bot.id, 67));

        sdk::Ban everywhere;
        everywhere.user_id = 67;
        auto account_ban = tx.ban(a, everywhere);
        EXPECT_FALSE(account_ban.bot_id);
        EXPECT_TRUE(tx.is_banned(a, t.bot.id, 67));
        EXPECT_TRUE(tx.is_banned(a, u.bot.id, 67));
        EXPECT_EQ(tx.list_bans(a).size(), 2u);

        EXPECT_TRUE(tx.unban(a, account_ban.id));
        EXPECT_FALSE(tx.unban(a, account_ban.id));
        EXPECT_FALSE(tx.is_banned(a, u.bot.id, 67));
        EXPECT_EQ(tx.list_bans(a).size(), 1u);

        sdk::Participant by_id;
        by_id.deployment_id = t.deployment.id;
        by_id.user_id = 1234;
        auto p1 = tx.add_participant(a, by_id);
        EXPECT_GT(p1.id, 0);
        EXPECT_EQ(p1.user_id, 1234);
        EXPECT_EQ(p1.username, "");
        sdk::Participant by_name;
        by_name.deployment_id = t.deployment.id;
        by_name.username = "@Student_One";
        auto p2 = tx.add_participant(a, by_name);
        EXPECT_FALSE(p2.user_id);
        EXPECT_EQ(p2.username, "Student_One");

        EXPECT_TRUE(tx.is_participant(a, t.deployment.id, 1234, ""));
        EXPECT_TRUE(tx.is_participant(a, t.deployment.id, 1234, "someone_else"));
        EXPECT_TRUE(tx.is_participant(a, t.deployment.id, 9, "student_one"));
        EXPECT_TRUE(tx.is_participant(a, t.deployment.id, 9, "@STUDENT_ONE"));
        EXPECT_FALSE(tx.is_participant(a, t.deployment.id, 9, "student_two"));
        EXPECT_FALSE(tx.is_participant(a, t.deployment.id, 9, ""));
        EXPECT_FALSE(tx.is_participant(a, u.deployment.id, 1234, "student_one"));

        auto list = tx.list_participants(a, t.deployment.id);
        ASSERT_EQ(list.size(), 2u);
        EXPECT_EQ(list[0].id, p1.id);
        EXPECT_TRUE(tx.remove_participant(a, p1.id));
        EXPECT_FALSE(tx.remove_participant(a, p1.id));
        EXPECT_FALSE(tx.is_participant(a, t.deployment.id, 1234, ""));
        EXPECT_TRUE(tx.list_participants(a, u.deployment.id).empty());
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            sdk::Participant nobody;
            nobody.deployment_id = t.deployment.id;
            tx.add_participant(a, nobody);
        });
    });
}

TYPED_TEST(StorageConformance, UpdateLedgerIsIdempotent) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "ledger");
    Tenant u = this->seed(a, "ledger2");
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 100));
        EXPECT_FALSE(tx.mark_update_processed(a, t.bot.id, 100));
        EXPECT_TRUE(tx.mark_update_processed(a, u.bot.id, 100));  // ids are per bot
    });
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_FALSE(tx.mark_update_processed(a, t.bot.id, 100)); });
    {
        auto tx = this->storage_->begin();
        EXPECT_TRUE(tx->mark_update_processed(a, t.bot.id, 101));
    }  // rolled back: the update was not handled
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 101)); });
}

// Many updates marked at once say what as many single marks would, in order.
TYPED_TEST(StorageConformance, UpdatesMarkedAtOnceSayWhatOneByOneWould) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "ledger_rows");
    Tenant u = this->seed(a, "ledger_rows2");
    const Id b = this->in_tx([&](sdk::StorageTx& tx) { return tx.create_account("ledger rows other").id; });
    Tenant v = this->seed(b, "ledger_rows3");
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 5)); });
    using Update = sdk::UpdateLedger::Update;
    std::vector<Update> updates{
        {a, t.bot.id, 5},  // marked before
        {a, t.bot.id, 6},  // new
        {a, u.bot.id, 6},  // new: ids are per bot
        {a, t.bot.id, 6},  // listed twice: new the first time only
        {b, t.bot.id, 7},  // another account's bot: refused
        {a, t.bot.id, 7},  // so the update is still new for its own account
        {a, 989898, 8},    // no such bot
        {b, v.bot.id, 8},  // the other account's own bot
    };
    std::vector<bool> expected{false, true, true, false, false, true, false, true};
    // More than one statement's worth, with an update repeated across them.
    for (std::int64_t id = 100; id < 140; ++id) {
        updates.push_back({a, u.bot.id, id % 37 == 0 ? 6 : id});
        expected.push_back(id % 37 != 0);
    }
    updates.push_back({a, u.bot.id, 100});
    expected.push_back(false);
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.mark_updates_processed(updates), expected);
        EXPECT_TRUE(tx.mark_updates_processed({}).empty());
        EXPECT_FALSE(tx.mark_update_processed(a, t.bot.id, 7));
        EXPECT_FALSE(tx.mark_update_processed(b, v.bot.id, 8));
        EXPECT_FALSE(tx.mark_update_processed(b, t.bot.id, 9)) << "never through another account";
    });
    // Rolled back: none stays marked.
    {
        auto tx = this->storage_->begin();
        EXPECT_EQ(tx->mark_updates_processed({{a, t.bot.id, 200}, {a, u.bot.id, 201}}),
                  (std::vector<bool>{true, true}));
    }
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.mark_updates_processed({{a, t.bot.id, 200}, {a, t.bot.id, 6}}),
                  (std::vector<bool>{true, false}));
    });
}

TYPED_TEST(StorageConformance, UpdateLedgerIsPrunedOldestFirstInSlices) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "pruned");
    this->in_tx([&](sdk::StorageTx& tx) {
        for (std::int64_t u = 1; u <= 3; ++u) EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, u));
    });
    const sdk::Millis later = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count() +
                              60'000;
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_processed_updates_all_accounts(0, 100), 0);  // nothing that old
        EXPECT_EQ(tx.prune_processed_updates_all_accounts(later, 0), 0);
        EXPECT_EQ(tx.prune_processed_updates_all_accounts(later, 2), 2);
        EXPECT_EQ(tx.prune_processed_updates_all_accounts(later, 100), 1);
        EXPECT_EQ(tx.prune_processed_updates_all_accounts(later, 100), 0);
    });
    // A pruned update is forgotten (Telegram no longer redelivers it).
    this->in_tx([&](sdk::StorageTx& tx) { EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 2)); });
}

TYPED_TEST(StorageConformance, BotsAreEnabledUntilDisabled) {
    const Id a = sdk::kDefaultAccountId;
    auto bot = this->in_tx([&](sdk::StorageTx& tx) { return tx.create_bot(a, make_bot("switch_bot")); });
    EXPECT_TRUE(bot.enabled);
    this->in_tx([&](sdk::StorageTx& tx) {
        auto changed = bot;
        changed.enabled = false;
        EXPECT_TRUE(tx.update_bot(a, changed));
        EXPECT_FALSE(tx.get_bot(a, bot.id)->enabled);
        EXPECT_FALSE(tx.list_bots_all_accounts().back().enabled);
        auto disabled = make_bot("born_disabled_bot");
        disabled.enabled = false;
        EXPECT_FALSE(tx.create_bot(a, disabled).enabled);
    });
}

TYPED_TEST(StorageConformance, OutboxLifecycle) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "outbox");
    const sdk::Millis now = 1'800'000'000'000;
    auto [first, second, later] = this->in_tx([&](sdk::StorageTx& tx) {
        auto run = tx.start_run(a, make_run(t, 9));
        auto m1 = make_message(t, 9, run.id);
        m1.next_attempt_at = now - 10;
        Id first = tx.enqueue_outbox(a, m1);
        auto m2 = make_message(t, 9, std::nullopt);
        m2.next_attempt_at = now - 5;
        Id second = tx.enqueue_outbox(a, m2);
        auto m3 = make_message(t, 10, std::nullopt);
        m3.next_attempt_at = now + 60'000;
        Id later = tx.enqueue_outbox(a, m3);
        return std::tuple(first, second, later);
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        auto pending = tx.pending_outbox_all_accounts(now, 10);
        ASSERT_EQ(pending.size(), 2u);
        EXPECT_EQ(pending[0].id, first);
        EXPECT_EQ(pending[1].id, second);
        EXPECT_EQ(pending[0].status, "pending");
        EXPECT_EQ(pending[0].attempts, 0);
        EXPECT_EQ(pending[0].account_id, a);
        EXPECT_EQ(pending[0].bot_id, t.bot.id);
        EXPECT_EQ(pending[0].chat_id, 9);
        EXPECT_TRUE(pending[0].run_id);
        EXPECT_FALSE(pending[1].run_id);
        EXPECT_EQ(pending[0].payload_json, R"({"kind":"text","text":"hello"})");
        EXPECT_EQ(pending[0].last_error, "");
        EXPECT_GT(pending[0].created_at, 0);
        EXPECT_EQ(tx.pending_outbox_all_accounts(now, 1).size(), 1u);
        EXPECT_EQ(tx.pending_outbox_all_accounts(now + 60'000, 10).size(), 3u);

        // 429: try again later.
        EXPECT_TRUE(tx.mark_outbox_retry(a, first, now + 30'000, "429 retry_after 30"));
        auto retried = tx.list_outbox(a, t.bot.id, 9);
        ASSERT_EQ(retried.size(), 2u);
        EXPECT_EQ(retried[0].attempts, 1);
        EXPECT_EQ(retried[0].next_attempt_at, now + 30'000);
        EXPECT_EQ(retried[0].last_error, "429 retry_after 30");
        EXPECT_EQ(retried[0].status, "pending");
        auto pending_now = tx.pending_outbox_all_accounts(now, 10);
        ASSERT_EQ(pending_now.size(), 1u);
        EXPECT_EQ(pending_now[0].id, second);

        // Delivered: it leaves the outbox, once.
        EXPECT_TRUE(tx.mark_outbox_sent(a, second));
        EXPECT_FALSE(tx.mark_outbox_sent(a, second));  // settled already
        auto after_send = tx.list_outbox(a, t.bot.id, 9);
        ASSERT_EQ(after_send.size(), 1u);
        EXPECT_EQ(after_send[0].id, first);

        EXPECT_TRUE(tx.mark_outbox_failed(a, first, "403 blocked"));
        EXPECT_FALSE(tx.mark_outbox_retry(a, first, now, "again"));
        EXPECT_FALSE(tx.mark_outbox_sent(a, first));  // given up is not delivered
        auto failed = tx.list_outbox(a, t.bot.id, 9)[0];
        EXPECT_EQ(failed.status, "failed");
        EXPECT_EQ(failed.attempts, 2);
        EXPECT_EQ(failed.last_error, "403 blocked");

        auto left = tx.pending_outbox_all_accounts(now + 100'000, 10);
        ASSERT_EQ(left.size(), 1u);
        EXPECT_EQ(left[0].id, later);
        EXPECT_EQ(tx.list_outbox(a, t.bot.id, 10).size(), 1u);
        EXPECT_TRUE(tx.list_outbox(a, t.bot.id, 11).empty());
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) { tx.enqueue_outbox(a, make_message(t, 9, Id{777777})); });
    });
}

TYPED_TEST(StorageConformance, Polls) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "polls");
    Id run_id = this->in_tx([&](sdk::StorageTx& tx) {
        auto run = tx.start_run(a, make_run(t, 3));
        sdk::PollRecord poll;
        poll.bot_id = t.bot.id;
        poll.poll_id = "5432101234";
        poll.run_id = run.id;
        poll.element_id = "Quiz_1";
        poll.activation = 4;
        tx.record_poll(a, poll);
        return run.id;
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        auto poll = tx.find_poll_all_accounts(t.bot.id, "5432101234");
        ASSERT_TRUE(poll);
        EXPECT_EQ(poll->account_id, a);
        EXPECT_EQ(poll->run_id, run_id);
        EXPECT_EQ(poll->element_id, "Quiz_1");
        EXPECT_EQ(poll->activation, 4);
        EXPECT_GT(poll->created_at, 0);
        EXPECT_FALSE(tx.find_poll_all_accounts(t.bot.id, "other"));
    });
    expect_storage_error(Code::conflict, [&] {
        this->in_tx([&](sdk::StorageTx& tx) {
            sdk::PollRecord again;
            again.bot_id = t.bot.id;
            again.poll_id = "5432101234";
            again.run_id = run_id;
            again.element_id = "Quiz_1";
            tx.record_poll(a, again);
        });
    });
}

// --- Retention ---------------------------------------------------------------------------

sdk::Millis wall_clock_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

sdk::WaitingElement make_timer(Id run_id, const std::string& element_id, sdk::Millis due_at) {
    sdk::WaitingElement timer;
    timer.run_id = run_id;
    timer.element_id = element_id;
    timer.due_at = due_at;
    return timer;
}

TYPED_TEST(StorageConformance, SettledTimersArePrunedOldestFirstPendingOnesStay) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "retimers");
    Id run_id = 0;
    auto ids = this->in_tx([&](sdk::StorageTx& tx) {
        auto run = tx.start_run(a, make_run(t, 1));
        auto other = tx.start_run(a, make_run(t, 2));
        run_id = run.id;
        std::vector<Id> ids;
        ids.push_back(tx.add_timer(a, make_timer(run.id, "Fired", 1000)));
        ids.push_back(tx.add_timer(a, make_timer(other.id, "CancelledLongAgo", 2000)));
        ids.push_back(tx.add_timer(a, make_timer(other.id, "CancelledNow", 3000)));
        // Pending however old: it has yet to fire.
        ids.push_back(tx.add_timer(a, make_timer(run.id, "Pending", 500)));
        EXPECT_TRUE(tx.claim_timer(a, ids[0]));
        EXPECT_EQ(tx.cancel_run_timers(a, other.id), 2);
        return ids;
    });
    // Settled long ago; the third settled just now.
    this->database_->execute("UPDATE waiting_elements SET settled_at = 1000 WHERE id = " +
                             std::to_string(ids[0]));
    this->database_->execute("UPDATE waiting_elements SET settled_at = 2000 WHERE id = " +
                             std::to_string(ids[1]));

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(5000, 0), 0);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(500, 10), 0);  // nothing settled that early
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(5000, 1), 1);  // a batch of one: the oldest
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(5000, 10), 1);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(5000, 10), 0);  // the recent one is in its window
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(wall_clock_ms() + 60'000, 10), 1);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(wall_clock_ms() + 60'000, 10), 0);
        auto due = tx.due_timers_all_accounts(wall_clock_ms(), 10);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].id, ids[3]);
    });

    // The newest timer stays even when settled, so an id is never handed out twice.
    const Id newest = this->in_tx([&](sdk::StorageTx& tx) {
        const Id id = tx.add_timer(a, make_timer(run_id, "Newest", 100));
        EXPECT_TRUE(tx.claim_timer(a, id));
        return id;
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(wall_clock_ms() + 60'000, 10), 0);
        const Id next = tx.add_timer(a, make_timer(run_id, "AfterNewest", 100));
        EXPECT_GT(next, newest);
    });
}

// The storage remembers which (run, element) rows it saw committed and skips
// the statements that could not change them (storage_sql::CommittedReach):
// what a transaction rolled back, whole or to a savepoint, must not count as
// committed, and what did commit is counted once, however often it comes.
TYPED_TEST(StorageConformance, ElementProgressCountsOnlyWhatCommittedAndEachRunOnce) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "reach");
    const auto run = this->in_tx([&](sdk::StorageTx& tx) {
        auto r = make_run(t, 20);
        r.version_id = t.version.id;
        return tx.start_run(a, r);
    });
    auto scored = [&](const std::string& element, double score) {
        auto e = entry(run.id, element, "user");
        e.score = score;
        e.maxscore = 2;
        return e;
    };
    {  // rolled back whole
        auto tx = this->storage_->begin();
        tx->append_conversation(a, scored("Quiz_1", 2));
    }
    this->in_tx([&](sdk::StorageTx& tx) {  // rolled back to a savepoint
        tx.append_conversation(a, entry(run.id, "Intro", "bot"));
        tx.savepoint();
        tx.append_conversation(a, scored("End", 1));
        tx.rollback_to_savepoint();
    });
    for (int i = 0; i < 2; ++i)
        this->in_tx([&](sdk::StorageTx& tx) {
            tx.append_conversation(a, entry(run.id, "Intro", "bot"));
            tx.append_conversation(a, scored("Quiz_1", 1 + i));
            tx.append_conversation(a, scored("End", 2 - i));
        });
    this->in_tx([&](sdk::StorageTx& tx) {
        std::map<std::string, sdk::ElementProgress> progress;
        for (const auto& p : tx.element_progress(a, t.version.id)) progress[p.element_id] = p;
        ASSERT_EQ(progress.size(), 3u);
        EXPECT_EQ(progress["Intro"].reached, 1);
        EXPECT_EQ(progress["Quiz_1"].reached, 1);
        EXPECT_EQ(progress["Quiz_1"].scored, 1);
        EXPECT_DOUBLE_EQ(progress["Quiz_1"].score_sum, 1)
            << "the first committed answer, not the rolled-back 2";
        EXPECT_EQ(progress["End"].reached, 1);
        EXPECT_EQ(progress["End"].scored, 1);
        EXPECT_DOUBLE_EQ(progress["End"].score_sum, 2);
    });
}

// Version 10 reads the version a run plays out of its state, and counts
// what the conversation written so far says each run reached and scored.
// The panel's preview chat plays courses through the real engine on the
// account's preview bot; what the creator does there is no student's doing.
TYPED_TEST(StorageConformance, PreviewRunsStayOutOfAnalyticsExportsAndRunLists) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "preview");
    const auto [real, trial] = this->in_tx([&](sdk::StorageTx& tx) {
        auto preview_bot = make_bot("preview-1");
        preview_bot.mode = "preview";
        preview_bot = tx.create_bot(a, preview_bot);
        EXPECT_EQ(preview_bot.mode, "preview");
        sdk::CourseDeployment d;
        d.course_id = t.course.id;
        d.version_id = t.version.id;
        d.bot_id = preview_bot.id;
        d.environment = "preview";
        d = tx.create_deployment(a, d);
        EXPECT_EQ(d.environment, "preview");

        auto student = make_run(t, 10);
        student.version_id = t.version.id;
        auto creator = make_run(t, 11);
        creator.bot_id = preview_bot.id;
        creator.deployment_id = d.id;
        creator.version_id = t.version.id;
        creator.preview = true;
        const auto real = tx.start_run(a, student);
        const auto trial = tx.start_run(a, creator);
        EXPECT_FALSE(real.preview);
        EXPECT_TRUE(trial.preview);
        EXPECT_TRUE(tx.get_run(a, trial.id)->preview);
        for (const auto* run : {&real, &trial}) {
            auto e = entry(run->id, "Quiz_1", "user");
            e.score = 1;
            e.maxscore = 1;
            tx.append_conversation(a, e);
        }
        return std::pair(real, trial);
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        std::int64_t counted = 0;
        for (const auto& c : tx.run_status_counts(a, {})) counted += c.runs;
        EXPECT_EQ(counted, 1) << "the preview run is not counted";
        std::int64_t started = 0;
        for (const auto& c : tx.run_cohorts(a, {})) started += c.started;
        EXPECT_EQ(started, 1);
        std::int64_t sourced = 0;
        for (const auto& s : tx.run_sources(a, {})) sourced += s.started;
        EXPECT_EQ(sourced, 1);
        const auto progress = tx.element_progress(a, t.version.id);
        ASSERT_EQ(progress.size(), 1u);
        EXPECT_EQ(progress[0].reached, 1) << "the preview run reached Quiz_1 too, uncounted";
        EXPECT_EQ(progress[0].scored, 1);
        const auto page = tx.conversation_page(a, {}, 0, 100);
        ASSERT_EQ(page.size(), 1u);
        EXPECT_EQ(page[0].run_id, real.id);

        sdk::RunFilter filter;
        auto listed = tx.list_runs(a, filter);
        ASSERT_EQ(listed.size(), 1u);
        EXPECT_EQ(listed[0].id, real.id);
        filter.preview = true;
        listed = tx.list_runs(a, filter);
        ASSERT_EQ(listed.size(), 1u);
        EXPECT_EQ(listed[0].id, trial.id);
    });
    // Neither mode nor environment takes anything else.
    EXPECT_THROW(this->in_tx([&](sdk::StorageTx& tx) {
        auto bot = make_bot("odd_bot");
        bot.mode = "carrier-pigeon";
        tx.create_bot(a, bot);
    }),
                 StorageError);
}

TYPED_TEST(StorageConformance, PendingRunTimersAreTheRunsOwnSoonestFirst) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "timers");
    const auto [run, other] = this->in_tx([&](sdk::StorageTx& tx) {
        return std::pair(tx.start_run(a, make_run(t, 1)).id, tx.start_run(a, make_run(t, 2)).id);
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        for (const auto& [run_id, due] :
             {std::pair(run, 3000), std::pair(run, 1000), std::pair(other, 500), std::pair(run, 2000)}) {
            sdk::WaitingElement timer;
            timer.run_id = run_id;
            timer.element_id = "Intro";
            timer.due_at = due;
            tx.add_timer(a, timer);
        }
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        auto pending = tx.pending_run_timers(a, run);
        ASSERT_EQ(pending.size(), 3u);
        EXPECT_EQ(pending[0].due_at, 1000);
        EXPECT_EQ(pending[1].due_at, 2000);
        EXPECT_EQ(pending[2].due_at, 3000);
        EXPECT_TRUE(tx.claim_timer(a, pending[0].id));
        pending = tx.pending_run_timers(a, run);
        ASSERT_EQ(pending.size(), 2u) << "a fired timer is no longer pending";
        EXPECT_EQ(pending[0].due_at, 2000);
        tx.cancel_run_timers(a, run);
        EXPECT_TRUE(tx.pending_run_timers(a, run).empty());
        EXPECT_EQ(tx.pending_run_timers(a, other).size(), 1u);
    });
}

TYPED_TEST(StorageConformance, BotHealthIsKeptPerBotOfTheAccount) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "health");
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.list_bot_health(a).empty()) << "nothing reported yet";
        sdk::BotHealth h;
        h.bot_id = t.bot.id;
        h.state = "failing";
        h.last_error = "getUpdates: Unauthorized";
        h.last_error_at = 1000;
        h.updated_at = 1000;
        EXPECT_TRUE(tx.record_bot_health(a, h));
        h.state = "polling";
        h.last_error.clear();
        h.last_error_at = 0;
        h.updated_at = 2000;
        EXPECT_TRUE(tx.record_bot_health(a, h));  // recovered: the last error stays on record
        h.bot_id = t.bot.id + 1000;
        EXPECT_FALSE(tx.record_bot_health(a, h)) << "no such bot";
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        const auto health = tx.list_bot_health(a);
        ASSERT_EQ(health.size(), 1u);
        EXPECT_EQ(health[0].bot_id, t.bot.id);
        EXPECT_EQ(health[0].state, "polling");
        EXPECT_EQ(health[0].last_error, "getUpdates: Unauthorized");
        EXPECT_EQ(health[0].last_error_at, 1000);
        EXPECT_EQ(health[0].updated_at, 2000);
    });
    // A bot's health goes with it.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto spare = tx.create_bot(a, make_bot("spare_bot"));
        sdk::BotHealth h;
        h.bot_id = spare.id;
        h.state = "stopped";
        EXPECT_TRUE(tx.record_bot_health(a, h));
        EXPECT_TRUE(tx.delete_bot(a, spare.id));
        EXPECT_EQ(tx.list_bot_health(a).size(), 1u);
    });
}

TYPED_TEST(StorageConformance, MigrationCountsProgressAlreadyWritten) {
    typename TypeParam::Database fresh;
    auto storage = this->open(fresh);
    storage->migrate(9);
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        Tenant early;
        early.account = a;
        early.bot = tx.create_bot(a, make_bot("early_bot"));
        early.course = tx.create_course(a, "early course");
        early.version = tx.create_version(a, early.course.id, "course.yaml", sample_elements());
        sdk::CourseDeployment d;
        d.course_id = early.course.id;
        d.version_id = early.version.id;
        d.bot_id = early.bot.id;
        early.deployment = tx.create_deployment(a, d);
        return early;
    });
    const auto v = std::to_string(t.version.id);
    for (int chat : {1, 2})
        fresh.execute(
            "INSERT INTO runs (account_id, bot_id, deployment_id, chat_id, user_id, status, is_active, "
            "state_json, started_at, updated_at) VALUES (1, " +
            std::to_string(t.bot.id) + ", " + std::to_string(t.deployment.id) + ", " + std::to_string(chat) +
            ", " + std::to_string(chat) + ", 'active', 1, '{\"version\":" + v + ",\"activation\":1}', 1, 1)");
    // Run 1 reached Intro twice and Quiz_1, scoring 1 of 2, then 2 of 2; run 2 only Intro.
    for (const auto& [run, element, score] :
         {std::tuple(1, "Intro", "NULL"), std::tuple(1, "Intro", "NULL"), std::tuple(1, "Quiz_1", "1"),
          std::tuple(1, "Quiz_1", "2"), std::tuple(2, "Intro", "NULL")})
        fresh.execute(
            "INSERT INTO conversation (account_id, run_id, element_id, role, score, maxscore, created_at) "
            "VALUES (1, " +
            std::to_string(run) + ", '" + element + "', 'user', " + score + ", " +
            (std::string(score) == "NULL" ? "NULL" : "2") + ", 5)");
    storage->migrate();
    this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.get_run(a, 1)->version_id, t.version.id);
        std::map<std::string, sdk::ElementProgress> progress;
        for (const auto& p : tx.element_progress(a, t.version.id)) progress[p.element_id] = p;
        ASSERT_EQ(progress.size(), 2u);
        EXPECT_EQ(progress["Intro"].reached, 2);
        EXPECT_EQ(progress["Intro"].scored, 0);
        EXPECT_EQ(progress["Quiz_1"].reached, 1);
        EXPECT_EQ(progress["Quiz_1"].scored, 1);
        EXPECT_DOUBLE_EQ(progress["Quiz_1"].score_sum, 1);  // the first scored answer counts
        EXPECT_DOUBLE_EQ(progress["Quiz_1"].maxscore_sum, 2);
        // From here on the counters grow as the conversation is written.
        auto e = entry(2, "Quiz_1", "user");
        e.score = 2;
        e.maxscore = 2;
        tx.append_conversation(a, e);
        tx.append_conversation(a, e);  // a second answer there is not a second first one
        for (const auto& p : tx.element_progress(a, t.version.id))
            if (p.element_id == "Quiz_1") {
                EXPECT_EQ(p.reached, 2);
                EXPECT_EQ(p.scored, 2);
                EXPECT_DOUBLE_EQ(p.score_sum, 3);
            }
    });
}

// Version 15 chains each run's conversation: what was written before is
// found as it was, and what comes after follows it, rows an older release
// writes meanwhile included.
TYPED_TEST(StorageConformance, MigrationChainsTheConversationWrittenBefore) {
    typename TypeParam::Database fresh;
    auto storage = this->open(fresh);
    storage->migrate(14);
    const Id a = sdk::kDefaultAccountId;
    const Tenant t = this->in_tx(*storage, [&](sdk::StorageTx& tx) { return seed_tenant(tx, a, "chained"); });
    for (int chat : {1, 2, 3})
        fresh.execute(
            "INSERT INTO runs (account_id, bot_id, deployment_id, chat_id, user_id, status, is_active, "
            "started_at, updated_at) VALUES (1, " +
            std::to_string(t.bot.id) + ", " + std::to_string(t.deployment.id) + ", " + std::to_string(chat) +
            ", " + std::to_string(chat) + ", 'active', 1, 1, 1)");
    // Runs 1 and 2 take turns; run 3 has no conversation yet.
    const std::vector<std::pair<int, std::string>> rows = {{1, "a"}, {2, "b"}, {1, "c"}, {1, "d"}, {2, "e"}};
    for (const auto& [run, element] : rows)
        fresh.execute(
            "INSERT INTO conversation (account_id, run_id, element_id, role, created_at) VALUES (1, " +
            std::to_string(run) + ", '" + element + "', 'bot', 5)");
    storage->migrate();
    const auto elements = [&](sdk::StorageTx& tx, Id run) {
        std::string out;
        for (const auto& row : tx.conversation(a, run)) out += row.element_id;
        return out;
    };
    this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        EXPECT_EQ(elements(tx, 1), "acd");
        EXPECT_EQ(elements(tx, 2), "be");
        EXPECT_EQ(elements(tx, 3), "");
    });
    // A release before the chain, still running during the upgrade, writes a
    // row without a link: it is found all the same.
    fresh.execute(
        "INSERT INTO conversation (account_id, run_id, element_id, role, created_at) VALUES (1, 2, 'x', "
        "'bot', 6)");
    this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        tx.append_conversation_rows(a, {entry(1, "f", "bot"), entry(3, "g", "bot"), entry(2, "h", "bot")});
        tx.append_conversation(a, entry(1, "i", "user"));
    });
    this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        EXPECT_EQ(elements(tx, 1), "acdfi");
        EXPECT_EQ(elements(tx, 2), "bexh");
        EXPECT_EQ(elements(tx, 3), "g");
    });
}

TYPED_TEST(StorageConformance, MigrationGivesTimersSettledEarlierASettledTime) {
    typename TypeParam::Database fresh;
    auto storage = this->open(fresh);
    storage->migrate(kSettledTimersVersion - 1);
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        Tenant early;
        early.account = a;
        early.bot = tx.create_bot(a, make_bot("early_bot"));
        early.course = tx.create_course(a, "early course");
        early.version = tx.create_version(a, early.course.id, "course.yaml", sample_elements());
        return early;
    });
    // Today's deployment statements name archived_at (version 8): the row as that schema held it.
    fresh.execute(
        "INSERT INTO course_deployments (account_id, course_id, version_id, bot_id, environment, "
        "created_at) VALUES (1, " +
        std::to_string(t.course.id) + ", " + std::to_string(t.version.id) + ", " + std::to_string(t.bot.id) +
        ", 'prod', 1)");
    t.deployment.id = 1;  // the first row of a fresh table, on both backends
    // Today's run statements name version_id (version 10): the row as that schema held it.
    fresh.execute(
        "INSERT INTO runs (account_id, bot_id, deployment_id, chat_id, user_id, status, is_active, "
        "started_at, "
        "updated_at) VALUES (1, " +
        std::to_string(t.bot.id) + ", 1, 5, 5, 'active', 1, 1, 1)");
    const Id run = 1;
    // Today's timer statements name settled_at, which this schema lacks.
    for (const auto& [element, status, due, created] :
         {std::tuple("Fired", "fired", 1000, 900), std::tuple("Cancelled", "cancelled", 9'000'000, 2000),
          std::tuple("Pending", "pending", 3000, 1000)})
        fresh.execute(
            std::string("INSERT INTO waiting_elements (account_id, run_id, element_id, due_at, status, "
                        "created_at) VALUES (1, ") +
            std::to_string(run) + ", '" + element + "', " + std::to_string(due) + ", '" + status + "', " +
            std::to_string(created) + ")");
    fresh.execute(std::string("INSERT INTO waiting_elements (account_id, run_id, element_id, due_at, status, "
                              "created_at) VALUES (1, ") +
                  std::to_string(run) + ", 'Newest', 4000, 'pending', 4000)");
    storage->migrate();
    this->in_tx(*storage, [&](sdk::StorageTx& tx) {
        // A fired timer counts as settled when it was due, a cancelled one when it was made.
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(1000, 10), 0);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(1001, 10), 1);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(2001, 10), 1);
        EXPECT_EQ(tx.prune_settled_timers_all_accounts(wall_clock_ms(), 10), 0);
        EXPECT_EQ(tx.due_timers_all_accounts(wall_clock_ms(), 10).size(), 2u);
    });
}

TYPED_TEST(StorageConformance, FailedOutboxIsPrunedOldestFirstUnsentStays) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "reoutbox");
    auto ids = this->in_tx([&](sdk::StorageTx& tx) {
        std::vector<Id> ids;
        for (sdk::Millis at : {1000, 2000, 3000}) {
            auto m = make_message(t, 9, std::nullopt);
            m.next_attempt_at = at;
            ids.push_back(tx.enqueue_outbox(a, m));
        }
        // Unsent, however long it has waited.
        auto waiting = make_message(t, 10, std::nullopt);
        waiting.next_attempt_at = 500;
        ids.push_back(tx.enqueue_outbox(a, waiting));
        EXPECT_TRUE(tx.mark_outbox_failed(a, ids[0], "400 Bad Request"));
        EXPECT_TRUE(tx.mark_outbox_failed(a, ids[1], "400 Bad Request"));
        // Retried, then given up: its last attempt was due just now.
        EXPECT_TRUE(tx.mark_outbox_retry(a, ids[2], wall_clock_ms(), "502"));
        EXPECT_TRUE(tx.mark_outbox_failed(a, ids[2], "403 Forbidden"));
        return ids;
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(5000, 0), 0);
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(1000, 10), 0);
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(5000, 1), 1);
        auto chat = tx.list_outbox(a, t.bot.id, 9);
        ASSERT_EQ(chat.size(), 2u);
        EXPECT_EQ(chat[0].id, ids[1]);  // the oldest went first
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(5000, 10), 1);
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(5000, 10), 0);
        EXPECT_EQ(tx.prune_failed_outbox_all_accounts(wall_clock_ms() + 60'000, 10), 1);
        EXPECT_TRUE(tx.list_outbox(a, t.bot.id, 9).empty());
        auto pending = tx.pending_outbox_all_accounts(wall_clock_ms(), 10);
        ASSERT_EQ(pending.size(), 1u);
        EXPECT_EQ(pending[0].id, ids[3]);
    });
}

TYPED_TEST(StorageConformance, PollsOfEndedRunsArePrunedActiveRunsKeepTheirs) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "repolls");
    this->in_tx([&](sdk::StorageTx& tx) {
        auto active = tx.start_run(a, make_run(t, 1));
        auto ended = tx.start_run(a, make_run(t, 2));
        auto poll = [&](const sdk::Run& run, const std::string& id, sdk::Millis created_at) {
            sdk::PollRecord p;
            p.bot_id = t.bot.id;
            p.poll_id = id;
            p.run_id = run.id;
            p.element_id = "Quiz_1";
            p.created_at = created_at;
            tx.record_poll(a, p);
        };
        poll(active, "active-old", 1000);  // an answer may still come, however late
        poll(ended, "ended-1", 1000);
        poll(ended, "ended-2", 2000);
        poll(ended, "ended-now", wall_clock_ms());
        ended.active = false;
        ended.status = sdk::RunStatus::completed;
        ended.ended_at = wall_clock_ms();
        EXPECT_TRUE(tx.update_run(a, ended));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(5000, 0), 0);
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(1000, 10), 0);
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(5000, 1), 1);
        EXPECT_FALSE(tx.find_poll_all_accounts(t.bot.id, "ended-1"));  // the oldest went first
        EXPECT_TRUE(tx.find_poll_all_accounts(t.bot.id, "ended-2"));
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(5000, 10), 1);
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(5000, 10), 0);
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(wall_clock_ms() + 60'000, 10), 1);
        EXPECT_EQ(tx.prune_polls_of_ended_runs_all_accounts(wall_clock_ms() + 60'000, 10), 0);
        EXPECT_TRUE(tx.find_poll_all_accounts(t.bot.id, "active-old"));
    });
}

TYPED_TEST(StorageConformance, ReportsItsDurabilityFromTheDatabase) {
    const std::string durability = this->storage_->durability();
    if (std::string(TypeParam::kPluginId) == "sqlite")
        EXPECT_EQ(durability, "synchronous=normal");  // what the suite's options ask for
    else
        EXPECT_EQ(durability.rfind("synchronous_commit=", 0), 0u) << durability;
}

// The Telegram transport marks sent messages so. An unsynced transaction is
// begin()'s in every way but the wait for the disk, and leaves nothing behind
// on its connection: the next synced one there waits for the disk again.
TYPED_TEST(StorageConformance, AnUnsyncedTransactionCommitsRollsBackAndLeavesTheNextOneSynced) {
    auto options = this->database_->options();
    options.pool_size = 1;  // every transaction below on the same connection
    options.sqlite_synchronous = sdk::SqliteSynchronous::full;
    auto plugin = load_module(TypeParam::module());
    auto storage = plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(options));
    const std::string synced = storage->durability();
    if (std::string(TypeParam::kPluginId) == "sqlite") {
        EXPECT_EQ(synced, "synchronous=full");
    }
    const Id a = sdk::kDefaultAccountId;
    {
        auto tx = storage->begin_unsynced();
        tx->create_course(a, "kept");
        tx->commit();
    }
    EXPECT_EQ(storage->durability(), synced);
    {
        auto tx = storage->begin_unsynced();
        tx->create_course(a, "dropped");
    }  // destroyed without a commit
    EXPECT_EQ(storage->durability(), synced);
    {
        auto tx = storage->begin_unsynced();
        tx->create_course(a, "failed");
        EXPECT_THROW(tx->create_course(a, "kept"), sdk::StorageError);  // the name is taken
        EXPECT_THROW(tx->commit(), sdk::StorageError);
    }
    EXPECT_EQ(storage->durability(), synced);
    for (const char* name : {"second", "third"}) {
        auto tx = storage->begin_unsynced();
        tx->create_course(a, name);
        tx->commit();
    }
    this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_course(a, "synced"); });
    EXPECT_EQ(storage->durability(), synced);
    std::vector<std::string> names;
    for (const auto& c : this->in_tx(*this->storage_, [&](sdk::StorageTx& tx) { return tx.list_courses(a); }))
        names.push_back(c.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"kept", "second", "synced", "third"}));
}

// Storage::begin_read: the outbox scan and poll lookups of the Telegram
// transport. On one connection (a pool of one), reads and writes take turns:
// a read refuses writes and leaves the connection writing again after it.
TYPED_TEST(StorageConformance, AReadTransactionSeesCommitsRefusesWritesAndLeavesTheConnectionWriting) {
    auto options = this->database_->options();
    options.pool_size = 1;
    auto plugin = load_module(TypeParam::module());
    auto storage = plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(options));
    const Id a = sdk::kDefaultAccountId;
    this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_course(a, "before"); });
    {
        auto read = storage->begin_read();
        ASSERT_EQ(read->list_courses(a).size(), 1u);
        EXPECT_EQ(read->list_courses(a)[0].name, "before");
        EXPECT_THROW(read->create_course(a, "through a read"), sdk::StorageError);
    }  // ended without a commit, after a failed write
    this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_course(a, "after"); });
    {
        auto read = storage->begin_read();
        EXPECT_EQ(read->list_courses(a).size(), 2u);
        read->commit();
    }
    {
        auto tx = storage->begin_unsynced();
        tx->create_course(a, "unsynced");
        tx->commit();
    }
    std::vector<std::string> names;
    for (const auto& c : this->in_tx(*storage, [&](sdk::StorageTx& tx) { return tx.list_courses(a); }))
        names.push_back(c.name);
    std::sort(names.begin(), names.end());
    EXPECT_EQ(names, (std::vector<std::string>{"after", "before", "unsynced"}));
}

// A read neither waits for a writer that has not committed (on SQLite the
// writer holds the file, through its fsync) nor holds that writer's commit
// back, and it reads one snapshot: a commit made while it is open stays
// out of it.
TYPED_TEST(StorageConformance, AReadTransactionNeitherWaitsForAWriterNorHoldsItBack) {
    const Id a = sdk::kDefaultAccountId;
    this->in_tx(*this->storage_, [&](sdk::StorageTx& tx) { tx.create_course(a, "committed"); });
    auto writer = this->storage_->begin();
    writer->create_course(a, "pending");
    auto read = this->storage_->begin_read();
    ASSERT_EQ(read->list_courses(a).size(), 1u);
    writer->commit();
    EXPECT_EQ(read->list_courses(a).size(), 1u);
    read.reset();
    EXPECT_EQ(this->storage_->begin_read()->list_courses(a).size(), 2u);
}

// Reads leave a connection for writing: with every other one held by a read
// (the panel's exports, the transport's scans), a writer still begins at once.
TYPED_TEST(StorageConformance, AWriterBeginsHoweverManyReadsAreOpen) {
    auto options = this->database_->options();
    options.pool_size = 2;
    options.busy_timeout_ms = 2000;
    auto plugin = load_module(TypeParam::module());
    auto storage = plugin->keep_alive(plugin->template as<sdk::StoragePlugin>().open(options));
    const Id a = sdk::kDefaultAccountId;
    auto first = storage->begin_read();
    EXPECT_TRUE(first->list_courses(a).empty());
    std::atomic<bool> written{false};
    std::atomic<std::size_t> second_saw{99};
    std::thread second_reader([&] {
        auto second = storage->begin_read();  // waits while `first` holds the one connection reads may take
        second_saw = second->list_courses(a).size();
        for (int i = 0; i < 400 && !written; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const auto began = std::chrono::steady_clock::now();
    EXPECT_NO_THROW(this->in_tx(*storage, [&](sdk::StorageTx& tx) { tx.create_course(a, "written"); }));
    EXPECT_LT(std::chrono::steady_clock::now() - began, std::chrono::milliseconds(1500));
    written = true;
    first.reset();
    second_reader.join();
    EXPECT_EQ(second_saw, 1u) << "the second read began after the write";
}

// What the host's retention pass does over this backend: every kind, in
// batches, old rows out, recent and still-needed rows in.
TYPED_TEST(StorageConformance, RetentionSweepRemovesOnlyExpiredRowsInBatches) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "sweep");
    const sdk::Millis now = wall_clock_ms();
    constexpr sdk::Millis kDay = 86'400'000;
    host::Config::Retention policy;
    policy.batch_size = 2;
    policy.processed_updates = std::chrono::hours(25);
    policy.timers = std::chrono::hours(24 * 7);
    policy.polls = std::chrono::hours(24 * 7);
    policy.failed_outbox = std::chrono::hours(24 * 30);
    policy.panel_access = std::chrono::hours(24);

    Id pending_timer = 0;
    Id pending_message = 0;
    this->in_tx([&](sdk::StorageTx& tx) {
        for (std::int64_t u = 1; u <= 5; ++u) tx.mark_update_processed(a, t.bot.id, u);
        auto active = tx.start_run(a, make_run(t, 1));
        auto ended = tx.start_run(a, make_run(t, 2));
        for (int i = 0; i < 3; ++i) tx.claim_timer(a, tx.add_timer(a, make_timer(active.id, "Old", now)));
        tx.claim_timer(a, tx.add_timer(a, make_timer(active.id, "Recent", now)));
        pending_timer = tx.add_timer(a, make_timer(active.id, "Pending", now - 30 * kDay));
        for (int i = 0; i < 3; ++i) {
            sdk::PollRecord p;
            p.bot_id = t.bot.id;
            p.poll_id = "old-" + std::to_string(i);
            p.run_id = ended.id;
            p.element_id = "Quiz_1";
            p.created_at = now - 8 * kDay;
            tx.record_poll(a, p);
            p.poll_id = "active-" + std::to_string(i);
            p.run_id = active.id;
            tx.record_poll(a, p);
        }
        ended.active = false;
        ended.status = sdk::RunStatus::completed;
        tx.update_run(a, ended);
        for (sdk::Millis at : {now - 31 * kDay, now - 31 * kDay, now - 29 * kDay}) {
            auto m = make_message(t, 9, std::nullopt);
            m.next_attempt_at = at;
            tx.mark_outbox_failed(a, tx.enqueue_outbox(a, m), "400");
        }
        auto waiting = make_message(t, 10, std::nullopt);
        waiting.next_attempt_at = now - 60 * kDay;
        pending_message = tx.enqueue_outbox(a, waiting);
        // The panel: a session, a login link and a remembered login that
        // ended two days ago; a session that expired an hour ago.
        auto old_session = make_session(1, now - 2 * kDay);
        old_session.created_at = now - 3 * kDay;
        tx.create_panel_session_all_accounts(old_session);
        auto recent_session = make_session(2, now - 3'600'000);
        recent_session.created_at = now - 3 * kDay;
        tx.create_panel_session_all_accounts(recent_session);
        auto old_link = make_link(3, now - 2 * kDay);
        old_link.created_at = now - 3 * kDay;
        tx.create_login_link(a, old_link);
        tx.remember_telegram_login_all_accounts(digest(4), now - 2 * kDay);
    });
    // Three of the five updates and three of the four settled timers are old.
    this->database_->execute("UPDATE processed_updates SET processed_at = " +
                             std::to_string(now - 26 * 3'600'000) + " WHERE update_id <= 3");
    this->database_->execute("UPDATE waiting_elements SET settled_at = " + std::to_string(now - 8 * kDay) +
                             " WHERE element_id = 'Old'");

    const auto report = host::sweep_expired(*this->storage_, policy, now);
    EXPECT_EQ(report.processed_updates, 3);
    EXPECT_EQ(report.timers, 3);
    EXPECT_EQ(report.polls, 3);
    EXPECT_EQ(report.failed_outbox, 2);
    EXPECT_EQ(report.panel_access, 3);
    EXPECT_EQ(report.describe(),
              "3 processed update ids, 3 settled timers, 3 polls of ended runs, 2 failed outbox messages, 3 "
              "ended panel sessions, login links and Telegram logins");
    EXPECT_EQ(host::sweep_expired(*this->storage_, policy, now).total(), 0);

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 1));   // forgotten
        EXPECT_FALSE(tx.mark_update_processed(a, t.bot.id, 4));  // still remembered
        auto due = tx.due_timers_all_accounts(now, 10);
        ASSERT_EQ(due.size(), 1u);
        EXPECT_EQ(due[0].id, pending_timer);
        for (int i = 0; i < 3; ++i) {
            EXPECT_FALSE(tx.find_poll_all_accounts(t.bot.id, "old-" + std::to_string(i)));
            EXPECT_TRUE(tx.find_poll_all_accounts(t.bot.id, "active-" + std::to_string(i)));
        }
        EXPECT_EQ(tx.list_outbox(a, t.bot.id, 9).size(), 1u);  // failed 29 days ago
        auto pending = tx.pending_outbox_all_accounts(now, 10);
        ASSERT_EQ(pending.size(), 1u);
        EXPECT_EQ(pending[0].id, pending_message);
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(1)));
        EXPECT_TRUE(tx.find_panel_session_all_accounts(digest(2)));  // within its day
    });
    // One batch deletes at most batch_size rows.
    this->database_->execute("UPDATE processed_updates SET processed_at = 0");
    EXPECT_EQ(
        host::delete_expired_batch(*this->storage_, policy, host::RetentionKind::processed_updates, now), 2);
    EXPECT_EQ(
        host::delete_expired_batch(*this->storage_, policy, host::RetentionKind::processed_updates, now), 1);
    EXPECT_EQ(
        host::delete_expired_batch(*this->storage_, policy, host::RetentionKind::processed_updates, now), 0);
}

// --- Panel access ---------------------------------------------------------------------------

TYPED_TEST(StorageConformance, ApiKeysBelongToTheirAccountAndAreFoundByPrefix) {
    const Id a = sdk::kDefaultAccountId;
    const Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    Id first = 0;
    Id second = 0;
    Id others = 0;
    this->in_tx([&](sdk::StorageTx& tx) {
        auto key = make_api_key("pk_first", 1);
        key.role = "owner";
        key.created_at = 1000;
        first = tx.create_api_key(a, key);
        second = tx.create_api_key(a, make_api_key("pk_second", 2));
        // The record's own account_id is not what decides: the account named first is.
        auto foreign = make_api_key("pk_other", 3);
        foreign.account_id = a;
        others = tx.create_api_key(other, foreign);
    });
    EXPECT_NE(first, second);

    this->in_tx([&](sdk::StorageTx& tx) {
        const auto keys = tx.list_api_keys(a);
        ASSERT_EQ(keys.size(), 2u);
        EXPECT_EQ(keys[0].id, first);
        EXPECT_EQ(keys[0].account_id, a);
        EXPECT_EQ(keys[0].label, "key pk_first");
        EXPECT_EQ(keys[0].prefix, "pk_first");
        EXPECT_EQ(keys[0].secret_hash, digest(1));
        EXPECT_EQ(keys[0].role, "owner");
        EXPECT_EQ(keys[0].created_by_user_id, 42);
        EXPECT_EQ(keys[0].created_at, 1000);
        EXPECT_FALSE(keys[0].last_used_at);
        EXPECT_FALSE(keys[0].revoked_at);
        EXPECT_EQ(keys[1].id, second);
        EXPECT_GT(keys[1].created_at, 1000);  // stamped when left empty
        ASSERT_EQ(tx.list_api_keys(other).size(), 1u);
        EXPECT_EQ(tx.list_api_keys(other)[0].id, others);

        const auto found = tx.find_api_key_all_accounts("pk_other");
        ASSERT_TRUE(found);
        EXPECT_EQ(found->id, others);
        EXPECT_EQ(found->account_id, other);
        EXPECT_FALSE(tx.find_api_key_all_accounts("pk_nobody"));
        EXPECT_FALSE(tx.find_api_key_all_accounts("pk_FIRST"));  // prefixes compare exactly
    });

    // Uses: the latest stays, whatever order they commit in.
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.touch_api_key(a, first, 5000));
        EXPECT_TRUE(tx.touch_api_key(a, first, 4000));
        EXPECT_EQ(tx.find_api_key_all_accounts("pk_first")->last_used_at, std::optional<sdk::Millis>(5000));
        EXPECT_TRUE(tx.touch_api_key(a, first, 6000));
        EXPECT_EQ(tx.find_api_key_all_accounts("pk_first")->last_used_at, std::optional<sdk::Millis>(6000));
        EXPECT_FALSE(tx.touch_api_key(a, 999999, 6000));
        EXPECT_FALSE(tx.touch_api_key(a, others, 6000));  // another account's
    });

    // Revoked for good, and kept for the record.
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.revoke_api_key(a, second, 7000));
        EXPECT_FALSE(tx.revoke_api_key(a, second, 8000));
        EXPECT_FALSE(tx.revoke_api_key(a, 999999, 8000));
        EXPECT_FALSE(tx.revoke_api_key(a, others, 8000));
        EXPECT_FALSE(tx.touch_api_key(a, second, 9000));
        const auto revoked = tx.find_api_key_all_accounts("pk_second");
        ASSERT_TRUE(revoked);
        EXPECT_EQ(revoked->revoked_at, std::optional<sdk::Millis>(7000));
        EXPECT_FALSE(revoked->last_used_at);
        EXPECT_EQ(tx.list_api_keys(a).size(), 2u);
        EXPECT_FALSE(tx.find_api_key_all_accounts("pk_other")->revoked_at);
    });

    // A prefix is the platform's: taken in one account, taken in every other.
    expect_storage_error(
        Code::conflict,
        [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_api_key(a, make_api_key("pk_other", 4)); }); },
        "prefix 'pk_other'");
    auto refused = [&](const char* what, sdk::ApiKey key, Id account, const std::string& mentions) {
        SCOPED_TRACE(what);
        expect_storage_error(
            Code::invalid, [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_api_key(account, key); }); },
            mentions);
    };
    refused("empty prefix", make_api_key("", 5), a, "create_api_key: the key prefix is empty");
    auto key = make_api_key("pk_bad", 5);
    key.secret_hash = "pk_bad_the_key_itself";
    refused(
        "not a digest", key, a,
        "secret_hash must be a SHA-256 digest in lowercase hex, 64 digits (got 21 characters, not shown)");
    key.secret_hash = digest(5);
    key.secret_hash[0] = 'A';
    refused("upper case", key, a, "secret_hash must be a SHA-256 digest in lowercase hex");
    key.secret_hash = digest(5);
    key.role = "viewer";
    refused("role", key, a, "role must be owner or admin, not 'viewer'");
    refused("no such account", make_api_key("pk_lost", 6), 999999, "account 999999 does not exist");
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.list_api_keys(a).size(), 2u);
        EXPECT_FALSE(tx.find_api_key_all_accounts("pk_bad"));
    });
}

TYPED_TEST(StorageConformance, ALoginLinkSignsInOnceBeforeItExpires) {
    const Id a = sdk::kDefaultAccountId;
    const Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    constexpr sdk::Millis kMade = 1'000'000;
    constexpr sdk::Millis kExpires = kMade + 600'000;
    const Id link_id = this->in_tx([&](sdk::StorageTx& tx) {
        auto link = make_link(1, kExpires);
        link.created_at = kMade;
        link.account_id = other;  // the account named first decides
        const Id id = tx.create_login_link(a, link);
        EXPECT_NE(tx.create_login_link(other, make_link(2, kExpires)), id);
        return id;
    });

    // A rolled-back sign-in leaves the link as it was.
    {
        auto tx = this->storage_->begin();
        EXPECT_TRUE(tx->consume_login_link_all_accounts(digest(1), kMade + 1));
    }
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.consume_login_link_all_accounts(digest(99), kMade + 1));  // unknown
        // At the moment it expires it is expired already, and stays unused.
        EXPECT_FALSE(tx.consume_login_link_all_accounts(digest(1), kExpires));
        const auto used = tx.consume_login_link_all_accounts(digest(1), kExpires - 1);
        ASSERT_TRUE(used);
        EXPECT_EQ(used->id, link_id);
        EXPECT_EQ(used->account_id, a);
        EXPECT_EQ(used->token_hash, digest(1));
        EXPECT_EQ(used->created_at, kMade);
        EXPECT_EQ(used->expires_at, kExpires);
        EXPECT_EQ(used->used_at, std::optional<sdk::Millis>(kExpires - 1));
        EXPECT_FALSE(tx.consume_login_link_all_accounts(digest(1), kExpires - 1));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.consume_login_link_all_accounts(digest(1), kMade + 2));  // used, for good
        EXPECT_EQ(tx.consume_login_link_all_accounts(digest(2), kMade + 2)->account_id, other);
    });

    expect_storage_error(
        Code::conflict,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) { tx.create_login_link(other, make_link(1, kExpires)); });
        },
        "a login link with that token already exists");
    auto refused = [&](const char* what, sdk::LoginLink link, Id account, const std::string& mentions) {
        SCOPED_TRACE(what);
        expect_storage_error(
            Code::invalid,
            [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_login_link(account, link); }); }, mentions);
    };
    auto link = make_link(3, kExpires);
    link.token_hash = "short";
    refused("not a digest", link, a, "create_login_link: token_hash must be a SHA-256 digest");
    link = make_link(3, kMade);
    link.created_at = kMade;
    refused("expired when made", link, a, "the link would expire (1000000) before it was made (1000000)");
    link = make_link(3, 0);
    link.created_at = 0;
    refused("no link without an expiry", link, a, "the link would expire (0) before it was made (");
    refused("no such account", make_link(3, kExpires), 999999, "account 999999 does not exist");
}

// Several processes serve the panel: a link opened twice at once (a double
// click, a replayed request) signs in exactly one of them.
TYPED_TEST(StorageConformance, ALoginLinkGoesToExactlyOneOfConcurrentSignIns) {
    const Id a = sdk::kDefaultAccountId;
    constexpr int kRounds = 3;
    constexpr int kConsumers = 6;
    const sdk::Millis now = 1'000'000;
    this->in_tx([&](sdk::StorageTx& tx) {
        for (int round = 0; round < kRounds; ++round) tx.create_login_link(a, make_link(round, now + 60'000));
    });
    auto second_storage = this->open(*this->database_);
    for (int round = 0; round < kRounds; ++round) {
        SCOPED_TRACE("round " + std::to_string(round));
        std::barrier start(kConsumers);
        std::atomic<int> granted{0};
        std::atomic<int> errors{0};
        auto consume = [&](sdk::Storage& storage) {
            start.arrive_and_wait();
            try {
                auto tx = storage.begin();
                if (tx->consume_login_link_all_accounts(digest(round), now)) ++granted;
                // Keeps the transaction open so the others really overlap it.
                std::this_thread::sleep_for(std::chrono::milliseconds(30));
                tx->commit();
            } catch (const std::exception&) {
                ++errors;
            }
        };
        std::vector<std::thread> consumers;
        for (int i = 0; i < kConsumers; ++i)
            consumers.emplace_back(consume, std::ref(i % 2 == 0 ? *this->storage_ : *second_storage));
        for (auto& consumer : consumers) consumer.join();
        EXPECT_EQ(errors.load(), 0);
        EXPECT_EQ(granted.load(), 1);
    }
}

TYPED_TEST(StorageConformance, PanelSessionsAreFoundByTokenSlidOnAndEnded) {
    const Id other = this->in_tx([](sdk::StorageTx& tx) { return tx.create_account("Other").id; });
    const Id session_id = this->in_tx([&](sdk::StorageTx& tx) {
        auto session = make_session(1, 5000);
        session.created_at = 1000;
        return tx.create_panel_session_all_accounts(session);
    });
    const Id pinned_id = this->in_tx([&](sdk::StorageTx& tx) {
        auto session = make_session(2, 5000);
        session.created_at = 1000;
        session.last_seen_at = 1500;
        session.pinned_account_id = other;
        return tx.create_panel_session_all_accounts(session);
    });
    EXPECT_NE(session_id, pinned_id);

    this->in_tx([&](sdk::StorageTx& tx) {
        const auto session = tx.find_panel_session_all_accounts(digest(1));
        ASSERT_TRUE(session);
        EXPECT_EQ(session->id, session_id);
        EXPECT_EQ(session->token_hash, digest(1));
        EXPECT_EQ(session->telegram_user_id, 42);
        EXPECT_EQ(session->username, "creator");
        EXPECT_EQ(session->first_name, "Ada");
        EXPECT_EQ(session->created_at, 1000);
        EXPECT_EQ(session->last_seen_at, 1000);  // seen when made, unless told otherwise
        EXPECT_EQ(session->expires_at, 5000);
        EXPECT_FALSE(session->pinned_account_id);
        const auto pinned = tx.find_panel_session_all_accounts(digest(2));
        ASSERT_TRUE(pinned);
        EXPECT_EQ(pinned->id, pinned_id);
        EXPECT_EQ(pinned->last_seen_at, 1500);
        EXPECT_EQ(pinned->pinned_account_id, std::optional<Id>(other));
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(3)));
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.touch_panel_session_all_accounts(session_id, 4000, 9000));
        EXPECT_FALSE(tx.touch_panel_session_all_accounts(999999, 4000, 9000));
        const auto slid = tx.find_panel_session_all_accounts(digest(1));
        EXPECT_EQ(slid->last_seen_at, 4000);
        EXPECT_EQ(slid->expires_at, 9000);
        EXPECT_EQ(tx.find_panel_session_all_accounts(digest(2))->expires_at, 5000);
    });

    // Signing out ends one session, not the user's others.
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.delete_panel_session_all_accounts(digest(1)));
        EXPECT_FALSE(tx.delete_panel_session_all_accounts(digest(1)));
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(1)));
        EXPECT_TRUE(tx.find_panel_session_all_accounts(digest(2)));
        EXPECT_FALSE(tx.touch_panel_session_all_accounts(session_id, 5000, 9000));
    });

    expect_storage_error(
        Code::conflict,
        [&] {
            this->in_tx(
                [&](sdk::StorageTx& tx) { tx.create_panel_session_all_accounts(make_session(2, 9000)); });
        },
        "a panel session with that token already exists");
    auto refused = [&](const char* what, const sdk::PanelSession& session, const std::string& mentions) {
        SCOPED_TRACE(what);
        expect_storage_error(
            Code::invalid,
            [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.create_panel_session_all_accounts(session); }); },
            mentions);
    };
    auto session = make_session(4, 9000);
    session.token_hash = digest(4).substr(1) + "g";
    refused("not a digest", session, "token_hash must be a SHA-256 digest");
    session = make_session(4, 9000);
    session.telegram_user_id = 0;
    refused("no user", session, "telegram_user_id must be a Telegram user id, not 0");
    session.telegram_user_id = -5;
    session.pinned_account_id = other;
    refused("a negative user", session, "telegram_user_id must be a Telegram user id, not -5");
    // A login link's session (the operator's) names no user: it is pinned.
    session.telegram_user_id = 0;
    session.token_hash = digest(6);
    this->in_tx([&](sdk::StorageTx& tx) {
        const auto id = tx.create_panel_session_all_accounts(session);
        EXPECT_EQ(tx.find_panel_session_all_accounts(session.token_hash)->id, id);
    });
    session = make_session(4, 2000);
    session.created_at = 1000;
    session.last_seen_at = 2000;
    refused("expired when seen", session, "the session would expire (2000) before it was last seen (2000)");
    session = make_session(4, 9000);
    session.pinned_account_id = 999999;
    refused("pinned to no account", session, "account 999999 does not exist");
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx(
                [&](sdk::StorageTx& tx) { tx.touch_panel_session_all_accounts(pinned_id, 6000, 6000); });
        },
        "touch_panel_session_all_accounts: the session would expire (6000) before it was last seen (6000)");
}

TYPED_TEST(StorageConformance, TelegramLoginDataIsAcceptedOnceUntilItExpires) {
    const sdk::Millis now = wall_clock_ms();
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(1), now + 86'400'000));
        EXPECT_FALSE(tx.remember_telegram_login_all_accounts(digest(1), now + 86'400'000));
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(2), now + 86'400'000));
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.remember_telegram_login_all_accounts(digest(1), now + 2 * 86'400'000));
    });
    // A login that was refused (rolled back) was never remembered.
    {
        auto tx = this->storage_->begin();
        EXPECT_TRUE(tx->remember_telegram_login_all_accounts(digest(3), now + 86'400'000));
    }
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(3), now + 86'400'000));
    });
    // Once it expired the entry is taken over, as if new (the widget's data
    // is too old by then to be accepted anyway), until it expires again.
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(4), now - 1000));
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(4), now + 86'400'000));
        EXPECT_FALSE(tx.remember_telegram_login_all_accounts(digest(4), now + 86'400'000));
    });
    expect_storage_error(
        Code::invalid,
        [&] {
            this->in_tx([&](sdk::StorageTx& tx) { tx.remember_telegram_login_all_accounts("", now + 1000); });
        },
        "remember_telegram_login_all_accounts: login_hash must be a SHA-256 digest");

    // The same login data presented to several processes at once gets in once.
    auto second_storage = this->open(*this->database_);
    constexpr int kPresenters = 6;
    std::barrier start(kPresenters);
    std::atomic<int> accepted{0};
    std::atomic<int> errors{0};
    auto present = [&](sdk::Storage& storage) {
        start.arrive_and_wait();
        try {
            auto tx = storage.begin();
            if (tx->remember_telegram_login_all_accounts(digest(5), now + 86'400'000)) ++accepted;
            std::this_thread::sleep_for(std::chrono::milliseconds(30));
            tx->commit();
        } catch (const std::exception&) {
            ++errors;
        }
    };
    std::vector<std::thread> presenters;
    for (int i = 0; i < kPresenters; ++i)
        presenters.emplace_back(present, std::ref(i % 2 == 0 ? *this->storage_ : *second_storage));
    for (auto& presenter : presenters) presenter.join();
    EXPECT_EQ(errors.load(), 0);
    EXPECT_EQ(accepted.load(), 1);
}

TYPED_TEST(StorageConformance, PanelAccessIsPrunedOnceItEndedOldestFirst) {
    const Id a = sdk::kDefaultAccountId;
    const sdk::Millis now = wall_clock_ms();
    constexpr sdk::Millis kHour = 3'600'000;
    this->in_tx([&](sdk::StorageTx& tx) {
        // Everything made three hours ago. Sessions: two expired, one live.
        for (const auto& [token, expires_at] :
             {std::pair(1u, now - 2 * kHour), std::pair(2u, now - kHour), std::pair(3u, now + kHour)}) {
            auto session = make_session(token, expires_at);
            session.created_at = now - 3 * kHour;
            tx.create_panel_session_all_accounts(session);
        }
        // Links: one expired unused, one used early (still before its
        // expiry), one used just now, one still open.
        for (const auto& [token, expires_at] : {std::pair(11u, now - kHour), std::pair(12u, now + kHour),
                                                std::pair(13u, now + kHour), std::pair(14u, now + kHour)}) {
            auto link = make_link(token, expires_at);
            link.created_at = now - 3 * kHour;
            tx.create_login_link(a, link);
        }
        EXPECT_TRUE(tx.consume_login_link_all_accounts(digest(12), now - kHour));
        EXPECT_TRUE(tx.consume_login_link_all_accounts(digest(13), now));
        // Remembered logins: one expired, one live.
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(21), now - kHour));
        EXPECT_TRUE(tx.remember_telegram_login_all_accounts(digest(22), now + kHour));
    });

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.prune_panel_access_all_accounts(now, 0), 0);
        EXPECT_EQ(tx.prune_panel_access_all_accounts(now - 10 * kHour, 100), 0);  // nothing ended that early
    });
    // Oldest first: the session that expired first goes first.
    EXPECT_EQ(this->in_tx([&](sdk::StorageTx& tx) { return tx.prune_panel_access_all_accounts(now, 1); }), 1);
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(1)));
        EXPECT_TRUE(tx.find_panel_session_all_accounts(digest(2)));
    });
    // The rest of what ended before `now`, two rows a call: a session, two
    // links, a login.
    std::vector<int> batches;
    for (int i = 0; i < 4; ++i)
        batches.push_back(
            this->in_tx([&](sdk::StorageTx& tx) { return tx.prune_panel_access_all_accounts(now, 2); }));
    EXPECT_EQ(batches, (std::vector<int>{2, 2, 0, 0}));

    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(1)));
        EXPECT_FALSE(tx.find_panel_session_all_accounts(digest(2)));
        EXPECT_TRUE(tx.find_panel_session_all_accounts(digest(3)));
        // The link used at `now` itself stays until a later pass; the open one works.
        EXPECT_FALSE(tx.consume_login_link_all_accounts(digest(13), now));
        EXPECT_TRUE(tx.consume_login_link_all_accounts(digest(14), now));
        EXPECT_FALSE(tx.remember_telegram_login_all_accounts(digest(22), now + kHour));
    });
    // Links 11 and 12 are gone: their tokens may be issued again.
    this->in_tx([&](sdk::StorageTx& tx) {
        tx.create_login_link(a, make_link(11, now + kHour));
        tx.create_login_link(a, make_link(12, now + kHour));
    });
    EXPECT_EQ(
        this->in_tx([&](sdk::StorageTx& tx) { return tx.prune_panel_access_all_accounts(now + 1, 100); }),
        2);  // links 13 and 14, used at `now`
}

// `profo serve` depends on this: connections get the synchronous mode the
// options name, FULL unless told otherwise.
TEST(SqliteDurability, SynchronousIsWhatTheOptionsSay) {
    auto plugin = load_module(SqliteBackend::module());
    for (const auto& [mode, expected] :
         {std::pair(std::optional<sdk::SqliteSynchronous>(), "synchronous=full"),
          std::pair(std::optional(sdk::SqliteSynchronous::full), "synchronous=full"),
          std::pair(std::optional(sdk::SqliteSynchronous::normal), "synchronous=normal")}) {
        SqliteBackend::Database database;
        auto options = database.options();
        options.sqlite_synchronous = mode.value_or(sdk::StorageOptions().sqlite_synchronous);
        auto storage = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(options));
        storage->migrate();
        EXPECT_EQ(storage->durability(), expected);
    }
}

// What begin_unsynced() is for: its commit does not wait for the disk, where
// a commit of begin() does (synchronous=full), before and after it.
TEST(SqliteDurability, AnUnsyncedCommitAsksForNoSyncWhereASyncedOneDoes) {
    install_sync_counting_vfs();  // before the storage opens its connections
    auto plugin = load_module(SqliteBackend::module());
    SqliteBackend::Database database;
    auto options = database.options();
    options.sqlite_synchronous = sdk::SqliteSynchronous::full;
    auto storage = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(options));
    storage->migrate();
    int course = 0;
    // The syncs of one commit: counted on this thread, so the background
    // checkpoint's own do not count.
    auto syncs_of_a_commit = [&](bool synced) {
        auto tx = synced ? storage->begin() : storage->begin_unsynced();
        tx->create_course(sdk::kDefaultAccountId, "course " + std::to_string(++course));
        const int before = syncs_on_this_thread();
        tx->commit();
        return syncs_on_this_thread() - before;
    };
    EXPECT_GT(syncs_of_a_commit(true), 0);
    EXPECT_EQ(syncs_of_a_commit(false), 0);
    EXPECT_EQ(syncs_of_a_commit(false), 0);
    EXPECT_GT(syncs_of_a_commit(true), 0);
    EXPECT_EQ(storage->durability(), "synchronous=full");
}

// The plugin puts a VFS of its own in SQLite's process-wide list (see
// plugins/storage/sqlite/coalescing_wal_vfs.hpp); once its module is gone,
// the process opens databases as it did before the module came.
TEST(SqliteDurability, OnceItsModuleIsUnloadedSqliteOpensDatabasesAsBefore) {
    const std::string module = SqliteBackend::module().string();
    if (void* loaded = dlopen(module.c_str(), RTLD_NOW | RTLD_NOLOAD)) {
        dlclose(loaded);
        GTEST_SKIP() << "the module stays loaded for the other tests of this process";
    }
    // Loaded alone, the module is what SOCI's SQLite library binds its C++
    // runtime's unique symbols to, and the dynamic linker then never unloads
    // it; the PostgreSQL module, loaded first, takes that part.
    auto postgres = load_module(PostgresBackend::module());
    SqliteBackend::Database database;
    sqlite3_vfs* const default_before = sqlite3_vfs_find(nullptr);
    {
        auto plugin = host::load_plugin_file(SqliteBackend::module());
        auto storage = plugin->as<sdk::StoragePlugin>().open(database.options());
        storage->migrate();
        EXPECT_NE(sqlite3_vfs_find(nullptr), default_before);
    }
    void* still_loaded = dlopen(module.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (still_loaded != nullptr) dlclose(still_loaded);
    ASSERT_EQ(still_loaded, nullptr) << "the module was not unloaded: this test shows nothing";

    EXPECT_EQ(sqlite3_vfs_find(nullptr), default_before);
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open_v2(database.options().dsn.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr),
              SQLITE_OK);
    EXPECT_EQ(sqlite3_exec(db, "SELECT COUNT(*) FROM accounts", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(db);
}

// --- Tenant isolation ------------------------------------------------------------------

// Everything account A owns, by id, for B to try its luck with.
struct Holdings {
    Tenant t;
    sdk::AccountMember member;
    sdk::EnrollmentToken token;
    sdk::Run run;
    Id entry = 0;
    Id timer = 0;
    sdk::Ban ban;
    sdk::Participant participant;
    Id message = 0;
    Id api_key = 0;
};

TYPED_TEST(StorageConformance, TenantsSeeOnlyTheirOwnRecords) {
    auto [a, b] = this->in_tx(
        [](sdk::StorageTx& tx) { return std::pair(tx.create_account("A").id, tx.create_account("B").id); });
    Holdings h = this->in_tx([&, a = a](sdk::StorageTx& tx) {
        Holdings h;
        h.t = seed_tenant(tx, a, "tenant_a");
        sdk::AccountMember member;
        member.telegram_user_id = 31;
        h.member = tx.add_member(a, member);
        sdk::EnrollmentToken token;
        token.deployment_id = h.t.deployment.id;
        token.type = "public";
        token.code = "A-CODE";
        h.token = tx.create_token(a, token);
        h.run = tx.start_run(a, make_run(h.t, 77));
        h.entry = tx.append_conversation(a, entry(h.run.id, "Intro", "bot"));
        sdk::WaitingElement timer;
        timer.run_id = h.run.id;
        timer.element_id = "Intro";
        timer.due_at = 1;
        h.timer = tx.add_timer(a, timer);
        sdk::Ban ban;
        ban.user_id = 99;
        h.ban = tx.ban(a, ban);
        sdk::Participant participant;
        participant.deployment_id = h.t.deployment.id;
        participant.user_id = 55;
        participant.username = "fifty_five";
        h.participant = tx.add_participant(a, participant);
        h.message = tx.enqueue_outbox(a, make_message(h.t, 77, h.run.id));
        EXPECT_TRUE(tx.mark_update_processed(a, h.t.bot.id, 1));
        sdk::PollRecord poll;
        poll.bot_id = h.t.bot.id;
        poll.poll_id = "a-poll";
        poll.run_id = h.run.id;
        poll.element_id = "Quiz_1";
        tx.record_poll(a, poll);
        h.api_key = tx.create_api_key(a, make_api_key("pk_a", 1));
        return h;
    });
    const Tenant& t = h.t;

    // Reads through B find nothing of A's.
    this->in_tx([&, b = b](sdk::StorageTx& tx) {
        EXPECT_TRUE(tx.list_members(b).empty());
        EXPECT_FALSE(tx.get_bot(b, t.bot.id));
        EXPECT_TRUE(tx.list_bots(b).empty());
        EXPECT_FALSE(tx.get_course(b, t.course.id));
        EXPECT_FALSE(tx.find_course(b, t.course.name));
        EXPECT_TRUE(tx.list_courses(b).empty());
        EXPECT_FALSE(tx.get_version(b, t.version.id));
        EXPECT_TRUE(tx.list_versions(b, t.course.id).empty());
        EXPECT_TRUE(tx.version_elements(b, t.version.id).empty());
        EXPECT_FALSE(tx.get_deployment(b, t.deployment.id));
        EXPECT_TRUE(tx.list_deployments(b).empty());
        EXPECT_FALSE(tx.find_deployment_by_alias(b, t.bot.id, t.deployment.legacy_alias));
        EXPECT_FALSE(tx.get_token(b, h.token.id));
        EXPECT_FALSE(tx.find_token(b, t.deployment.id, "A-CODE"));
        EXPECT_TRUE(tx.list_tokens(b, t.deployment.id).empty());
        EXPECT_FALSE(tx.get_run(b, h.run.id));
        EXPECT_FALSE(tx.active_run(b, t.bot.id, 77));
        EXPECT_TRUE(tx.list_runs(b, {}).empty());
        sdk::RunFilter by_bot;
        by_bot.bot_id = t.bot.id;
        EXPECT_TRUE(tx.list_runs(b, by_bot).empty());
        sdk::RunFilter by_chat;
        by_chat.chat_id = 77;
        by_chat.newest_first = true;
        EXPECT_TRUE(tx.list_runs(b, by_chat).empty());
        EXPECT_TRUE(tx.conversation(b, h.run.id).empty());
        EXPECT_TRUE(tx.list_bans(b).empty());
        EXPECT_FALSE(tx.is_banned(b, t.bot.id, 99));
        EXPECT_FALSE(tx.find_ban(b, t.bot.id, 99));
        EXPECT_TRUE(tx.list_participants(b, t.deployment.id).empty());
        EXPECT_FALSE(tx.is_participant(b, t.deployment.id, 55, "fifty_five"));
        EXPECT_TRUE(tx.list_outbox(b, t.bot.id, 77).empty());
        EXPECT_TRUE(tx.list_api_keys(b).empty());
    });

    // Changes through B change nothing of A's.
    this->in_tx([&, b = b](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.remove_member(b, h.member.id));
        sdk::Bot bot = t.bot;
        bot.username = "stolen_bot";
        EXPECT_FALSE(tx.update_bot(b, bot));
        EXPECT_FALSE(tx.set_bot_offset(b, t.bot.id, 5000));
        EXPECT_FALSE(tx.delete_bot(b, t.bot.id));
        EXPECT_FALSE(tx.rename_course(b, t.course.id, "Stolen"));
        EXPECT_FALSE(tx.delete_course(b, t.course.id));
        sdk::CourseDeployment d = t.deployment;
        d.active = false;
        EXPECT_FALSE(tx.update_deployment(b, d));
        EXPECT_FALSE(tx.consume_token(b, h.token.id));
        EXPECT_FALSE(tx.revoke_token(b, h.token.id));
        EXPECT_FALSE(tx.set_token_active(b, h.token.id, false));
        sdk::Run run = h.run;
        run.status = sdk::RunStatus::stopped;
        run.active = false;
        EXPECT_FALSE(tx.update_run(b, run));
        EXPECT_EQ(tx.cancel_run_timers(b, h.run.id), 0);
        EXPECT_FALSE(tx.claim_timer(b, h.timer));
        EXPECT_FALSE(tx.unban(b, h.ban.id));
        EXPECT_FALSE(tx.remove_participant(b, h.participant.id));
        EXPECT_FALSE(tx.mark_outbox_sent(b, h.message));
        EXPECT_FALSE(tx.mark_outbox_retry(b, h.message, 1, "x"));
        EXPECT_FALSE(tx.mark_outbox_failed(b, h.message, "x"));
        // Neither "seen before" nor "new" for a bot that is not B's.
        EXPECT_FALSE(tx.mark_update_processed(b, t.bot.id, 1));
        EXPECT_FALSE(tx.mark_update_processed(b, t.bot.id, 2));
        EXPECT_FALSE(tx.touch_api_key(b, h.api_key, 5000));
        EXPECT_FALSE(tx.revoke_api_key(b, h.api_key, 5000));
    });

    // Records of B cannot point at A's.
    auto refused = [&](const char* what, std::function<void(sdk::StorageTx&)> call) {
        SCOPED_TRACE(what);
        expect_storage_error(Code::invalid, [&] { this->in_tx(call); });
    };
    const Id bid = b;
    refused("version of A's course",
            [&](sdk::StorageTx& tx) { tx.create_version(bid, t.course.id, "x", sample_elements()); });
    refused("deployment of A's course, version and bot",
            [&](sdk::StorageTx& tx) { tx.create_deployment(bid, t.deployment); });
    refused("deployment on A's bot", [&](sdk::StorageTx& tx) {
        auto course = tx.create_course(bid, "B course");
        auto version = tx.create_version(bid, course.id, "b.yaml", sample_elements());
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = t.bot.id;
        tx.create_deployment(bid, d);
    });
    refused("token for A's deployment", [&](sdk::StorageTx& tx) {
        sdk::EnrollmentToken token = h.token;
        token.code = "B-CODE";
        tx.create_token(bid, token);
    });
    refused("run on A's bot and deployment", [&](sdk::StorageTx& tx) { tx.start_run(bid, make_run(t, 78)); });
    refused("conversation of A's run",
            [&](sdk::StorageTx& tx) { tx.append_conversation(bid, entry(h.run.id, "Intro", "user")); });
    refused("timer of A's run", [&](sdk::StorageTx& tx) {
        sdk::WaitingElement timer;
        timer.run_id = h.run.id;
        timer.element_id = "Intro";
        tx.add_timer(bid, timer);
    });
    refused("ban on A's bot", [&](sdk::StorageTx& tx) {
        sdk::Ban ban;
        ban.bot_id = t.bot.id;
        ban.user_id = 1;
        tx.ban(bid, ban);
    });
    refused("participant of A's deployment", [&](sdk::StorageTx& tx) {
        sdk::Participant p;
        p.deployment_id = t.deployment.id;
        p.user_id = 1;
        tx.add_participant(bid, p);
    });
    refused("outbox message for A's bot",
            [&](sdk::StorageTx& tx) { tx.enqueue_outbox(bid, make_message(t, 77, std::nullopt)); });
    refused("poll of A's bot and run", [&](sdk::StorageTx& tx) {
        sdk::PollRecord poll;
        poll.bot_id = t.bot.id;
        poll.poll_id = "b-poll";
        poll.run_id = h.run.id;
        poll.element_id = "Quiz_1";
        tx.record_poll(bid, poll);
    });

    // A's records are as they were.
    this->in_tx([&, a = a](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.list_members(a).size(), 1u);
        auto bot = tx.get_bot(a, t.bot.id);
        ASSERT_TRUE(bot);
        EXPECT_EQ(bot->username, t.bot.username);
        EXPECT_EQ(bot->update_offset, 0);
        EXPECT_EQ(tx.get_course(a, t.course.id)->name, t.course.name);
        EXPECT_TRUE(tx.get_deployment(a, t.deployment.id)->active);
        auto token = tx.get_token(a, h.token.id);
        EXPECT_EQ(token->uses, 0);
        EXPECT_FALSE(token->revoked);
        auto run = tx.get_run(a, h.run.id);
        EXPECT_EQ(run->status, sdk::RunStatus::active);
        EXPECT_TRUE(run->active);
        EXPECT_EQ(tx.conversation(a, h.run.id).size(), 1u);
        EXPECT_EQ(tx.due_timers_all_accounts(10, 10).size(), 1u);
        EXPECT_EQ(tx.list_bans(a).size(), 1u);
        EXPECT_EQ(tx.list_participants(a, t.deployment.id).size(), 1u);
        auto outbox = tx.list_outbox(a, t.bot.id, 77);
        ASSERT_EQ(outbox.size(), 1u);
        EXPECT_EQ(outbox[0].status, "pending");
        EXPECT_EQ(outbox[0].attempts, 0);
        EXPECT_TRUE(tx.mark_update_processed(a, t.bot.id, 2));
        EXPECT_FALSE(tx.find_poll_all_accounts(t.bot.id, "b-poll"));
        EXPECT_EQ(tx.find_poll_all_accounts(t.bot.id, "a-poll")->account_id, a);
        const auto keys = tx.list_api_keys(a);
        ASSERT_EQ(keys.size(), 1u);
        EXPECT_FALSE(keys[0].last_used_at);
        EXPECT_FALSE(keys[0].revoked_at);
        // The views across accounts are not scoped.
        EXPECT_EQ(tx.list_bots_all_accounts().size(), 1u);
        EXPECT_EQ(tx.memberships_of(31).size(), 1u);
    });
}

// --- PostgreSQL specifics --------------------------------------------------------------

TEST(PostgresStorage, ReopensAConnectionTheServerDropped) {
    if (auto reason = PostgresBackend::unavailable()) {
        const char* required = std::getenv("PROFO_REQUIRE_PG");
        if (required != nullptr && std::string(required) == "1") FAIL() << *reason << " (PROFO_REQUIRE_PG=1)";
        GTEST_SKIP() << *reason;
    }
    const std::string application = "profo_dropped_" + std::to_string(getpid());
    PostgresBackend::Database database;
    sdk::StorageOptions options = database.options();
    options.dsn += " application_name=" + application;
    options.pool_size = 1;
    auto plugin = load_module(PostgresBackend::module());
    auto storage = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(options));
    storage->migrate();
    {
        auto tx = storage->begin();
        tx->create_account("Before");
        tx->commit();
    }
    PostgresBackend::Database::drop_sessions(application);
    // The pooled connection is dead; begin() notices and opens a new one.
    auto tx = storage->begin();
    EXPECT_EQ(tx->list_accounts().size(), 2u);
    tx->create_account("After");
    tx->commit();
}

// --- SQLite specifics ------------------------------------------------------------------

TEST(SqliteStorage, InMemoryDatabaseWorks) {
    auto plugin = load_module(SqliteBackend::module());
    sdk::StorageOptions options;
    options.dsn = ":memory:";
    auto storage = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(options));
    storage->migrate();
    auto tx = storage->begin();
    Tenant t = seed_tenant(*tx, sdk::kDefaultAccountId, "memory");
    tx->start_run(sdk::kDefaultAccountId, make_run(t, 1));
    tx->commit();
    auto check = storage->begin();
    EXPECT_EQ(check->list_runs(sdk::kDefaultAccountId, {}).size(), 1u);
}

// Commits only append to the write-ahead log; copying it into the database
// file (and its fsyncs) happens on a thread of the storage's own, not inside
// a commit that every other transaction then waits for. Until a checkpoint
// the file holds only the first page, written when it switched to WAL.
TEST(SqliteStorage, TheLogReachesTheDatabaseFileWithoutACommitCopyingIt) {
    SqliteBackend::Database database;
    auto plugin = load_module(SqliteBackend::module());
    auto storage = plugin->keep_alive(plugin->as<sdk::StoragePlugin>().open(database.options()));
    storage->migrate();
    {
        auto tx = storage->begin();
        tx->create_account("checkpointed");
        tx->commit();
    }
    const std::filesystem::path file = database.options().dsn;
    constexpr std::uintmax_t kFirstPage = 1024;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::filesystem::file_size(file) <= kFirstPage && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    EXPECT_GT(std::filesystem::file_size(file), kFirstPage) << "nothing copied the log into the database";
    auto tx = storage->begin();
    const auto accounts = tx->list_accounts();
    EXPECT_TRUE(std::any_of(accounts.begin(), accounts.end(),
                            [](const auto& a) { return a.name == "checkpointed"; }));
}

TEST(SqliteStorage, RefusesAnEmptyPath) {
    auto plugin = load_module(SqliteBackend::module());
    expect_storage_error(Code::invalid,
                         [&] { plugin->as<sdk::StoragePlugin>().open(sdk::StorageOptions{}); });
}

// --- Group commit: savepoints and chat locks (2.6) ---------------------------------

TYPED_TEST(StorageConformance, ASavepointUndoesOnlyWhatCameAfterIt) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "savepoint");
    auto tx = this->storage_->begin();
    EXPECT_TRUE(tx->mark_update_processed(t.account, t.bot.id, 1));
    tx->savepoint();
    EXPECT_TRUE(tx->mark_update_processed(t.account, t.bot.id, 2));
    tx->rollback_to_savepoint();
    tx->savepoint();
    EXPECT_TRUE(tx->mark_update_processed(t.account, t.bot.id, 3));
    tx->release_savepoint();
    tx->commit();
    this->in_tx([&](sdk::StorageTx& check) {
        EXPECT_FALSE(check.mark_update_processed(t.account, t.bot.id, 1));
        EXPECT_TRUE(check.mark_update_processed(t.account, t.bot.id, 2));  // rolled back
        EXPECT_FALSE(check.mark_update_processed(t.account, t.bot.id, 3));
    });
}

// A transaction remembers what it read and wrote of a run (its version, whether
// it is active, the elements it reached) to spare statements; what a savepoint
// undid must be written again, not taken as done.
TYPED_TEST(StorageConformance, WhatASavepointUndidOfARunIsWrittenAgain) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "sp_run");
    const sdk::Id a = t.account;
    const auto run = this->in_tx([&](sdk::StorageTx& tx) {
        auto wanted = make_run(t, 31);
        wanted.version_id = t.version.id;
        return tx.start_run(a, wanted);
    });
    auto tx = this->storage_->begin();
    ASSERT_TRUE(tx->active_run(a, t.bot.id, 31));
    for (int attempt = 0; attempt < 2; ++attempt) {
        tx->savepoint();
        auto answer = entry(run.id, "Quiz_1", "user");
        answer.score = 1;
        answer.maxscore = 2;
        tx->append_conversation(a, answer);
        auto ended = *tx->get_run(a, run.id);
        ended.active = false;
        ended.status = sdk::RunStatus::completed;
        ASSERT_TRUE(tx->update_run(a, ended));
        if (attempt == 0)
            tx->rollback_to_savepoint();
        else
            tx->release_savepoint();
    }
    tx->commit();
    this->in_tx([&](sdk::StorageTx& check) {
        EXPECT_FALSE(check.active_run(a, t.bot.id, 31)) << "the second try ended the run again";
        EXPECT_FALSE(check.get_run(a, run.id)->active);
        const auto progress = check.element_progress(a, t.version.id);
        ASSERT_EQ(progress.size(), 1u);
        EXPECT_EQ(progress[0].reached, 1) << "the second try reached Quiz_1 again";
        EXPECT_EQ(progress[0].scored, 1);
        EXPECT_DOUBLE_EQ(progress[0].score_sum, 1);
    });
}

// update_run leaves status and ended_at out of its UPDATE when the run it
// read in this transaction has them already; each change after that still
// counts, however many updates one transaction makes.
TYPED_TEST(StorageConformance, EveryRunUpdateOfATransactionIsStoredWhetherItsStatusChangesOrNot) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "run_updates");
    const sdk::Id a = t.account;
    const auto started = this->in_tx([&](sdk::StorageTx& tx) { return tx.start_run(a, make_run(t, 41)); });
    const auto stored = [&] {
        return this->in_tx([&](sdk::StorageTx& tx) { return *tx.get_run(a, started.id); });
    };
    this->in_tx([&](sdk::StorageTx& tx) {
        auto run = *tx.active_run(a, t.bot.id, 41);
        run.cursor = "Quiz_1";
        ASSERT_TRUE(tx.update_run(a, run));  // status as read
        run.status = sdk::RunStatus::completed;
        run.ended_at = run.started_at + 5;
        run.cursor = "End";
        ASSERT_TRUE(tx.update_run(a, run));  // status changes
        run.state_json = R"({"activation":9})";
        ASSERT_TRUE(tx.update_run(a, run));  // as the last update left it
    });
    auto run = stored();
    EXPECT_EQ(run.status, sdk::RunStatus::completed);
    EXPECT_EQ(run.ended_at, started.started_at + 5);
    EXPECT_EQ(run.cursor, "End");
    EXPECT_EQ(run.state_json, R"({"activation":9})");
    this->in_tx([&](sdk::StorageTx& tx) {
        auto again = *tx.get_run(a, started.id);
        again.status = sdk::RunStatus::active;  // back, within one transaction
        again.ended_at.reset();
        ASSERT_TRUE(tx.update_run(a, again));
        again.status = sdk::RunStatus::stopped;
        again.ended_at = started.started_at + 7;
        ASSERT_TRUE(tx.update_run(a, again));
    });
    run = stored();
    EXPECT_EQ(run.status, sdk::RunStatus::stopped);
    EXPECT_EQ(run.ended_at, started.started_at + 7);
    // A run this transaction did not read is written whole.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto unread = run;
        unread.status = sdk::RunStatus::completed;
        unread.cursor = "Elsewhere";
        ASSERT_TRUE(tx.update_run(a, unread));
    });
    EXPECT_EQ(stored().status, sdk::RunStatus::completed);
    EXPECT_EQ(stored().cursor, "Elsewhere");
    this->in_tx([&](sdk::StorageTx& tx) {
        auto read = *tx.get_run(a, started.id);
        read.ended_at = started.started_at + 9;  // the same status, another end
        ASSERT_TRUE(tx.update_run(a, read));
    });
    EXPECT_EQ(stored().ended_at, started.started_at + 9);
    this->in_tx([&](sdk::StorageTx& tx) {
        auto read = *tx.get_run(a, started.id);
        read.status = sdk::RunStatus::stopped;  // another status, the same end
        ASSERT_TRUE(tx.update_run(a, read));
    });
    EXPECT_EQ(stored().status, sdk::RunStatus::stopped);
}

TYPED_TEST(StorageConformance, AFailureInsideASavepointIsUndoneWithItAndTheTransactionGoesOn) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "sp_fail");
    auto tx = this->storage_->begin();
    tx->create_course(t.account, "kept before");
    tx->savepoint();
    tx->create_course(t.account, "undone");
    expect_storage_error(Code::conflict, [&] { tx->create_course(t.account, t.course.name); });
    expect_storage_error(
        Code::invalid, [&] { tx->list_courses(t.account); }, "roll it back");
    tx->rollback_to_savepoint();
    tx->create_course(t.account, "kept after");
    tx->commit();
    std::set<std::string> names;
    for (const auto& c : this->in_tx([&](sdk::StorageTx& check) { return check.list_courses(t.account); }))
        names.insert(c.name);
    EXPECT_EQ(names, (std::set<std::string>{t.course.name, "kept before", "kept after"}));
}

// Misuse is refused like any failed call: the transaction is left for rollback.
TYPED_TEST(StorageConformance, SavepointsDoNotNestAndNeedOneOpen) {
    {
        auto tx = this->storage_->begin();
        expect_storage_error(
            Code::invalid, [&] { tx->release_savepoint(); }, "no savepoint");
    }
    auto tx = this->storage_->begin();
    tx->savepoint();
    expect_storage_error(
        Code::invalid, [&] { tx->savepoint(); }, "do not nest");
}

TYPED_TEST(StorageConformance, AChatLockWaitsForTheTransactionHoldingIt) {
    Tenant t = this->seed(sdk::kDefaultAccountId, "chat_lock");
    auto second_storage = this->open(*this->database_);
    auto first = this->storage_->begin();
    first->lock_chat(t.bot.id, 42);
    first->mark_update_processed(t.account, t.bot.id, 1);
    std::atomic<bool> first_committed{false};
    std::atomic<bool> second_saw_first{false};
    std::thread other([&] {
        auto tx = second_storage->begin();  // SQLite: waits here, for the one writer
        tx->lock_chat(t.bot.id, 42);        // PostgreSQL: waits here, for the chat
        second_saw_first = first_committed.load();
        tx->lock_chat(t.bot.id, 43);  // another chat is free
        tx->commit();
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    first_committed = true;
    first->commit();
    other.join();
    EXPECT_TRUE(second_saw_first.load());
}

// --- Bot leases (2.6): a fake clock, several holders ---------------------------------

TYPED_TEST(StorageConformance, BotLeasesShareTheBotsAmongLiveHolders) {
    const Id a = sdk::kDefaultAccountId;
    std::vector<Id> bots;
    this->in_tx([&](sdk::StorageTx& tx) {
        for (int i = 0; i < 5; ++i) {
            auto b = make_bot("lease" + std::to_string(i) + "_bot");
            b.mode = i == 4 ? "webhook" : "poll";
            bots.push_back(tx.create_bot(a, b).id);
        }
        auto preview = make_bot("lease_preview_bot");
        preview.mode = "preview";
        tx.create_bot(a, preview);
        auto off = make_bot("lease_off_bot");
        off.enabled = false;
        tx.create_bot(a, off);
    });
    const sdk::Millis ttl = 1000;
    auto leases = [&](const std::string& holder, sdk::Millis now) {
        return this->in_tx(
            [&](sdk::StorageTx& tx) { return tx.hold_bot_leases_all_accounts(holder, now, ttl); });
    };
    auto hold = [&](const std::string& holder, sdk::Millis now) { return leases(holder, now).held; };
    auto release = [&](const std::string& holder, Id bot) {
        return this->in_tx(
            [&](sdk::StorageTx& tx) { return tx.release_bot_lease_all_accounts(holder, bot); });
    };
    // Alone, one holder takes every bot a transport serves (not preview or disabled ones).
    EXPECT_EQ(hold("p1", 10'000), bots);
    // A second one comes: nothing is free yet. The first keeps all it has and
    // is told which are above its share; it gives them back when it is ready.
    EXPECT_TRUE(hold("p2", 10'100).empty());
    const auto p1 = leases("p1", 10'200);
    EXPECT_EQ(p1.held, bots);
    EXPECT_EQ(p1.surplus, std::vector<Id>(bots.begin() + 3, bots.end()));
    EXPECT_TRUE(hold("p2", 10'250).empty()) << "a surplus lease is still held until given back";
    EXPECT_FALSE(release("p2", bots[3])) << "only its holder gives a lease back";
    for (const Id bot : p1.surplus) EXPECT_TRUE(release("p1", bot));
    EXPECT_EQ(hold("p2", 10'300), std::vector<Id>(bots.begin() + 3, bots.end()));
    // Renewing keeps the same bots, none surplus.
    const auto again = leases("p1", 10'600);
    EXPECT_EQ(again.held, std::vector<Id>(bots.begin(), bots.begin() + 3));
    EXPECT_TRUE(again.surplus.empty());
    EXPECT_EQ(hold("p2", 10'700), std::vector<Id>(bots.begin() + 3, bots.end()));
    // p1 stops renewing: until its leases expire nobody takes its bots, then p2 takes them all.
    EXPECT_EQ(hold("p2", 11'500), std::vector<Id>(bots.begin() + 3, bots.end()));
    EXPECT_EQ(hold("p2", 11'700), bots);
    // A holder that says goodbye leaves at once.
    this->in_tx([&](sdk::StorageTx& tx) { tx.release_bot_leases_all_accounts("p2"); });
    EXPECT_EQ(hold("p3", 11'800), bots);
    // A bot disabled is dropped at the next renewal.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto b = *tx.get_bot(a, bots[0]);
        b.enabled = false;
        tx.update_bot(a, b);
    });
    EXPECT_EQ(hold("p3", 11'900), std::vector<Id>(bots.begin() + 1, bots.end()));
    expect_storage_error(
        Code::invalid, [&] { hold("", 12'000); }, "holder");
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) { tx.hold_bot_leases_all_accounts("p3", 12'000, 0); });
    });
}

TYPED_TEST(StorageConformance, OfHoldersRacingForFreeBotsEachBotGoesToOne) {
    const Id a = sdk::kDefaultAccountId;
    this->in_tx([&](sdk::StorageTx& tx) {
        for (int i = 0; i < 12; ++i) tx.create_bot(a, make_bot("race" + std::to_string(i) + "_bot"));
    });
    std::vector<std::shared_ptr<sdk::Storage>> storages{this->storage_, this->open(*this->database_),
                                                        this->open(*this->database_)};
    std::barrier start(3);
    std::vector<std::vector<Id>> held(3);
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 3; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            try {
                held[static_cast<std::size_t>(i)] =
                    this->in_tx(*storages[static_cast<std::size_t>(i)], [&](sdk::StorageTx& tx) {
                        return tx.hold_bot_leases_all_accounts("racer" + std::to_string(i), 5'000, 60'000)
                            .held;
                    });
            } catch (const std::exception&) {
                ++errors;
            }
        });
    for (auto& t : threads) t.join();
    EXPECT_EQ(errors.load(), 0);
    std::multiset<Id> taken;
    for (const auto& h : held) taken.insert(h.begin(), h.end());
    EXPECT_EQ(std::set<Id>(taken.begin(), taken.end()).size(), taken.size()) << "a bot went to two holders";
}

TYPED_TEST(StorageConformance, TheOutboxOfAHolderIsThatOfItsBots) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "outbox_lease");
    Tenant u = this->seed(a, "outbox_lease2");
    this->in_tx([&](sdk::StorageTx& tx) {
        tx.enqueue_outbox(a, make_message(t, 1, std::nullopt));
        tx.enqueue_outbox(a, make_message(u, 2, std::nullopt));
        // One holder, both bots; then another comes and takes half.
        tx.hold_bot_leases_all_accounts("h1", 1'000, 10'000);
    });
    auto pending = [&](const std::string& holder) {
        std::set<Id> bots;
        for (const auto& m : this->in_tx([&](sdk::StorageTx& tx) {
                 return tx.pending_outbox_of_holder_all_accounts(holder, 2'000'000'000'000, 100);
             }))
            bots.insert(m.bot_id);
        return bots;
    };
    EXPECT_EQ(pending("h1"), (std::set<Id>{t.bot.id, u.bot.id}));
    EXPECT_TRUE(pending("h2").empty());
}

// --- Legacy ids (2.6) --------------------------------------------------------------

TYPED_TEST(StorageConformance, LegacyIdsAreRecordedOnceAndFound) {
    const Id a = sdk::kDefaultAccountId;
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.find_legacy_id(a, "run", "12"));
        EXPECT_TRUE(tx.record_legacy_id(a, "run", "12", 501));
        EXPECT_FALSE(tx.record_legacy_id(a, "run", "12", 502)) << "recorded already: unchanged";
        EXPECT_TRUE(tx.record_legacy_id(a, "course", "12", 7)) << "another kind";
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_EQ(tx.find_legacy_id(a, "run", "12"), std::optional<Id>(501));
        EXPECT_EQ(tx.find_legacy_id(a, "course", "12"), std::optional<Id>(7));
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) { tx.record_legacy_id(a, "", "12", 1); });
    });
    expect_storage_error(Code::invalid, [&] {
        this->in_tx([&](sdk::StorageTx& tx) { tx.find_legacy_id(a, "run", std::string(201, 'x')); });
    });
}

// --- Course authors in the chat (2.7) -----------------------------------------------

TYPED_TEST(StorageConformance, ChatAuthoringIsOnePerChatOfTheAccountsBot) {
    const Id a = sdk::kDefaultAccountId;
    Tenant t = this->seed(a, "authoring");
    sdk::ChatAuthoring waiting;
    waiting.bot_id = t.bot.id;
    waiting.chat_id = 42;
    waiting.user_id = 42;
    waiting.mode = "create";
    waiting.course_name = "Вводный курс";
    waiting.expires_at = 5000;
    this->in_tx([&](sdk::StorageTx& tx) {
        EXPECT_FALSE(tx.find_chat_authoring(a, t.bot.id, 42));
        tx.set_chat_authoring(a, waiting);
    });
    this->in_tx([&](sdk::StorageTx& tx) {
        const auto found = tx.find_chat_authoring(a, t.bot.id, 42);
        ASSERT_TRUE(found);
        EXPECT_EQ(found->bot_id, t.bot.id);
        EXPECT_EQ(found->chat_id, 42);
        EXPECT_EQ(found->user_id, 42);
        EXPECT_EQ(found->mode, "create");
        EXPECT_EQ(found->course_name, "Вводный курс");
        EXPECT_FALSE(found->course_id);
        EXPECT_EQ(found->expires_at, 5000);
        EXPECT_FALSE(tx.find_chat_authoring(a, t.bot.id, 43)) << "another chat";
        // A second request replaces the first.
        auto edit = waiting;
        edit.mode = "edit";
        edit.course_name.clear();
        edit.course_id = t.course.id;
        edit.expires_at = 9000;
        tx.set_chat_authoring(a, edit);
        const auto replaced = tx.find_chat_authoring(a, t.bot.id, 42);
        ASSERT_TRUE(replaced);
        EXPECT_EQ(replaced->mode, "edit");
        EXPECT_EQ(replaced->course_id, std::optional<Id>(t.course.id));
        EXPECT_EQ(replaced->expires_at, 9000);
        EXPECT_TRUE(tx.clear_chat_authoring(a, t.bot.id, 42));
        EXPECT_FALSE(tx.clear_chat_authoring(a, t.bot.id, 42)) << "nothing left to clear";
        EXPECT_FALSE(tx.find_chat_authoring(a, t.bot.id, 42));
    });
    auto bad = waiting;
    bad.mode = "delete";
    expect_storage_error(Code::invalid,
                         [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.set_chat_authoring(a, bad); }); });
    bad = waiting;
    bad.bot_id = t.bot.id + 1000;
    expect_storage_error(Code::invalid,
                         [&] { this->in_tx([&](sdk::StorageTx& tx) { tx.set_chat_authoring(a, bad); }); });
    // It goes with its bot.
    this->in_tx([&](sdk::StorageTx& tx) {
        auto spare = tx.create_bot(a, make_bot("authoring_spare_bot"));
        auto on_spare = waiting;
        on_spare.bot_id = spare.id;
        tx.set_chat_authoring(a, on_spare);
        EXPECT_TRUE(tx.delete_bot(a, spare.id));
        EXPECT_FALSE(tx.find_chat_authoring(a, spare.id, 42));
    });
}

// The database holds answers and sealed tokens: neither it nor its write-ahead
// log and shared-memory files may be readable by other users, whatever the umask.
TEST(SqliteFiles, AreCreatedPrivate) {
    const auto old_umask = ::umask(022);
    {
        SqliteBackend::Database database;
        auto plugin = load_module(SqliteBackend::module());
        auto storage = plugin->as<sdk::StoragePlugin>().open(database.options());
        storage->migrate();
        auto tx = storage->begin();
        tx->create_account("files");
        tx->commit();
        const std::filesystem::path db = database.options().dsn;
        for (const std::string suffix : {"", "-wal", "-shm"}) {
            auto file = db;
            file += suffix;
            struct stat st {};
            ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
            EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
        }
    }
    ::umask(old_umask);
}

}  // namespace
}  // namespace profo::storage_test
