// UTF-8 text as Telegram counts it and as students type it: one
// implementation of length, case folding and trimming for the engine and
// every element, so that an answer matching in one element matches in all.
//
// Bytes that are not valid UTF-8 are never dropped: they count as one
// character each and pass through folding unchanged.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace profo::sdk {

// Whether `text` is well-formed UTF-8 (no overlong forms, surrogates or
// truncated sequences): what JSON, Telegram and PostgreSQL accept.
bool valid_utf8(std::string_view text);

// 2.6: the code points of `utf8`; nothing when it is not valid UTF-8.
std::optional<std::u32string> code_points(std::string_view utf8);
// 2.6: the code point `c` (at most U+10FFFF, not a surrogate) in UTF-8.
std::string utf8_of(char32_t c);

// Length in UTF-16 code units, the unit of Telegram's entity offsets: a
// character outside the BMP, such as most emoji, counts two. Telegram's
// length limits (4096 for a message, 1024 for a caption, 300 for a poll
// question, 100 for a poll option) count characters, so a text within one
// by this length is within it for Telegram too; the platform splits and
// refuses by this count, which errs on the safe side for emoji.
std::size_t telegram_length(std::string_view utf8);

// Unicode full case folding (CaseFolding.txt, statuses C and F): the form to
// compare typed answers in. "Straße" and "STRASSE" fold alike, as do "ΆΣ" and
// "άσ" and Deseret capitals and their small letters; accents are kept.
std::string fold_case(std::string_view utf8);

// `utf8` without Unicode white space (ASCII spaces, tabs and line breaks,
// no-break and other Unicode spaces) at either end.
std::string_view trim(std::string_view utf8);

// Typed answers compared as a student means them: trimmed, case folded.
bool same_answer(std::string_view given, std::string_view expected);

}  // namespace profo::sdk
