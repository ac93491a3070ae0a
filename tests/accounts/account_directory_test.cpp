// AccountDirectory over the real storage plugins: what an operator's account
// and member commands do, each refusal saying what was wrong and leaving the
// data as it was.
#include "accounts/account_directory.hpp"
#include "backend_types.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

namespace profo::host {
namespace {

using storage_test::BackendNames;
using storage_test::Backends;

template <class Backend>
class AccountDirectoryTest : public storage_test::MigratedStorageTest<Backend> {
protected:
    using Base = storage_test::MigratedStorageTest<Backend>;
    using Base::storage_;

    void SetUp() override {
        Base::SetUp();
        if (Base::stopped()) return;
        directory_ = std::make_unique<AccountDirectory>(*storage_);
    }

    // `call` must throw AccountDirectoryError saying `mentions`.
    template <class Call>
    void expect_refused(Call&& call, const std::string& mentions) {
        try {
            call();
            ADD_FAILURE() << "not refused; expected an error saying '" << mentions << "'";
        } catch (const AccountDirectoryError& e) {
            EXPECT_NE(std::string(e.what()).find(mentions), std::string::npos)
                << "'" << e.what() << "' should say '" << mentions << "'";
        }
    }

    static MemberDraft user(std::int64_t id, const std::string& username = "",
                            const std::string& role = "admin") {
        MemberDraft draft;
        draft.telegram_user_id = id;
        draft.username = username;
        draft.role = role;
        return draft;
    }

    std::vector<std::string> account_names() {
        std::vector<std::string> names;
        for (const auto& a : directory_->list_accounts()) names.push_back(a.account.name);
        return names;
    }

    std::vector<std::pair<std::int64_t, std::string>> roles(sdk::Id account) {
        std::vector<std::pair<std::int64_t, std::string>> out;
        for (const auto& m : directory_->members(account)) out.emplace_back(m.telegram_user_id, m.role);
        return out;
    }

    std::unique_ptr<AccountDirectory> directory_;
};

TYPED_TEST_SUITE(AccountDirectoryTest, Backends, BackendNames);

TYPED_TEST(AccountDirectoryTest, CreatesAnAccountWithItsOwnerOrNothing) {
    const auto acme = this->directory_->create_account("Acme School", this->user(1001, "@Alice_A", "owner"));
    EXPECT_GT(acme.id, sdk::kDefaultAccountId);
    EXPECT_EQ(acme.name, "Acme School");
    const auto members = this->directory_->members(acme.id);
    ASSERT_EQ(members.size(), 1u);
    EXPECT_EQ(members[0].telegram_user_id, 1001);
    EXPECT_EQ(members[0].username, "Alice_A") << "kept without the '@'";
    EXPECT_EQ(members[0].role, "owner");
    EXPECT_EQ(this->directory_->create_account("Без владельца", std::nullopt).name, "Без владельца");

    const auto before = this->account_names();
    const std::vector<std::pair<std::string, std::string>> bad_names = {
        {"", "must not be empty"},
        {" Acme", "begins or ends with a space"},
        {"Acme ", "begins or ends with a space"},
        {"Tab\there", "control character at character 4"},
        {std::string(101, 'x'), "101 characters long; at most 100"},
        {"Caf\xc3", "not valid UTF-8 (at byte 4)"},
        {"\xc0\xafoverlong", "not valid UTF-8 (at byte 1)"},
        {"ACME school", "another account is already called 'ACME school'"},
    };
    for (const auto& [name, mentions] : bad_names)
        this->expect_refused([&, name = name] { this->directory_->create_account(name, std::nullopt); },
                             mentions);
    EXPECT_EQ(this->directory_->create_account(std::string(100, 'x'), std::nullopt).name.size(), 100u)
        << "100 characters are allowed";
    // The owner is checked before anything is written: no account without it.
    this->expect_refused([&] { this->directory_->create_account("Orphan", this->user(0, "", "owner")); },
                         "a Telegram user id is a positive number, not 0");
    this->expect_refused([&] { this->directory_->create_account("Orphan", this->user(5, "ab", "owner")); },
                         "'ab' is not a Telegram username");
    this->expect_refused([&] { this->directory_->create_account("Orphan", this->user(5, "", "boss")); },
                         "a member's role is owner or admin, not 'boss'");
    auto after = this->account_names();
    after.pop_back();  // the 100 x's
    EXPECT_EQ(after, before);
}

TYPED_TEST(AccountDirectoryTest, ListsEachAccountWithItsOwnersAdminsAndBots) {
    const auto acme = this->directory_->create_account("Acme", this->user(1, "", "owner"));
    this->directory_->add_member(acme.id, this->user(2));
    this->directory_->add_member(acme.id, this->user(3));
    {
        auto tx = this->storage_->begin();
        sdk::Bot bot;
        bot.username = "acme_bot";
        bot.token_sealed = "sealed";
        tx->create_bot(acme.id, bot);
        tx->commit();
    }
    const auto all = this->directory_->list_accounts();
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].account.id, sdk::kDefaultAccountId);
    EXPECT_EQ(all[0].owners + all[0].admins + all[0].bots, 0);
    EXPECT_EQ(all[1].account.name, "Acme");
    EXPECT_EQ(all[1].owners, 1);
    EXPECT_EQ(all[1].admins, 2);
    EXPECT_EQ(all[1].bots, 1);
}

