#include "telegram/init_data.hpp"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>

namespace profo::host {
namespace {

using namespace std::chrono_literals;

constexpr const char* kToken = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11";
constexpr std::int64_t kAuthDate = 1700000000;
const auto kAuthTime = std::chrono::system_clock::time_point(std::chrono::seconds(kAuthDate));

// Signs the way Telegram does, written out independently of init_data.cpp.
std::string telegram_hash(const std::string& data_check_string, const std::string& token) {
    unsigned char secret[32];
    unsigned int n = 0;
    HMAC(EVP_sha256(), "WebAppData", 10, reinterpret_cast<const unsigned char*>(token.data()), token.size(),
         secret, &n);
    unsigned char mac[32];
    HMAC(EVP_sha256(), secret, 32, reinterpret_cast<const unsigned char*>(data_check_string.data()),
         data_check_string.size(), mac, &n);
    std::string hex;
    char buf[3];
    for (unsigned char b : mac) {
        std::snprintf(buf, sizeof buf, "%02x", b);
        hex += buf;
    }
    return hex;
}

const std::string kUser = R"({"id":42,"first_name":"Анна","username":"anna_k"})";
const std::string kCheck = "auth_date=1700000000\nquery_id=AAHdF6IQAAAAAN0XohDhrOrc\nuser=" + kUser;
// The user JSON percent-encoded as a browser's URLSearchParams would send it.
const std::string kUserEncoded =
    "%7B%22id%22%3A42%2C%22first_name%22%3A%22%D0%90%D0%BD%D0%BD%D0%B0%22%2C%22username%22%3A%22anna_k%22%7D";

std::string init_data(const std::string& hash, const std::string& user = kUserEncoded) {
    return "query_id=AAHdF6IQAAAAAN0XohDhrOrc&user=" + user + "&auth_date=1700000000&hash=" + hash;
}

std::string refusal(const std::string& data, const std::string& token = kToken,
                    std::chrono::system_clock::time_point now = kAuthTime + 60s) {
    try {
        validate_init_data(data, token, now, 86400s);
    } catch (const sdk::SignatureError& e) {
        return e.what();
    }
    return "accepted";
}

TEST(InitData, DataCheckStringIsSortedAndSkipsTheHash) {
    EXPECT_EQ(data_check_string({{"user", "u"}, {"hash", "h"}, {"auth_date", "1"}, {"query_id", "q"}}),
              "auth_date=1\nquery_id=q\nuser=u");
}

TEST(InitData, AcceptsWhatTelegramSigned) {
    const std::string hash = telegram_hash(kCheck, kToken);
    const auto data = validate_init_data(init_data(hash), kToken, kAuthTime + 3600s, 86400s);
    EXPECT_EQ(data.user_id, 42);
    EXPECT_EQ(data.auth_date, kAuthDate);
    EXPECT_EQ(data.fields.at("user"), kUser);
    EXPECT_EQ(init_data_hash(data.fields, kToken), hash);
    // Hex case does not matter.
    std::string upper = hash;
    std::transform(upper.begin(), upper.end(), upper.begin(),
                   [](unsigned char c) { return std::toupper(c); });
    EXPECT_EQ(refusal(init_data(upper)), "accepted");
}

TEST(InitData, RefusesTamperingAndOtherBots) {
    const std::string hash = telegram_hash(kCheck, kToken);
    const std::string other_user =
        "%7B%22id%22%3A43%2C%22first_name%22%3A%22%D0%90%D0%BD%D0%BD%D0%B0%22%2C%22username%22%3A%22anna_k%"
        "22%7D";
    EXPECT_EQ(refusal(init_data(hash, other_user)), "initData signature does not match this bot");
    EXPECT_EQ(refusal(init_data(hash), "654321:another-bot-token"),
              "initData signature does not match this bot");
    EXPECT_EQ(refusal(init_data(hash) + "&extra=1"), "initData signature does not match this bot");
    EXPECT_EQ(refusal(init_data(hash.substr(0, 63))), "initData signature does not match this bot");
    EXPECT_EQ(refusal(init_data("")), "initData has no hash");
    EXPECT_EQ(refusal(""), "initData is empty");
    EXPECT_EQ(refusal(init_data(hash) + "&hash=" + hash),
              "initData is not a query string: a field appears twice");
}

TEST(InitData, RefusesStaleAndFutureSignatures) {
    const std::string data = init_data(telegram_hash(kCheck, kToken));
    EXPECT_EQ(refusal(data, kToken, kAuthTime + 86400s), "accepted");
    EXPECT_EQ(refusal(data, kToken, kAuthTime + 86401s), "initData has expired (auth_date too old)");
    EXPECT_EQ(refusal(data, kToken, kAuthTime - 3600s), "initData auth_date is in the future");
}

TEST(InitData, NeedsAUserWithAnId) {
    const std::string check = "auth_date=1700000000\nquery_id=Q";
    EXPECT_EQ(refusal("query_id=Q&auth_date=1700000000&hash=" + telegram_hash(check, kToken)),
              "initData has no user");
    const std::string anon = "auth_date=1700000000\nuser={\"first_name\":\"x\"}";
    EXPECT_EQ(refusal("user=%7B%22first_name%22%3A%22x%22%7D&auth_date=1700000000&hash=" +
                      telegram_hash(anon, kToken)),
              "initData user has no id");
}

}  // namespace
}  // namespace profo::host
