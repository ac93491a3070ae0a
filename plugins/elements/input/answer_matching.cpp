#include "answer_matching.hpp"

#include <profo/sdk/text.hpp>

#include <algorithm>

namespace profo::elements {

namespace {

// The regex compiler recurses once per nested group: 500 levels (a 1000-byte
// pattern) still compile within a 256 KiB thread stack.
constexpr std::size_t kMaxPatternBytes = 1000;

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

// std::regex's \s in the classic locale.
bool is_ascii_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// [^@\s]+@[^@\s]+\.[^@\s.]+ : one @, no spaces, a dot in the domain with
// something on both sides of its last one.
bool is_email(std::string_view text) {
    if (std::any_of(text.begin(), text.end(), is_ascii_space)) return false;
    const std::size_t at = text.find('@');
    if (at == 0 || at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
        return false;
    const std::string_view domain = text.substr(at + 1);
    const std::size_t dot = domain.rfind('.');
    return dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size();
}

// \+?[0-9(][0-9 ()\-.]*[0-9] with 7 to 15 digits: "+7 (495) 123-45-67".
bool is_phone(std::string_view text) {
    if (!text.empty() && text.front() == '+') text.remove_prefix(1);
    if (text.size() < 2 || !(is_digit(text.front()) || text.front() == '(') || !is_digit(text.back()))
        return false;
    const auto allowed = [](char c) {
        return is_digit(c) || c == ' ' || c == '(' || c == ')' || c == '-' || c == '.';
    };
    if (!std::all_of(text.begin(), text.end(), allowed)) return false;
    const auto digits = std::count_if(text.begin(), text.end(), is_digit);
    return digits >= 7 && digits <= 15;
}

// [-+]?([0-9]+([.,][0-9]*)?|[.,][0-9]+) : "42", "-3,5", "5.", ".5".
bool is_number(std::string_view text) {
    std::size_t pos = 0;
    const auto digits_from = [&] {
        const std::size_t start = pos;
        while (pos < text.size() && is_digit(text[pos])) ++pos;
        return pos - start;
    };
    if (pos < text.size() && (text[pos] == '-' || text[pos] == '+')) ++pos;
    const std::size_t whole = digits_from();
    std::size_t fraction = 0;
    if (pos < text.size() && (text[pos] == '.' || text[pos] == ',')) {
        ++pos;
        fraction = digits_from();
    }
    return pos == text.size() && (whole > 0 || fraction > 0);
}

bool fits_expression(const std::regex& expression, std::string_view text) {
    try {
        return std::regex_match(text.begin(), text.end(), expression);
    } catch (...) {
        // error_complexity, error_stack, allocation failure: a reply the
        // expression cannot judge does not fit, and the event goes on.
        return false;
    }
}

std::regex compiled_expression(const std::string& pattern) {
#ifdef __GLIBCXX__
    // libstdc++'s polynomial mode matches breadth-first: no recursion per
    // character and no exponential backtracking on patterns like (a+)+b. It
    // refuses back-references, which then take the default mode on the capped reply.
    try {
        return std::regex(pattern, std::regex::ECMAScript | std::regex_constants::__polynomial);
    } catch (const std::regex_error& e) {
        if (e.code() != std::regex_constants::error_complexity) throw;
    }
#endif
    return std::regex(pattern);
}

}  // namespace

std::string digits_of(std::string_view text) {
    std::string digits;
    for (char c : text)
        if (is_digit(c)) digits += c;
    return digits;
}

std::optional<InputType> input_type_named(std::string_view name) {
    if (name == "text") return InputType::text;
    if (name == "sequence") return InputType::sequence;
    return std::nullopt;
}

bool answer_matches(std::string_view reply, std::string_view correct_answer, InputType type) {
    if (type == InputType::sequence) return digits_of(reply) == digits_of(correct_answer);
    return sdk::same_answer(reply, correct_answer);
}

std::string_view capped_reply(std::string_view reply) {
    if (reply.size() <= kMaxReplyBytes) return reply;
    std::size_t cut = kMaxReplyBytes;
    while (cut > 0 && (static_cast<unsigned char>(reply[cut]) & 0xC0) == 0x80) --cut;
    return reply.substr(0, cut);
}

std::optional<ReplyFormat> reply_format_named(std::string_view validate, std::string* error) {
    static constexpr std::string_view kRegexPrefix = "regex:";
    const auto fail = [&](std::string why) -> std::optional<ReplyFormat> {
        if (error != nullptr) *error = std::move(why);
        return std::nullopt;
    };
    if (validate == "email") return ReplyFormat{ReplyFormat::Kind::email, {}};
    if (validate == "phone") return ReplyFormat{ReplyFormat::Kind::phone, {}};
    if (validate == "number") return ReplyFormat{ReplyFormat::Kind::number, {}};
    if (validate.substr(0, kRegexPrefix.size()) != kRegexPrefix)
        return fail("not one of email, phone, number, regex:<expression>");
    const std::string pattern(validate.substr(kRegexPrefix.size()));
    if (pattern.empty()) return fail("the regular expression after 'regex:' is empty");
    if (pattern.size() > kMaxPatternBytes)
        return fail("the regular expression is longer than " + std::to_string(kMaxPatternBytes) +
                    " characters");
    try {
        return ReplyFormat{ReplyFormat::Kind::regex, compiled_expression(pattern)};
    } catch (const std::exception& e) {  // regex_error, or no memory for a huge automaton
        return fail(std::string("the regular expression does not compile: ") + e.what());
    }
}

bool reply_fits(const ReplyFormat& format, std::string_view reply) {
    reply = capped_reply(sdk::trim(reply));
    switch (format.kind) {
        case ReplyFormat::Kind::email: return is_email(reply);
        case ReplyFormat::Kind::phone: return is_phone(reply);
        case ReplyFormat::Kind::number: return is_number(reply);
        case ReplyFormat::Kind::regex: return fits_expression(format.expression, reply);
    }
    return false;
}

}  // namespace profo::elements
