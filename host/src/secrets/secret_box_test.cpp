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
        EXPECT_EQ(sealed.rfind("v1:", 0), 0u) << sealed;
        EXPECT_EQ(
            sealed.find_first_not_of("v1:ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
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
         {std::string(), std::string("v1:"), std::string("v2:") + sealed.substr(3), sealed.substr(3),
          std::string("v1:AAAA"), std::string("v1:not base64 at all!"), sealed.substr(0, sealed.size() - 4),
          sealed + "AAAA", " " + sealed})
        expect_open_fails(box, bad);
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
