// How a free-text reply is compared with `correct_answer` and checked against
// `validate:`. Case folding covers Latin (ASCII, Latin-1, Latin Extended-A),
// Greek and Cyrillic without pulling ICU into every deployment; other scripts
// compare as written.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace profo::elements {

// Lower case of UTF-8 text for the scripts above; invalid UTF-8 bytes are kept.
std::string unicode_lower(std::string_view utf8);
// Without leading and trailing whitespace (ASCII and no-break space).
std::string_view trim_text(std::string_view text);
// The ASCII digits of `text`, in order ("1, 2 3" -> "123").
std::string digits_of(std::string_view text);

enum class InputType { text, sequence };
std::optional<InputType> input_type_named(std::string_view name);

// `text`: trimmed and case-insensitive; `sequence`: only the digits count.
bool answer_matches(std::string_view reply, std::string_view correct_answer, InputType type);

// `validate: email|phone|number|regex:<re>`: a reply that does not fit gets
// `invalid_text` and the element keeps waiting.
struct ReplyFormat {
    enum class Kind { email, phone, number, regex } kind = Kind::email;
    std::string pattern;  // regex only
};
// Empty when `validate` names no known format; for regex also when the
// expression does not compile (`error` says why).
std::optional<ReplyFormat> reply_format_named(std::string_view validate, std::string* error = nullptr);
bool reply_fits(const ReplyFormat& format, std::string_view reply);

}  // namespace profo::elements
