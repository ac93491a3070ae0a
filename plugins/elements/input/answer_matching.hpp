// How a free-text reply is compared with `correct_answer` and checked against
// `validate:`. Text answers compare through sdk::same_answer, the one folding
// every element uses, so an answer accepted here is accepted by the miniapp
// element too.
#pragma once

#include <cstddef>
#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace profo::elements {

// The ASCII digits of `text`, in order ("1, 2 3" -> "123").
std::string digits_of(std::string_view text);

enum class InputType { text, sequence };
std::optional<InputType> input_type_named(std::string_view name);

// `text`: trimmed and case folded; `sequence`: only the digits count.
bool answer_matches(std::string_view reply, std::string_view correct_answer, InputType type);

// Telegram's longest message. std::regex recurses once per character it
// matches (about 750 bytes of stack per character for a group with an
// alternative), so a reply from another transport is cut here before any
// expression sees it.
inline constexpr std::size_t kMaxReplyBytes = 4096;
// The first kMaxReplyBytes bytes of `reply` at most, never ending inside a
// UTF-8 sequence.
std::string_view capped_reply(std::string_view reply);

// `validate: email|phone|number|regex:<re>`: a reply that does not fit gets
// `invalid_text` and the element keeps waiting.
struct ReplyFormat {
    enum class Kind { email, phone, number, regex } kind = Kind::email;
    std::regex expression;  // regex only, compiled once with the course
};
// Empty when `validate` names no known format; for regex also when the
// expression does not compile or is too long (`error` says why).
std::optional<ReplyFormat> reply_format_named(std::string_view validate, std::string* error = nullptr);
// Whether the trimmed, capped reply has the format. Never throws: an
// expression that fails on the reply means it does not fit.
bool reply_fits(const ReplyFormat& format, std::string_view reply);

}  // namespace profo::elements
