// Which settings hold secrets: a key naming a key, token, secret or password
// (`api_key`, `bot_token`, `webhook_secret`). The logs redact their values,
// and a tenant's override of an endpoint never inherits them.
#pragma once

#include <string_view>

namespace profo::host {

bool names_a_secret(std::string_view key);

// A secret kept sealed through the SecretBox (`api_key_sealed`): a setting
// whose name ends in `_sealed`.
bool is_sealed_setting(std::string_view key);

}  // namespace profo::host
