// Secrets at rest: AES-256-GCM under the deployment's master key.
//
// The key comes from secrets.key (64 hex digits, normally from the environment
// as PROFO_SECRETS_KEY) or from secrets.key_file, which is created with a fresh
// random key (mode 0600) on first start. Sealed text is
// "v1:" + base64(nonce(12) | ciphertext | tag(16)).
#pragma once

#include "config/config.hpp"

#include <profo/sdk/host.hpp>

#include <array>

namespace profo::host {

class AesGcmSecretBox final : public sdk::SecretBox {
public:
    explicit AesGcmSecretBox(const std::array<unsigned char, 32>& key);
    // Reads or creates the key as described above; throws std::runtime_error
    // naming the file or setting when it is unusable.
    static AesGcmSecretBox from_config(const Config::Secrets& settings);

    std::string seal(std::string_view plaintext) const override;
    std::string open(std::string_view sealed) const override;

private:
    std::array<unsigned char, 32> key_;
};

}  // namespace profo::host
