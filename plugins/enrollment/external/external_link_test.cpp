#include "external_link.hpp"

#include <gtest/gtest.h>

#include <string>

namespace profo::enrollment {
namespace {

const std::string kKey(32, '\x5a');

TEST(Base64Url, RoundTripsEveryLengthAndRefusesSecondSpellings) {
    std::string bytes;
    for (int n = 0; n < 40; ++n) {
        EXPECT_EQ(base64url_decode(base64url_encode(bytes)), bytes) << n;
        bytes += static_cast<char>(n * 37 + 250);
    }
    EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
    for (const char* bad : {"A", "AB=", "AB+C", "AB/C", "a b", "AB\n", "-_9"})  // "-_9": unused bits set
        EXPECT_EQ(base64url_decode(bad), std::nullopt) << bad;
}

TEST(EnrollmentKey, IsSixtyFourHexDigits) {
    EXPECT_EQ(enrollment_key_bytes(std::string(64, 'a'))->size(), 32u);
    EXPECT_EQ((*enrollment_key_bytes("00ff" + std::string(60, '0')))[1], '\xff');
    EXPECT_FALSE(enrollment_key_bytes(std::string(63, 'a')));
    EXPECT_FALSE(enrollment_key_bytes(std::string(62, 'a') + "zz"));
    EXPECT_FALSE(enrollment_key_bytes(""));
}

TEST(ExternalLink, WhatIsSignedVerifies) {
    const auto argument = sign_external(kKey, 12, "LmS1x", {"moodle-4711", 1'900'000'000});
    const auto verdict = verify_external(kKey, 12, "LmS1x", argument);
    ASSERT_TRUE(verdict.claims) << verdict.problem;
    EXPECT_EQ(verdict.claims->ref, "moodle-4711");
    EXPECT_EQ(verdict.claims->expires_s, 1'900'000'000u);
    // 4 + 12 + 11 bytes
    EXPECT_EQ(argument.size(), 36u);
}

// A fixed vector, so the README's description and other implementations can be checked against it.
TEST(ExternalLink, MatchesTheDocumentedVector) {
    const auto key =
        *enrollment_key_bytes("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f");
    EXPECT_EQ(sign_external(key, 7, "Ab12Cd", {"u42", 1'900'000'000}), "cT-zAF9rJPpuAnLqmwbPH3U0Mg");
}

TEST(ExternalLink, AnythingChangedFailsTheSignature) {
    const auto argument = sign_external(kKey, 12, "LmS1x", {"student-1", 1'900'000'000});
    EXPECT_FALSE(verify_external(std::string(32, '\x5b'), 12, "LmS1x", argument).claims) << "another key";
    EXPECT_FALSE(verify_external(kKey, 13, "LmS1x", argument).claims) << "another deployment";
    EXPECT_FALSE(verify_external(kKey, 12, "LmS1y", argument).claims) << "another token";
    // Each character in turn changed to another one the alphabet has.
    for (std::size_t i = 0; i < argument.size(); ++i) {
        std::string forged = argument;
        forged[i] = forged[i] == 'A' ? 'B' : 'A';
        const auto verdict = verify_external(kKey, 12, "LmS1x", forged);
        EXPECT_FALSE(verdict.claims) << "character " << i;
        EXPECT_FALSE(verdict.problem.empty());
    }
    // A longer expiry spliced in from another link.
    const auto later = sign_external(kKey, 12, "LmS1x", {"student-1", 2'000'000'000});
    EXPECT_FALSE(verify_external(kKey, 12, "LmS1x", later.substr(0, 6) + argument.substr(6)).claims);
}

TEST(ExternalLink, HostileSignedPartsAreRefusedWithAReason) {
    for (const std::string bad : {std::string(), std::string("A"), std::string("!!!!"), std::string(21, 'A'),
                                  std::string(22, 'A'), std::string(200, 'A')}) {
        const auto verdict = verify_external(kKey, 1, "abc", bad);
        EXPECT_FALSE(verdict.claims) << bad;
        EXPECT_FALSE(verdict.problem.empty()) << bad;
    }
    EXPECT_NE(verify_external(kKey, 1, "abc", std::string(20, 'A')).problem.find("at least 17"),
              std::string::npos);
}

TEST(ExternalLink, ReferencesArePrintableAscii) {
    EXPECT_FALSE(ref_problem("user@example.org"));
    EXPECT_TRUE(ref_problem(""));
    EXPECT_TRUE(ref_problem("two words"));
    EXPECT_TRUE(ref_problem("tab\there"));
    EXPECT_TRUE(ref_problem("\xD0\x90"));
    EXPECT_TRUE(ref_problem(std::string(65, 'a')));
    // A signed reference the platform would not issue is refused too.
    const auto argument = sign_external(kKey, 1, "abc", {"bad ref", 1'900'000'000});
    EXPECT_NE(verify_external(kKey, 1, "abc", argument).problem.find("not printable"), std::string::npos);
}

}  // namespace
}  // namespace profo::enrollment
