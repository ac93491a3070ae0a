#include "secrets/secret_box.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <memory>
#include <optional>
#include <stdexcept>

namespace profo::host {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kUnboundPrefix = "v1:";  // no associated data
constexpr std::string_view kPrefix = "v2:";         // "v2:" + context as associated data
constexpr std::size_t kNonceSize = 12;
constexpr std::size_t kTagSize = 16;
constexpr std::string_view kBase64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

CipherCtx new_ctx() {
    CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
    if (!ctx) throw std::runtime_error("cannot allocate a cipher context");
    return ctx;
}

std::string base64_encode(const unsigned char* data, std::size_t size) {
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    for (std::size_t i = 0; i < size; i += 3) {
        const std::size_t n = std::min<std::size_t>(3, size - i);
        std::uint32_t v = static_cast<std::uint32_t>(data[i]) << 16;
        if (n > 1) v |= static_cast<std::uint32_t>(data[i + 1]) << 8;
        if (n > 2) v |= data[i + 2];
        out += kBase64[(v >> 18) & 63];
        out += kBase64[(v >> 12) & 63];
        out += n > 1 ? kBase64[(v >> 6) & 63] : '=';
        out += n > 2 ? kBase64[v & 63] : '=';
    }
    return out;
}

// Strict on purpose: padding only at the end and unused low bits zero, so
// that every change to the sealed text changes the decoded bytes (and then
// fails authentication) instead of being silently tolerated.
bool base64_decode(std::string_view in, std::string& out) {
    if (in.size() % 4 != 0) return false;
    std::size_t pad = 0;
    if (!in.empty() && in.back() == '=') ++pad;
    if (in.size() >= 2 && in[in.size() - 2] == '=') ++pad;
    out.clear();
    out.reserve(in.size() / 4 * 3);
    std::uint32_t acc = 0;
    for (std::size_t i = 0; i < in.size() - pad; ++i) {
        const auto pos = kBase64.find(in[i]);
        if (pos == std::string_view::npos) return false;
        acc = (acc << 6) | static_cast<std::uint32_t>(pos);
        if (i % 4 == 3) {
            out += static_cast<char>((acc >> 16) & 0xff);
            out += static_cast<char>((acc >> 8) & 0xff);
            out += static_cast<char>(acc & 0xff);
            acc = 0;
        }
    }
    if (pad == 2) {
        if (acc & 0x0f) return false;
        out += static_cast<char>((acc >> 4) & 0xff);
    } else if (pad == 1) {
        if (acc & 0x03) return false;
        out += static_cast<char>((acc >> 10) & 0xff);
        out += static_cast<char>((acc >> 2) & 0xff);
    }
    return true;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

std::optional<std::array<unsigned char, 32>> parse_hex_key(std::string_view text) {
    text = trim(text);
    std::array<unsigned char, 32> key{};
    if (text.size() != key.size() * 2) return std::nullopt;
    for (std::size_t i = 0; i < key.size(); ++i) {
        const int hi = hex_value(text[2 * i]);
        const int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        key[i] = static_cast<unsigned char>(hi * 16 + lo);
    }
    return key;
}

template <std::size_t N>
std::string to_hex(const std::array<unsigned char, N>& key) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : key) {
        out += kDigits[b >> 4];
        out += kDigits[b & 15];
    }
    return out;
}

std::string errno_text(int err) {
    return std::strerror(err);
}

