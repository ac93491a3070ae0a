// Accounts (tenants) and the people who run them: owners and admins, each a
// Telegram user. Creating, listing and renaming accounts is the platform
// operator's; every other call is on behalf of one account and reads and
// changes only that account's rows.
//
// An account that has an owner always keeps one: removing or demoting the
// last owner is refused (the storage enforces it too, under a lock, so two
// operators removing the two owners at once cannot both succeed).
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/records.hpp>
#include <profo/sdk/storage.hpp>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace profo::host {

// Why a call was refused, for the person who made it.
// An AdminError, so the panel's API answers it with its code; invalid_argument
// unless the throw says otherwise.
class AccountDirectoryError : public sdk::AdminError {
public:
    explicit AccountDirectoryError(const std::string& message, Code code = Code::invalid_argument,
                                   std::string field = {})
        : sdk::AdminError(code, message, std::move(field)) {}
};

inline constexpr std::size_t kMaxAccountNameCharacters = 100;

// An account name: UTF-8, 1 to 100 characters, no control characters, no
// space at either end. Throws AccountDirectoryError saying what is wrong.
void check_account_name(const std::string& name);

// "owner" or "admin"; throws AccountDirectoryError for anything else.
std::string parse_member_role(const std::string& text);

// A Telegram user to make a member of an account.
struct MemberDraft {
    std::int64_t telegram_user_id = 0;
    std::string username;  // optional; a leading '@' is dropped
    std::string role = "admin";
};

struct AccountOverview {
    sdk::Account account;
    int owners = 0;
    int admins = 0;
    int bots = 0;
};

class AccountDirectory {
public:
    explicit AccountDirectory(sdk::Storage& storage);

    // Names are unique on the platform, without regard to the case of ASCII
    // letters. With `first_member`, the account and that member are made in
    // one transaction: both or neither.
    sdk::Account create_account(const std::string& name, const std::optional<MemberDraft>& first_member);
    std::vector<AccountOverview> list_accounts();
    sdk::Account rename_account(sdk::Id account_id, const std::string& name);

    sdk::AccountMember add_member(sdk::Id account_id, const MemberDraft& draft);
    std::vector<sdk::AccountMember> members(sdk::Id account_id);
    // The member as it is afterwards.
    sdk::AccountMember change_role(sdk::Id account_id, std::int64_t telegram_user_id,
                                   const std::string& role);
    // The member as it was.
    sdk::AccountMember remove_member(sdk::Id account_id, std::int64_t telegram_user_id);

private:
    sdk::Storage& storage_;
};

}  // namespace profo::host
