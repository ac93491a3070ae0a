#include "answer_matching.hpp"

#include <gtest/gtest.h>

#include <string>

using namespace profo::elements;

namespace {

std::string repeated(std::string_view piece, std::size_t times) {
    std::string out;
    out.reserve(piece.size() * times);
    for (std::size_t i = 0; i < times; ++i) out += piece;
    return out;
}

ReplyFormat format(std::string_view validate) {
    std::string why;
    auto format = reply_format_named(validate, &why);
    if (!format) throw std::invalid_argument(std::string(validate) + ": " + why);
    return *format;
}

}  // namespace

TEST(AnswerMatches, TextIsTrimmedAndCaseInsensitiveInCyrillic) {
    EXPECT_TRUE(answer_matches("  ТЕСТ ", "тест", InputType::text));
    EXPECT_TRUE(answer_matches("Москва", "москва", InputType::text));
    EXPECT_TRUE(answer_matches("i RECKON", "I reckon", InputType::text));
    EXPECT_TRUE(answer_matches("ЁЖ ЇҐЄ", "ёж їґє", InputType::text));
    EXPECT_FALSE(answer_matches("Москва!", "москва", InputType::text));
    EXPECT_FALSE(answer_matches("тост", "тест", InputType::text));
}

TEST(AnswerMatches, GreekKeepsItsAccentsAndFoldsFinalSigma) {
    EXPECT_TRUE(answer_matches("ΣΟΦΊΑ", "σοφία", InputType::text));
    EXPECT_TRUE(answer_matches("ΆΣ", "άσ", InputType::text));
    EXPECT_TRUE(answer_matches("ΟΔΌΣ", "οδός", InputType::text));  // final ς answers a capital Σ
    EXPECT_TRUE(answer_matches("Ώρα", "ώρα", InputType::text));
    // An accent is part of the spelling: a capital without it is another answer.
    EXPECT_FALSE(answer_matches("ΑΘΗΝΑ", "Αθήνα", InputType::text));
}

TEST(AnswerMatches, CharactersBeyondTheBasicPlane) {
    // Deseret capital long I (U+10400) and its small letter (U+10428).
    EXPECT_TRUE(answer_matches("\U00010400", "\U00010428", InputType::text));
    EXPECT_TRUE(answer_matches("\U00010400\U00010401 x", "\U00010428\U00010429 X", InputType::text));
    EXPECT_FALSE(answer_matches("\U00010400", "\U00010429", InputType::text));
    EXPECT_TRUE(answer_matches("✅ 日本", "✅ 日本", InputType::text));
}

TEST(AnswerMatches, SharpSFoldsToSs) {
    EXPECT_TRUE(answer_matches("Straße", "STRASSE", InputType::text));
    EXPECT_TRUE(answer_matches("STRASSE", "straße", InputType::text));
    EXPECT_TRUE(answer_matches("Maße", "MASSE", InputType::text));
    EXPECT_FALSE(answer_matches("Strase", "Straße", InputType::text));
}

TEST(AnswerMatches, UnicodeSpacesAroundTheAnswerDoNotCount) {
    EXPECT_TRUE(answer_matches("\u00A0Москва\u00A0", "москва", InputType::text));
    EXPECT_TRUE(answer_matches("\u202F\u2009answer\u3000\n", "ANSWER", InputType::text));
    EXPECT_TRUE(answer_matches("\t\u00A0 two words \u00A0", "Two Words", InputType::text));
    // Inside the answer a no-break space is not an ordinary space.
    EXPECT_FALSE(answer_matches("two\u00A0words", "two words", InputType::text));
    EXPECT_FALSE(answer_matches("\u00A0", "a", InputType::text));
}

TEST(AnswerMatches, BrokenBytesCompareAsWritten) {
    EXPECT_TRUE(answer_matches("A\xFF", "a\xFF", InputType::text));
    EXPECT_FALSE(answer_matches("a\xFF", "a\xFE", InputType::text));
}

TEST(AnswerMatches, SequenceComparesDigitsOnly) {
    EXPECT_EQ(digits_of("3, 1 6-2;4 5"), "316245");
    EXPECT_TRUE(answer_matches("3,1,6,2,4,5", "3 1 6 2 4 5", InputType::sequence));
    EXPECT_TRUE(answer_matches("ответ: 2 4 1 3", "2 4 1 3", InputType::sequence));
    EXPECT_FALSE(answer_matches("2 4 3 1", "2 4 1 3", InputType::sequence));
    EXPECT_FALSE(answer_matches("2 4 1", "2 4 1 3", InputType::sequence));
}

TEST(AnswerMatches, HugeRepliesAreJustWrong) {
    const std::string huge(100000, 'a');
    EXPECT_FALSE(answer_matches(huge, "a", InputType::text));
    EXPECT_TRUE(answer_matches(huge, std::string(100000, 'A'), InputType::text));
    EXPECT_FALSE(answer_matches(repeated("1 ", 50000), "1 1 1", InputType::sequence));
}

TEST(InputTypeNamed, OnlyTextAndSequence) {
    EXPECT_EQ(input_type_named("text"), InputType::text);
    EXPECT_EQ(input_type_named("sequence"), InputType::sequence);
    EXPECT_EQ(input_type_named("number"), std::nullopt);
}

TEST(CappedReply, CutsAtACharacterBoundary) {
    EXPECT_EQ(capped_reply("short"), "short");
    const std::string cyrillic = repeated("я", 3000);  // 6000 bytes
    EXPECT_EQ(capped_reply(cyrillic), repeated("я", 2048));
    // One ASCII byte first: byte 4096 is the middle of a letter, which is left out whole.
    EXPECT_EQ(capped_reply("a" + cyrillic), "a" + repeated("я", 2047));
    EXPECT_EQ(capped_reply(std::string(100000, 'x')).size(), kMaxReplyBytes);
}

