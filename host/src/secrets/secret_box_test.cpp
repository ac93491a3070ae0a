#include "secrets/secret_box.hpp"

#include <gtest/gtest.h>

#include <sys/stat.h>
#include <filesystem>
#include <fstream>
#include <random>
#include <thread>
#include <vector>

namespace profo::host {
namespace {

namespace fs = std::filesystem;

constexpr const char* kOpenError = "sealed secret cannot be opened: wrong key or corrupted data";

std::array<unsigned char, 32> key_of(unsigned char seed) {
    std::array<unsigned char, 32> key{};
    for (std::size_t i = 0; i < key.size(); ++i) key[i] = static_cast<unsigned char>(seed + i * 7);
    return key;
}

void expect_open_fails(const AesGcmSecretBox& box, const std::string& sealed) {
    try {
        box.open(sealed);
        ADD_FAILURE() << "opened tampered text " << sealed;
    } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), kOpenError);
    }
}

class TempDir {
public:
    TempDir() {
        std::random_device rd;
        path_ = fs::temp_directory_path() / ("profo-secret-test-" + std::to_string(rd()));
        fs::create_directories(path_);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path_, ec);
    }
    const fs::path& path() const { return path_; }

private:
    fs::path path_;
};

TEST(AesGcmSecretBox, RoundTripsTextEmptyBinaryAndCyrillic) {
    const AesGcmSecretBox box(key_of(1));
    std::string binary;
    for (int i = 0; i < 256; ++i) binary += static_cast<char>(i);
    for (const std::string& plain : {std::string("123456:AAE-bot-token"), std::string(), binary,
                                     std::string("Привет, студент! Ёж"), std::string(10000, 'x')}) {
        const auto sealed = box.seal(plain);
        EXPECT_EQ(sealed.rfind("v2:", 0), 0u) << sealed;
        EXPECT_EQ(
            sealed.find_first_not_of("v2:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
            std::string::npos);
        EXPECT_EQ(box.open(sealed), plain);
    }
}

TEST(AesGcmSecretBox, SealedLayoutIsNonceCiphertextTag) {
    const AesGcmSecretBox box(key_of(2));
    // base64 of 12 + 5 + 16 = 33 bytes is exactly 44 characters.
    EXPECT_EQ(box.seal("hello").size(), 3u + 44u);
    EXPECT_EQ(box.seal("").size(), 3u + 40u);  // 28 bytes -> 40 characters with padding
}

TEST(AesGcmSecretBox, SealingTwiceGivesDifferentTexts) {
    const AesGcmSecretBox box(key_of(3));
    const auto a = box.seal("same token");
    const auto b = box.seal("same token");
    EXPECT_NE(a, b);
    EXPECT_EQ(box.open(a), box.open(b));
}

TEST(AesGcmSecretBox, AnyTamperedCharacterFails) {
    const AesGcmSecretBox box(key_of(4));
    const auto sealed = box.seal("toke");  // 32 bytes: the base64 ends in one "="
    for (std::size_t i = 0; i < sealed.size(); ++i) {
        for (char replacement : {'A', 'B', 'z', '/', '=', '!'}) {
            if (sealed[i] == replacement) continue;
            std::string tampered = sealed;
            tampered[i] = replacement;
            expect_open_fails(box, tampered);
        }
    }
}

TEST(AesGcmSecretBox, MalformedInputFailsWithTheSameMessage) {
    const AesGcmSecretBox box(key_of(5));
    const auto sealed = box.seal("token");
    for (const std::string& bad :
         {std::string(), std::string("v1:"), std::string("v2:"), std::string("v3:") + sealed.substr(3),
          sealed.substr(3), std::string("v1:AAAA"), std::string("v1:not base64 at all!"),
          sealed.substr(0, sealed.size() - 4), sealed + "AAAA", " " + sealed})
        expect_open_fails(box, bad);
}

// A bot token sealed for one row, e.g. by the old code.
constexpr const char* kLegacyToken = "123456:AAE-legacy-token";
// Sealed by the format before contexts ("v1:", no associated data) under
// key_of(8), nonce 00..0b.
constexpr const char* kLegacySealed =
    "v1:AAECAwQFBgcICQoLXMSJo6UVYrngUYSmnWQEpaN5N1+XnLR9kSXAK+tU5489lF6MESnn";

TEST(AesGcmSecretBox, ASealedValueOpensOnlyUnderItsContext) {
    const AesGcmSecretBox box(key_of(8));
    const auto first = box.seal("111:first-bot-token", "bots.token_sealed:1/1");
    const auto second = box.seal("222:second-bot-token", "bots.token_sealed:1/2");
    EXPECT_EQ(box.open(first, "bots.token_sealed:1/1"), "111:first-bot-token");
    EXPECT_EQ(box.open(second, "bots.token_sealed:1/2"), "222:second-bot-token");
    // Swapped between the rows: each fails, naming the row it was opened for.
    for (const auto& [sealed, context] :
         {std::pair(first, "bots.token_sealed:1/2"), std::pair(second, "bots.token_sealed:1/1"),
          std::pair(first, ""), std::pair(second, "bots.token_sealed:2/2")}) {
        try {
            const auto opened = box.open(sealed, context);
            ADD_FAILURE() << "opened a value sealed for another context as " << context << ": " << opened;
        } catch (const std::runtime_error& e) {
            if (std::string(context).empty())
                EXPECT_STREQ(e.what(), kOpenError);
            else
                EXPECT_EQ(std::string(e.what()), std::string("sealed secret for ") + context +
                                                     " cannot be opened: wrong key, corrupted data, or it "
                                                     "was sealed for another row");
        }
    }
    // Without a context is the empty context, not "any".
    expect_open_fails(box, first);
    EXPECT_EQ(box.open(box.seal("no row")), "no row");
    EXPECT_EQ(box.open(box.seal("no row"), ""), "no row");
}

TEST(AesGcmSecretBox, ValuesSealedBeforeContextsStillOpen) {
    const AesGcmSecretBox box(key_of(8));
    EXPECT_TRUE(sealed_without_context(kLegacySealed));
    EXPECT_EQ(box.open(kLegacySealed), kLegacyToken);
    EXPECT_EQ(box.open(kLegacySealed, "bots.token_sealed:1/7"), kLegacyToken);
    const auto resealed = box.seal(kLegacyToken, "bots.token_sealed:1/7");
    EXPECT_FALSE(sealed_without_context(resealed));
    EXPECT_EQ(box.open(resealed, "bots.token_sealed:1/7"), kLegacyToken);
    // A v1 value still fails on anything but its own bytes and key.
    expect_open_fails(AesGcmSecretBox(key_of(9)), kLegacySealed);
    std::string tampered = kLegacySealed;
    tampered[10] = tampered[10] == 'A' ? 'B' : 'A';
    expect_open_fails(box, tampered);
}

TEST(AesGcmSecretBox, ABoundValueRelabelledAsUnboundDoesNotOpen) {
    const AesGcmSecretBox box(key_of(8));
    for (const char* context : {"", "bots.token_sealed:1/1"}) {
        const auto sealed = box.seal("123:token", context);
        expect_open_fails(box, "v1:" + sealed.substr(3));
    }
}

TEST(AesGcmSecretBox, WrongKeyFails) {
    const AesGcmSecretBox box(key_of(6));
    const AesGcmSecretBox other(key_of(7));
    expect_open_fails(other, box.seal("123456:AAE-bot-token"));
}

TEST(AesGcmSecretBox, KeyFromSettingIsHex) {
    Config::Secrets settings;
    settings.key = std::string(64, 'a');
    settings.key_file = "/nonexistent/never/used.key";
    const auto box = AesGcmSecretBox::from_config(settings);
    std::array<unsigned char, 32> expected{};
    expected.fill(0xaa);
    EXPECT_EQ(AesGcmSecretBox(expected).open(box.seal("x-token")), "x-token");

    for (const std::string& bad : {std::string(63, 'a'), std::string(65, 'a'), std::string(62, 'a') + "zz"}) {
        settings.key = bad;
        try {
            AesGcmSecretBox::from_config(settings);
            ADD_FAILURE() << "accepted key " << bad;
        } catch (const std::runtime_error& e) {
            EXPECT_NE(std::string(e.what()).find("secrets.key"), std::string::npos) << e.what();
            EXPECT_EQ(std::string(e.what()).find(bad), std::string::npos) << "the key must not be echoed";
        }
    }
}

TEST(AesGcmSecretBox, KeyFileIsCreatedPrivateAndReused) {
    TempDir dir;
    Config::Secrets settings;
    settings.key_file = (dir.path() / "nested" / "data" / "secret.key").string();

    const auto first = AesGcmSecretBox::from_config(settings);
    struct stat st {};
    ASSERT_EQ(::stat(settings.key_file.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 0777, 0600u);
    std::ifstream in(settings.key_file);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    EXPECT_EQ(text.size(), 65u);
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(text.find_first_not_of("0123456789abcdef\n"), std::string::npos) << text;

    const auto second = AesGcmSecretBox::from_config(settings);
    EXPECT_EQ(second.open(first.seal("survives a restart")), "survives a restart");
}

TEST(AesGcmSecretBox, ConcurrentFirstStartsAgreeOnOneKey) {
    TempDir dir;
    Config::Secrets settings;
    settings.key_file = (dir.path() / "secret.key").string();
    std::vector<std::string> sealed(8);
    std::vector<std::thread> threads;
    for (std::size_t i = 0; i < sealed.size(); ++i)
        threads.emplace_back([&, i] { sealed[i] = AesGcmSecretBox::from_config(settings).seal("shared"); });
    for (auto& t : threads) t.join();
    const auto box = AesGcmSecretBox::from_config(settings);
    for (const auto& s : sealed) EXPECT_EQ(box.open(s), "shared");
}

TEST(AesGcmSecretBox, MalformedKeyFileErrorNamesTheFile) {
    TempDir dir;
    const auto file = dir.path() / "broken.key";
    std::ofstream(file) << "not a key\n";
    fs::permissions(file, fs::perms::owner_read | fs::perms::owner_write);
    Config::Secrets settings;
    settings.key_file = file.string();
    try {
        AesGcmSecretBox::from_config(settings);
        FAIL() << "accepted a malformed key file";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    }
}

// Whoever can read the key can open every sealed secret: a key file others
// can read is refused, naming the file and the fix.
TEST(AesGcmSecretBox, KeyFileReadableByOthersIsRefused) {
    TempDir dir;
    Config::Secrets settings;
    settings.key_file = (dir.path() / "secret.key").string();
    const auto created = AesGcmSecretBox::from_config(settings);
    for (const auto mode : {fs::perms::group_read, fs::perms::others_read, fs::perms::others_write}) {
        fs::permissions(settings.key_file, fs::perms::owner_read | fs::perms::owner_write | mode);
        try {
            AesGcmSecretBox::from_config(settings);
            ADD_FAILURE() << "accepted a key file with mode " << std::oct << static_cast<unsigned>(mode);
        } catch (const std::runtime_error& e) {
            const std::string message = e.what();
            EXPECT_NE(
                message.find("secret key file " + settings.key_file + " is accessible to group or others"),
                std::string::npos)
                << message;
            EXPECT_NE(message.find("chmod 600 " + settings.key_file), std::string::npos) << message;
        }
    }
    fs::permissions(settings.key_file, fs::perms::owner_read | fs::perms::owner_write);
    EXPECT_EQ(AesGcmSecretBox::from_config(settings).open(created.seal("back")), "back");
}

}  // namespace
}  // namespace profo::host
