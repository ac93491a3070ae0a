#include "text/record_name.hpp"

#include <vector>

namespace profo::host {

namespace {

// The code points of valid UTF-8, or the offset of the first byte that is not
// (sdk::code_points says only whether it is, and a person fixing a name needs where).
struct DecodedText {
    std::vector<char32_t> code_points;
    std::optional<std::size_t> invalid_at;
};

DecodedText decode_utf8(const std::string& text) {
    DecodedText out;
    for (std::size_t i = 0; i < text.size();) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const int length = lead < 0x80           ? 1
                           : (lead >> 5) == 0x6  ? 2
                           : (lead >> 4) == 0xE  ? 3
                           : (lead >> 3) == 0x1E ? 4
                                                 : 0;
        if (length == 0 || i + length > text.size()) {
            out.invalid_at = i;
            return out;
        }
        char32_t cp = length == 1 ? lead : lead & (0xFF >> (length + 1));
        for (int k = 1; k < length; ++k) {
            const auto next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) {
                out.invalid_at = i;
                return out;
            }
            cp = (cp << 6) | (next & 0x3F);
        }
        // Overlong forms, UTF-16 surrogates and beyond Unicode are not UTF-8.
        static constexpr char32_t kLeast[] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < kLeast[length] || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF) {
            out.invalid_at = i;
            return out;
        }
        out.code_points.push_back(cp);
        i += static_cast<std::size_t>(length);
    }
    return out;
}

}  // namespace

std::optional<std::string> record_name_problem(const std::string& name, std::string_view what,
                                               std::size_t max_characters) {
    const std::string the = "the " + std::string(what);
    if (name.empty()) return the + " must not be empty";
    const auto decoded = decode_utf8(name);
    if (decoded.invalid_at)
        return the + " is not valid UTF-8 (at byte " + std::to_string(*decoded.invalid_at + 1) + ")";
    const auto& text = decoded.code_points;
    if (text.size() > max_characters)
        return the + " is " + std::to_string(text.size()) + " characters long; at most " +
               std::to_string(max_characters) + " are allowed";
    for (std::size_t i = 0; i < text.size(); ++i)
        if (text[i] < 0x20 || (text[i] >= 0x7F && text[i] <= 0x9F))
            return the + " has a control character at character " + std::to_string(i + 1);
        // Embeddings, overrides and isolates reorder what follows them: a
        // name could show as another's in lists and logs.
        else if ((text[i] >= 0x202A && text[i] <= 0x202E) || (text[i] >= 0x2066 && text[i] <= 0x2069))
            return the + " has a text direction control at character " + std::to_string(i + 1);
    if (text.front() == ' ' || text.back() == ' ') return the + " '" + name + "' begins or ends with a space";
    return std::nullopt;
}

}  // namespace profo::host
