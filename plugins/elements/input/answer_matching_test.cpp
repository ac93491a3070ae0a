#include "answer_matching.hpp"

#include <gtest/gtest.h>

using namespace profo::elements;

TEST(UnicodeLower, LatinCyrillicGreek) {
    EXPECT_EQ(unicode_lower("Essential"), "essential");
    EXPECT_EQ(unicode_lower("ÀÉÎÕÜ ÇÑ ×"), "àéîõü çñ ×");
    EXPECT_EQ(unicode_lower("ŁÓDŹ ŻÓŁW ĞİŞ Ÿ"), "łódź żółw ğiş ÿ");
    EXPECT_EQ(unicode_lower("МОСКВА Ёж ЇҐЄ"), "москва ёж їґє");
    EXPECT_EQ(unicode_lower("ΑΘΉΝΑ Ώρα"), "αθήνα ώρα");
    EXPECT_EQ(unicode_lower("ӀӁ Ӑ Ѣ"), "ӏӂ ӑ ѣ");
}

TEST(UnicodeLower, KeepsOtherScriptsAndBrokenBytes) {
    EXPECT_EQ(unicode_lower("日本 ✅"), "日本 ✅");
    EXPECT_EQ(unicode_lower("A\xFF\xD0"), "a\xFF\xD0");
}

TEST(TrimText, AsciiAndNoBreakSpaces) {
    EXPECT_EQ(trim_text("  привет \n"), "привет");
    EXPECT_EQ(trim_text("\xC2\xA0word\xC2\xA0\t"), "word");
    EXPECT_EQ(trim_text(" \t "), "");
}

TEST(AnswerMatches, TextIsTrimmedAndCaseInsensitiveInCyrillic) {
    EXPECT_TRUE(answer_matches("  ТЕСТ ", "тест", InputType::text));
    EXPECT_TRUE(answer_matches("Москва", "москва", InputType::text));
    EXPECT_TRUE(answer_matches("i RECKON", "I reckon", InputType::text));
    EXPECT_TRUE(answer_matches("ΣΟΦΊΑ", "σοφία", InputType::text));
    EXPECT_FALSE(answer_matches("Москва!", "москва", InputType::text));
    EXPECT_FALSE(answer_matches("тост", "тест", InputType::text));
}

TEST(AnswerMatches, SequenceComparesDigitsOnly) {
    EXPECT_EQ(digits_of("3, 1 6-2;4 5"), "316245");
    EXPECT_TRUE(answer_matches("3,1,6,2,4,5", "3 1 6 2 4 5", InputType::sequence));
    EXPECT_TRUE(answer_matches("ответ: 2 4 1 3", "2 4 1 3", InputType::sequence));
    EXPECT_FALSE(answer_matches("2 4 3 1", "2 4 1 3", InputType::sequence));
    EXPECT_FALSE(answer_matches("2 4 1", "2 4 1 3", InputType::sequence));
}

TEST(InputTypeNamed, OnlyTextAndSequence) {
    EXPECT_EQ(input_type_named("text"), InputType::text);
    EXPECT_EQ(input_type_named("sequence"), InputType::sequence);
    EXPECT_EQ(input_type_named("number"), std::nullopt);
}

TEST(ReplyFormat, NamedFormats) {
    const auto email = reply_format_named("email");
    ASSERT_TRUE(email);
    EXPECT_TRUE(reply_fits(*email, " anna@example.org "));
    EXPECT_FALSE(reply_fits(*email, "anna@example"));
    EXPECT_FALSE(reply_fits(*email, "anna example.org"));

    const auto phone = reply_format_named("phone");
    ASSERT_TRUE(phone);
    EXPECT_TRUE(reply_fits(*phone, "+7 (495) 123-45-67"));
    EXPECT_TRUE(reply_fits(*phone, "(495) 123-45-67"));
    EXPECT_FALSE(reply_fits(*phone, "12-34"));
    EXPECT_FALSE(reply_fits(*phone, "call me"));

    const auto number = reply_format_named("number");
    ASSERT_TRUE(number);
    EXPECT_TRUE(reply_fits(*number, "42"));
    EXPECT_TRUE(reply_fits(*number, "-3,5"));
    EXPECT_FALSE(reply_fits(*number, "42 apples"));
}

TEST(ReplyFormat, RegexMatchesTheWholeReply) {
    const auto code = reply_format_named("regex:[A-Z]{2}[0-9]{3}");
    ASSERT_TRUE(code);
    EXPECT_TRUE(reply_fits(*code, "AB123"));
    EXPECT_FALSE(reply_fits(*code, "xAB123"));
}

TEST(ReplyFormat, RejectsUnknownAndBrokenExpressions) {
    std::string why;
    EXPECT_FALSE(reply_format_named("postcode", &why));
    EXPECT_EQ(why, "not one of email, phone, number, regex:<expression>");
    EXPECT_FALSE(reply_format_named("regex:([a-z", &why));
    EXPECT_EQ(why.rfind("the regular expression does not compile: ", 0), 0u);
    EXPECT_FALSE(reply_format_named("regex:", &why));
    EXPECT_EQ(why, "the regular expression after 'regex:' is empty");
}