// The mode is checked on the descriptor the key is read from, so the file
// cannot be swapped between the check and the read. Anyone else who can read
// the key can open every sealed secret, so a readable key is refused, not
// just reported.
std::array<unsigned char, 32> read_key_file(const fs::path& file) {
    const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        throw std::runtime_error("cannot read secret key file " + file.string() + ": " + errno_text(errno));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        const int err = errno;
        ::close(fd);
        throw std::runtime_error("cannot read secret key file " + file.string() + ": " + errno_text(err));
    }
    if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
        ::close(fd);
        char mode[8];
        std::snprintf(mode, sizeof mode, "%03o", static_cast<unsigned>(st.st_mode & 0777));
        throw std::runtime_error("secret key file " + file.string() +
                                 " is accessible to group or others (mode " + mode +
                                 "); refusing to use it: run `chmod 600 " + file.string() + "`");
    }
    std::string text;
    char buffer[256];
    for (;;) {
        const auto n = ::read(fd, buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            throw std::runtime_error("cannot read secret key file " + file.string() + ": " + errno_text(err));
        }
        if (n == 0 || text.size() > 4096) break;  // a key is 65 bytes; more is malformed anyway
        text.append(buffer, static_cast<std::size_t>(n));
    }
    ::close(fd);
    const auto key = parse_hex_key(text);
    if (!key)
        throw std::runtime_error("secret key file " + file.string() +
                                 " is malformed: expected 64 hex digits (a 32-byte key)");
    return *key;
}

bool write_all(int fd, std::string_view text) {
    while (!text.empty()) {
        const auto n = ::write(fd, text.data(), text.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        text.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

// Creates the file with a fresh key; returns nullopt when another process (or
// thread) created it first. The key is written to a private temporary file
// (O_CREAT|O_EXCL, 0600) and then hard-linked into place: link() never
// replaces an existing file, and readers never see a half-written key.
std::optional<std::array<unsigned char, 32>> create_key_file(const fs::path& file) {
    if (file.has_parent_path()) {
        std::error_code ec;
        fs::create_directories(file.parent_path(), ec);
        if (ec)
            throw std::runtime_error("cannot create the folder of secret key file " + file.string() + ": " +
                                     ec.message());
    }
    std::array<unsigned char, 32> key{};
    std::array<unsigned char, 8> suffix{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1 ||
        RAND_bytes(suffix.data(), static_cast<int>(suffix.size())) != 1)
        throw std::runtime_error("cannot create secret key file " + file.string() +
                                 ": no random bytes available");
    const std::string text = to_hex(key) + "\n";

    fs::path temp = file;
    temp += ".tmp-" + std::to_string(::getpid()) + "-" + to_hex(suffix);
    const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        throw std::runtime_error("cannot create secret key file " + file.string() + ": " + errno_text(errno));
    const bool written = write_all(fd, text) && ::fsync(fd) == 0;
    const int write_errno = errno;
    ::close(fd);
    const int linked = written ? ::link(temp.c_str(), file.c_str()) : -1;
    const int link_errno = errno;
    ::unlink(temp.c_str());

    if (!written)
        throw std::runtime_error("cannot write secret key file " + file.string() + ": " +
                                 errno_text(write_errno));
    if (linked != 0) {
        if (link_errno == EEXIST) return std::nullopt;
        throw std::runtime_error("cannot create secret key file " + file.string() + ": " +
                                 errno_text(link_errno) +
                                 " (set secrets.key instead if this filesystem has no hard links)");
    }
    spdlog::info("created secret key file {} with a new random key; keep it: sealed secrets depend on it",
                 file.string());
    return key;
}

// The version is part of what is authenticated, so a v2 value relabelled
// "v1:" does not open as one sealed without context.
std::string associated_data(std::string_view context) {
    return std::string(kPrefix) + std::string(context);
}

std::string open_error(std::string_view context) {
    if (context.empty()) return "sealed secret cannot be opened: wrong key or corrupted data";
    return "sealed secret for " + std::string(context) +
           " cannot be opened: wrong key, corrupted data, or it was sealed for another row";
}

}  // namespace

AesGcmSecretBox::AesGcmSecretBox(const std::array<unsigned char, 32>& key) : key_(key) {}

AesGcmSecretBox AesGcmSecretBox::from_config(const Config::Secrets& settings) {
    if (!settings.key.empty()) {
        const auto key = parse_hex_key(settings.key);
        // The value itself is never echoed: it is the secret.
        if (!key) throw std::runtime_error("secrets.key must be 64 hex digits (a 32-byte key)");
        return AesGcmSecretBox(*key);
    }
    if (settings.key_file.empty())
        throw std::runtime_error(
            "neither secrets.key nor secrets.key_file is set; one of them must give the key");

    const fs::path file = settings.key_file;
    std::error_code ec;
    if (fs::exists(file, ec)) return AesGcmSecretBox(read_key_file(file));
    if (auto created = create_key_file(file)) return AesGcmSecretBox(*created);
    return AesGcmSecretBox(read_key_file(file));
}

bool sealed_without_context(std::string_view sealed) {
    return sealed.substr(0, kUnboundPrefix.size()) == kUnboundPrefix;
}

std::string AesGcmSecretBox::seal(std::string_view plaintext, std::string_view context) const {
    // OpenSSL counts in int; secrets are tokens and keys, nowhere near this.
    if (plaintext.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) / 2 ||
        context.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) / 2)
        throw std::invalid_argument("secret too large to seal");
    const std::string aad = associated_data(context);
    std::string raw(kNonceSize + plaintext.size() + kTagSize, '\0');
    auto* nonce = reinterpret_cast<unsigned char*>(raw.data());
    auto* cipher = nonce + kNonceSize;
    if (RAND_bytes(nonce, static_cast<int>(kNonceSize)) != 1)
        throw std::runtime_error("no random bytes for a nonce");

    auto ctx = new_ctx();
    int len = 0;
    int total = 0;
    bool ok = EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1;
    // Associated data goes in with a null output buffer, before the plaintext.
    ok = ok && EVP_EncryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                                 static_cast<int>(aad.size())) == 1;
    if (!plaintext.empty()) {
        ok = ok && EVP_EncryptUpdate(ctx.get(), cipher, &len,
                                     reinterpret_cast<const unsigned char*>(plaintext.data()),
                                     static_cast<int>(plaintext.size())) == 1;
        total = len;
    }
    ok = ok && EVP_EncryptFinal_ex(ctx.get(), cipher + total, &len) == 1;
    total += len;
    ok = ok && static_cast<std::size_t>(total) == plaintext.size();
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagSize),
                                   cipher + total) == 1;
    if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
    return std::string(kPrefix) + base64_encode(nonce, raw.size());
}

