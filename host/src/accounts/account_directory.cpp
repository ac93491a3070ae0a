#include "accounts/account_directory.hpp"

#include "telegram/telegram_username.hpp"
#include "text/record_name.hpp"

#include <algorithm>

namespace profo::host {

namespace {

std::string name_key(const std::string& name) {
    std::string key = name;
    std::transform(key.begin(), key.end(), key.begin(),
                   [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; });
    return key;
}

std::string account_ref(sdk::Id account_id) {
    return "account " + std::to_string(account_id);
}

std::string user_ref(const sdk::AccountMember& member) {
    return "telegram user " + std::to_string(member.telegram_user_id) +
           (member.username.empty() ? std::string() : " (@" + member.username + ")");
}

void check_account_exists(sdk::StorageTx& tx, sdk::Id account_id) {
    if (!tx.get_account(account_id))
        throw AccountDirectoryError(account_ref(account_id) + " does not exist",
                                    sdk::AdminError::Code::not_found);
}

// A name no other account has; `except` is the account being renamed. The
// refusal repeats the name asked for, never the other account's spelling of
// it: names are unique across tenants, and one must not learn another's.
void check_name_free(sdk::StorageTx& tx, const std::string& name, sdk::Id except) {
    const auto key = name_key(name);
    for (const auto& other : tx.list_accounts())
        if (other.id != except && name_key(other.name) == key)
            throw AccountDirectoryError("another account is already called '" + name + "'",
                                        sdk::AdminError::Code::conflict, "/name");
}

sdk::AccountMember member_of(sdk::StorageTx& tx, sdk::Id account_id, std::int64_t telegram_user_id) {
    for (auto& member : tx.list_members(account_id))
        if (member.telegram_user_id == telegram_user_id) return member;
    throw AccountDirectoryError("telegram user " + std::to_string(telegram_user_id) + " is not a member of " +
                                    account_ref(account_id),
                                sdk::AdminError::Code::not_found);
}

void check_keeps_an_owner(sdk::StorageTx& tx, const sdk::AccountMember& member, const std::string& change) {
    if (member.role != "owner") return;
    const auto members = tx.list_members(member.account_id);
    const auto owners = std::count_if(members.begin(), members.end(),
                                      [](const sdk::AccountMember& m) { return m.role == "owner"; });
    if (owners <= 1)
        throw AccountDirectoryError(user_ref(member) + " is the last owner of " +
                                        account_ref(member.account_id) +
                                        ": make another member owner before " + change,
                                    sdk::AdminError::Code::conflict);
}

sdk::AccountMember checked_member(sdk::Id account_id, const MemberDraft& draft) {
    if (draft.telegram_user_id <= 0)
        throw AccountDirectoryError(
            "a Telegram user id is a positive number, not " + std::to_string(draft.telegram_user_id),
            sdk::AdminError::Code::invalid_argument, "/telegram_user_id");
    sdk::AccountMember member;
    member.account_id = account_id;
    member.telegram_user_id = draft.telegram_user_id;
    member.username = without_at_sign(draft.username);
    if (!member.username.empty() && !is_telegram_username(member.username))
        throw AccountDirectoryError(
            "'" + draft.username + "' is not a Telegram username (5 to 32 of letters, digits and _)",
            sdk::AdminError::Code::invalid_argument, "/username");
    member.role = parse_member_role(draft.role);
    return member;
}

}  // namespace

void check_account_name(const std::string& name) {
    if (auto problem = record_name_problem(name, "account name", kMaxAccountNameCharacters))
        throw AccountDirectoryError(*problem, sdk::AdminError::Code::invalid_argument, "/name");
}

std::string parse_member_role(const std::string& text) {
    if (text == "owner" || text == "admin") return text;
    throw AccountDirectoryError("a member's role is owner or admin, not '" + text + "'",
                                sdk::AdminError::Code::invalid_argument, "/role");
}

AccountDirectory::AccountDirectory(sdk::Storage& storage) : storage_(storage) {}

sdk::Account AccountDirectory::create_account(const std::string& name,
                                              const std::optional<MemberDraft>& first_member) {
    check_account_name(name);
    if (first_member) checked_member(0, *first_member);
    auto tx = storage_.begin();
    check_name_free(*tx, name, 0);
    auto account = tx->create_account(name);
    if (first_member) tx->add_member(account.id, checked_member(account.id, *first_member));
    tx->commit();
    return account;
}

std::vector<AccountOverview> AccountDirectory::list_accounts() {
    auto tx = storage_.begin_read();
    std::vector<AccountOverview> out;
    for (auto& account : tx->list_accounts()) {
        AccountOverview overview;
        for (const auto& member : tx->list_members(account.id))
            ++(member.role == "owner" ? overview.owners : overview.admins);
        overview.bots = static_cast<int>(tx->list_bots(account.id).size());
        overview.account = std::move(account);
        out.push_back(std::move(overview));
    }
    return out;
}

sdk::Account AccountDirectory::rename_account(sdk::Id account_id, const std::string& name) {
    check_account_name(name);
    auto tx = storage_.begin();
    auto account = tx->get_account(account_id);
    if (!account)
        throw AccountDirectoryError(account_ref(account_id) + " does not exist",
                                    sdk::AdminError::Code::not_found);
    check_name_free(*tx, name, account_id);
    if (!tx->rename_account(account_id, name))
        throw AccountDirectoryError(account_ref(account_id) + " does not exist",
                                    sdk::AdminError::Code::not_found);
    tx->commit();
    account->name = name;
    return *account;
}

sdk::AccountMember AccountDirectory::add_member(sdk::Id account_id, const MemberDraft& draft) {
    const auto member = checked_member(account_id, draft);
    auto tx = storage_.begin();
    check_account_exists(*tx, account_id);
    for (const auto& existing : tx->list_members(account_id))
        if (existing.telegram_user_id == member.telegram_user_id)
            throw AccountDirectoryError(user_ref(existing) + " is already a member of " +
                                            account_ref(account_id) + ", as " + existing.role +
                                            " (a role is changed with: profo member role)",
                                        sdk::AdminError::Code::conflict);
    auto added = tx->add_member(account_id, member);
    tx->commit();
    return added;
}

std::vector<sdk::AccountMember> AccountDirectory::members(sdk::Id account_id) {
    auto tx = storage_.begin_read();
    check_account_exists(*tx, account_id);
    return tx->list_members(account_id);
}

sdk::AccountMember AccountDirectory::change_role(sdk::Id account_id, std::int64_t telegram_user_id,
                                                 const std::string& role) {
    const auto wanted = parse_member_role(role);
    auto tx = storage_.begin();
    check_account_exists(*tx, account_id);
    auto member = member_of(*tx, account_id, telegram_user_id);
    if (member.role == wanted) return member;
    if (wanted != "owner") check_keeps_an_owner(*tx, member, "making them " + wanted);
    member.role = wanted;
    if (!tx->update_member(account_id, member))
        throw AccountDirectoryError(user_ref(member) + " is no longer a member of " + account_ref(account_id),
                                    sdk::AdminError::Code::not_found);
    tx->commit();
    return member;
}

sdk::AccountMember AccountDirectory::remove_member(sdk::Id account_id, std::int64_t telegram_user_id) {
    auto tx = storage_.begin();
    check_account_exists(*tx, account_id);
    auto member = member_of(*tx, account_id, telegram_user_id);
    check_keeps_an_owner(*tx, member, "removing them");
    if (!tx->remove_member(account_id, member.id))
        throw AccountDirectoryError(user_ref(member) + " is no longer a member of " + account_ref(account_id),
                                    sdk::AdminError::Code::not_found);
    tx->commit();
    return member;
}

}  // namespace profo::host