TYPED_TEST(AccountDirectoryTest, RenamesAnAccountToANameNoOtherHas) {
    const auto acme = this->directory_->create_account("Acme", std::nullopt);
    this->directory_->create_account("Globex", std::nullopt);
    EXPECT_EQ(this->directory_->rename_account(acme.id, "Acme Academy").name, "Acme Academy");
    EXPECT_EQ(this->directory_->rename_account(acme.id, "ACME ACADEMY").name, "ACME ACADEMY")
        << "its own name in other letters";
    this->expect_refused([&] { this->directory_->rename_account(acme.id, "globex"); },
                         "another account is already called 'globex'");
    this->expect_refused([&] { this->directory_->rename_account(acme.id, ""); }, "must not be empty");
    this->expect_refused([&] { this->directory_->rename_account(99, "Nobody"); },
                         "account 99 does not exist");
    EXPECT_EQ(this->account_names(), (std::vector<std::string>{"Default", "ACME ACADEMY", "Globex"}));
}

TYPED_TEST(AccountDirectoryTest, MembersAreAddedChangedAndRemovedInTheirAccountOnly) {
    const auto a = this->directory_->create_account("A", this->user(1, "a_owner", "owner")).id;
    const auto b = this->directory_->create_account("B", this->user(2, "b_owner", "owner")).id;
    const auto bob = this->directory_->add_member(a, this->user(10, "bob_admin"));
    EXPECT_EQ(bob.account_id, a);
    EXPECT_EQ(bob.role, "admin");
    this->expect_refused(
        [&] { this->directory_->add_member(a, this->user(10)); },
        "telegram user 10 (@bob_admin) is already a member of account " + std::to_string(a) + ", as admin");
    this->expect_refused([&] { this->directory_->add_member(a, this->user(-4)); }, "not -4");
    this->expect_refused([&] { this->directory_->add_member(99, this->user(11)); },
                         "account 99 does not exist");
    EXPECT_EQ(this->directory_->change_role(a, 10, "owner").role, "owner");
    EXPECT_EQ(this->directory_->change_role(a, 10, "owner").role, "owner")
        << "already one: nothing to change";
    this->expect_refused([&] { this->directory_->change_role(a, 10, "viewer"); }, "not 'viewer'");

    // The same user may belong to B as well; B's calls never reach A's members.
    this->directory_->add_member(b, this->user(10, "bob_admin"));
    const auto not_in_b = "telegram user 1 is not a member of account " + std::to_string(b);
    this->expect_refused([&] { this->directory_->change_role(b, 1, "admin"); }, not_in_b);
    this->expect_refused([&] { this->directory_->remove_member(b, 1); }, not_in_b);
    EXPECT_EQ(this->directory_->remove_member(b, 10).account_id, b);
    this->expect_refused([&] { this->directory_->members(99); }, "account 99 does not exist");

    EXPECT_EQ(this->roles(a),
              (std::vector<std::pair<std::int64_t, std::string>>{{1, "owner"}, {10, "owner"}}));
    EXPECT_EQ(this->roles(b), (std::vector<std::pair<std::int64_t, std::string>>{{2, "owner"}}));
    EXPECT_EQ(this->directory_->remove_member(a, 10).telegram_user_id, 10);
    EXPECT_EQ(this->roles(a), (std::vector<std::pair<std::int64_t, std::string>>{{1, "owner"}}));
}

TYPED_TEST(AccountDirectoryTest, TheLastOwnerIsNeitherRemovedNorDemoted) {
    const auto a = this->directory_->create_account("Solo", this->user(1, "solo_owner", "owner")).id;
    this->directory_->add_member(a, this->user(2));
    const auto last = "telegram user 1 (@solo_owner) is the last owner of account " + std::to_string(a);
    this->expect_refused([&] { this->directory_->remove_member(a, 1); },
                         last + ": make another member owner before removing them");
    this->expect_refused([&] { this->directory_->change_role(a, 1, "admin"); },
                         last + ": make another member owner before making them admin");
    EXPECT_EQ(this->roles(a),
              (std::vector<std::pair<std::int64_t, std::string>>{{1, "owner"}, {2, "admin"}}));

    this->directory_->change_role(a, 2, "owner");
    EXPECT_EQ(this->directory_->change_role(a, 1, "admin").role, "admin");
    EXPECT_EQ(this->directory_->remove_member(a, 1).role, "admin");
    EXPECT_EQ(this->roles(a), (std::vector<std::pair<std::int64_t, std::string>>{{2, "owner"}}));
    // An account that never had an owner (the default one) can lose its admins.
    this->directory_->add_member(sdk::kDefaultAccountId, this->user(3));
    this->directory_->remove_member(sdk::kDefaultAccountId, 3);
    EXPECT_TRUE(this->directory_->members(sdk::kDefaultAccountId).empty());
}

}  // namespace
}  // namespace profo::host
