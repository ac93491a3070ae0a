// Secrets at rest: AES-256-GCM under the deployment's master key.
//
// The key comes from secrets.key (64 hex digits, normally from the environment
// as PROFO_SECRETS_KEY) or from secrets.key_file, which is created with a fresh
// random key (mode 0600) on first start.
//
// Sealed text is "v2:" + base64(nonce(12) | ciphertext | tag(16)), with
// "v2:" + context as the associated data: the context names where the value
// is kept (table, column, row; sdk::SecretBox), so a value copied into another
// row fails authentication there instead of opening as that row's secret.
//
// "v1:" values (the same layout without associated data) were written before
// contexts existed. They still open, under any context, so an existing
// database keeps working; `profo serve` and `profo migrate` re-seal the bot
// tokens among them with their context (reseal_unbound_bot_tokens), after
// which a swap is caught for them too.
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

    using sdk::SecretBox::open;
    using sdk::SecretBox::seal;
    std::string seal(std::string_view plaintext, std::string_view context) const override;
    std::string open(std::string_view sealed, std::string_view context) const override;

private:
    std::array<unsigned char, 32> key_;
};

// Whether `sealed` is a "v1:" value, bound to no context.
bool sealed_without_context(std::string_view sealed);

}  // namespace profo::host