std::string AesGcmSecretBox::open(std::string_view sealed, std::string_view context) const {
    // A v1 value was sealed before contexts existed: it opens without one.
    const bool bound = !sealed_without_context(sealed);
    std::string raw;
    if ((bound && sealed.substr(0, kPrefix.size()) != kPrefix) ||
        !base64_decode(sealed.substr(kPrefix.size()), raw) || raw.size() < kNonceSize + kTagSize ||
        context.size() > static_cast<std::size_t>(std::numeric_limits<int>::max()) / 2)
        throw std::runtime_error(open_error(context));
    const std::string aad = bound ? associated_data(context) : std::string();

    const auto* nonce = reinterpret_cast<const unsigned char*>(raw.data());
    const auto* cipher = nonce + kNonceSize;
    const std::size_t cipher_size = raw.size() - kNonceSize - kTagSize;
    std::string plain(cipher_size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(plain.data());

    auto ctx = new_ctx();
    int len = 0;
    bool ok = EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key_.data(), nonce) == 1;
    if (!aad.empty())
        ok = ok &&
             EVP_DecryptUpdate(ctx.get(), nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                               static_cast<int>(aad.size())) == 1;
    int total = 0;
    if (cipher_size > 0) {
        ok = ok && EVP_DecryptUpdate(ctx.get(), out, &len, cipher, static_cast<int>(cipher_size)) == 1;
        total = len;
    }
    // OpenSSL takes a non-const pointer here but only reads the expected tag.
    ok = ok && EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagSize),
                                   const_cast<unsigned char*>(cipher + cipher_size)) == 1;
    ok = ok && EVP_DecryptFinal_ex(ctx.get(), out + total, &len) == 1;
    if (!ok) throw std::runtime_error(open_error(context));
    total += len;
    plain.resize(static_cast<std::size_t>(total));
    return plain;
}

}  // namespace profo::host
