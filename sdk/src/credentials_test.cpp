#include <profo/sdk/credentials.hpp>

#include <gtest/gtest.h>

#include <set>

using namespace profo::sdk;

TEST(Credentials, RandomCodesHaveTheLengthAskedAndDoNotRepeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        const auto code = random_code(24);
        ASSERT_EQ(code.size(), 24U);
        EXPECT_EQ(code.find_first_not_of("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"),
                  std::string::npos);
        EXPECT_TRUE(seen.insert(code).second) << code;
    }
    EXPECT_EQ(random_code(0), "");
    EXPECT_EQ(random_code(300).size(), 300U);  // more than one draw of bytes
}

TEST(Credentials, Sha256HexIsTheStandardDigest) {
    EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Credentials, ConstantTimeEqualityComparesWholeStrings) {
    EXPECT_TRUE(equal_in_constant_time("abc", "abc"));
    EXPECT_FALSE(equal_in_constant_time("abc", "abd"));
    EXPECT_FALSE(equal_in_constant_time("abc", "abcd"));
    EXPECT_TRUE(equal_in_constant_time("", ""));
}

TEST(Credentials, ApiKeysAreFoundByTheirPrefixAndNothingElseHasOne) {
    const auto issued = new_api_key();
    EXPECT_EQ(issued.key.size(), 56U);
    EXPECT_EQ(api_key_prefix(issued.key), issued.prefix);
    EXPECT_EQ(issued.prefix.substr(0, 3), "pk_");
    EXPECT_NE(new_api_key().prefix, issued.prefix);
    for (const std::string& bad :
         {std::string{}, issued.prefix, issued.key + "x", issued.key.substr(1), "xk_" + issued.key.substr(3),
          issued.key.substr(0, 20) + "!" + issued.key.substr(21),
          issued.prefix + "-" + issued.key.substr(16)})
        EXPECT_EQ(api_key_prefix(bad), "") << bad;
}
