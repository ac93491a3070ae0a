// Mini App initData arrives from the browser: any query string at all. Each
// input is checked as sent (almost always refused at the signature) and
// again re-signed with the bot's token, so that what lies behind the
// signature check (auth_date, the user JSON) is explored too.
#include "telegram/init_data.hpp"

#include <profo/sdk/form.hpp>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace {

constexpr std::string_view kToken = "123456:fuzz-token";

std::string form_encode(std::string_view text) {
    static constexpr char kDigits[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : text) {
        out += '%';
        out += kDigits[c >> 4];
        out += kDigits[c & 15];
    }
    return out;
}

void validate(std::string_view text) {
    using namespace profo::host;
    const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
    try {
        (void)validate_init_data(text, kToken, now, std::chrono::hours(24));
    } catch (const profo::sdk::SignatureError&) {
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace profo::host;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    validate(text);
    std::map<std::string, std::string> fields;
    try {
        fields = profo::sdk::parse_form(text);
    } catch (const std::invalid_argument&) {
        return 0;
    }
    fields["hash"] = init_data_hash(fields, kToken);
    std::string signed_text;
    for (const auto& [key, value] : fields)
        signed_text += (signed_text.empty() ? "" : "&") + form_encode(key) + "=" + form_encode(value);
    validate(signed_text);
    return 0;
}