TEST(ReplyFormat, Email) {
    const ReplyFormat email = format("email");
    EXPECT_TRUE(reply_fits(email, " anna@example.org "));
    EXPECT_TRUE(reply_fits(email, "\u00A0anna.k+tag@mail.example.co.uk\u00A0"));
    EXPECT_TRUE(reply_fits(email, "анна@пример.рф"));
    EXPECT_FALSE(reply_fits(email, "anna@example"));
    EXPECT_FALSE(reply_fits(email, "anna example.org"));
    EXPECT_FALSE(reply_fits(email, "anna@exa mple.org"));
    EXPECT_FALSE(reply_fits(email, "@example.org"));
    EXPECT_FALSE(reply_fits(email, "anna@@example.org"));
    EXPECT_FALSE(reply_fits(email, "anna@.org"));
    EXPECT_FALSE(reply_fits(email, "anna@example."));
    EXPECT_FALSE(reply_fits(email, ""));
}

TEST(ReplyFormat, Phone) {
    const ReplyFormat phone = format("phone");
    EXPECT_TRUE(reply_fits(phone, "+7 (495) 123-45-67"));
    EXPECT_TRUE(reply_fits(phone, "(495) 123-45-67"));
    EXPECT_TRUE(reply_fits(phone, "8.800.555.35.35"));
    EXPECT_FALSE(reply_fits(phone, "12-34"));             // 4 digits
    EXPECT_FALSE(reply_fits(phone, "1234567890123456"));  // 16 digits
    EXPECT_FALSE(reply_fits(phone, "call me"));
    EXPECT_FALSE(reply_fits(phone, "+7 (495) 123-45-6x"));
    EXPECT_FALSE(reply_fits(phone, "+7 (495) 123-45-67)"));  // must end with a digit
    EXPECT_FALSE(reply_fits(phone, "++7 495 123 45 67"));
    EXPECT_FALSE(reply_fits(phone, "-7 495 123 45 67"));
}

TEST(ReplyFormat, Number) {
    const ReplyFormat number = format("number");
    EXPECT_TRUE(reply_fits(number, "42"));
    EXPECT_TRUE(reply_fits(number, "-3,5"));
    EXPECT_TRUE(reply_fits(number, "+0.25"));
    EXPECT_TRUE(reply_fits(number, "5."));
    EXPECT_TRUE(reply_fits(number, ".5"));
    EXPECT_FALSE(reply_fits(number, "42 apples"));
    EXPECT_FALSE(reply_fits(number, "."));
    EXPECT_FALSE(reply_fits(number, "-"));
    EXPECT_FALSE(reply_fits(number, "1.2.3"));
    EXPECT_FALSE(reply_fits(number, "1e5"));
    EXPECT_FALSE(reply_fits(number, ""));
}

TEST(ReplyFormat, RegexMatchesTheWholeReply) {
    const ReplyFormat code = format("regex:[A-Z]{2}[0-9]{3}");
    EXPECT_TRUE(reply_fits(code, "AB123"));
    EXPECT_TRUE(reply_fits(code, " AB123\u00A0"));
    EXPECT_FALSE(reply_fits(code, "xAB123"));
    // Back-references still work.
    const ReplyFormat twice = format(R"(regex:(\w+) \1)");
    EXPECT_TRUE(reply_fits(twice, "bye bye"));
    EXPECT_FALSE(reply_fits(twice, "bye now"));
}

TEST(ReplyFormat, HundredThousandCharacterReplies) {
    const std::string huge(100000, 'a');
    EXPECT_FALSE(reply_fits(format("email"), huge + "@example.org"));
    EXPECT_FALSE(reply_fits(format("phone"), std::string(100000, '7')));
    EXPECT_TRUE(reply_fits(format("number"), std::string(100000, '7')));
    EXPECT_FALSE(reply_fits(format("number"), huge));
    // Patterns that recurse once per character, or backtrack exponentially, in
    // std::regex's default mode.
    EXPECT_TRUE(reply_fits(format("regex:(a|b)*"), huge));
    EXPECT_TRUE(reply_fits(format("regex:.*"), repeated("я", 50000)));
    EXPECT_FALSE(reply_fits(format("regex:(a+)+b"), huge));
    EXPECT_FALSE(reply_fits(format("regex:(a|aa)*c"), huge));
    // A back-reference runs depth-first, so it sees the first 4096 bytes
    // only: the b at the end is cut off.
    EXPECT_TRUE(reply_fits(format(R"(regex:(a)\1*)"), huge));
    EXPECT_FALSE(reply_fits(format(R"(regex:(a)\1*b)"), huge + "b"));
}

TEST(ReplyFormat, RejectsUnknownBrokenAndHugeExpressions) {
    std::string why;
    EXPECT_FALSE(reply_format_named("postcode", &why));
    EXPECT_EQ(why, "not one of email, phone, number, regex:<expression>");
    EXPECT_FALSE(reply_format_named("regex:([a-z", &why));
    EXPECT_EQ(why.rfind("the regular expression does not compile: ", 0), 0u);
    EXPECT_FALSE(reply_format_named("regex:", &why));
    EXPECT_EQ(why, "the regular expression after 'regex:' is empty");
    // Nesting this deep would overflow the stack of the regex compiler.
    EXPECT_FALSE(
        reply_format_named("regex:" + std::string(50000, '(') + "a" + std::string(50000, ')'), &why));
    EXPECT_EQ(why, "the regular expression is longer than 1000 characters");
    // An automaton too big to build.
    EXPECT_FALSE(reply_format_named("regex:(a{1000}){1000}", &why));
    EXPECT_EQ(why.rfind("the regular expression does not compile: ", 0), 0u);
}
