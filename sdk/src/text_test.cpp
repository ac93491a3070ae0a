#include <profo/sdk/text.hpp>

#include <gtest/gtest.h>

namespace profo::sdk {
namespace {

TEST(TelegramLength, CountsUtf16UnitsLikeTelegram) {
    EXPECT_EQ(telegram_length("abc"), 3u);
    EXPECT_EQ(telegram_length("Привет"), 6u);
    EXPECT_EQ(telegram_length("✅"), 1u);         // U+2705, in the BMP
    EXPECT_EQ(telegram_length("🎉"), 2u);         // U+1F389, a surrogate pair
    EXPECT_EQ(telegram_length("\xFF\xFE"), 2u);  // broken bytes count one each
}

TEST(FoldCase, FoldsEveryScriptTheSameWay) {
    EXPECT_EQ(fold_case("HeLLo"), "hello");
    EXPECT_EQ(fold_case("ПРИВЕТ Ёж"), "привет ёж");
    EXPECT_EQ(fold_case("ΆΛΦΑ"), "άλφα");               // Greek capitals keep their accents
    EXPECT_EQ(fold_case("ΣΟΦΟΣ"), fold_case("σοφος"));  // final sigma folds like sigma
    EXPECT_EQ(fold_case("σοφός"), fold_case("ΣΟΦΌΣ"));
    EXPECT_EQ(fold_case("Straße"), fold_case("STRASSE"));          // full folding: ß is ss
    EXPECT_EQ(fold_case("\xF0\x90\x90\x80"), "\xF0\x90\x90\xA8");  // Deseret U+10400 -> U+10428
    EXPECT_EQ(fold_case("ǅ"), "ǆ");
    EXPECT_EQ(fold_case("İ"), "i\xCC\x87");              // I with dot: i + combining dot
    EXPECT_EQ(fold_case("abc\xFF\xC3"), "abc\xFF\xC3");  // invalid bytes pass through
    EXPECT_EQ(fold_case("日本語 123"), "日本語 123");
}

TEST(Trim, RemovesUnicodeWhiteSpaceAtBothEnds) {
    EXPECT_EQ(trim("  x y \n"), "x y");
    EXPECT_EQ(trim("\xC2\xA0ответ\xE2\x80\x83"), "ответ");  // no-break and em space
    EXPECT_EQ(trim("\t\r\n"), "");
    EXPECT_EQ(trim(""), "");
    EXPECT_EQ(trim("🎉 "), "🎉");
    EXPECT_EQ(trim(" \xC2"), "\xC2");  // a truncated sequence is not white space
}

TEST(SameAnswer, IgnoresCaseAndSurroundingSpace) {
    EXPECT_TRUE(same_answer("  PARIS ", "paris"));
    EXPECT_TRUE(same_answer("Αθήνα", "ΑΘΉΝΑ"));
    EXPECT_TRUE(same_answer("\xF0\x90\x90\x80", "\xF0\x90\x90\xA8"));
    EXPECT_FALSE(same_answer("Athens", "Athena"));
    EXPECT_FALSE(same_answer("Αθήνα", "Αθηνα"));  // accents matter
}

}  // namespace
}  // namespace profo::sdk

namespace profo::sdk {
namespace {

TEST(ValidUtf8, AcceptsWellFormedTextOnly) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
    EXPECT_FALSE(valid_utf8("\xff"));
    EXPECT_FALSE(valid_utf8("\xc0\xaf"));          // overlong '/'
    EXPECT_FALSE(valid_utf8("\xed\xa0\x80"));      // a surrogate
    EXPECT_FALSE(valid_utf8("\xf0\x9f\x98"));      // truncated
    EXPECT_FALSE(valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
}

}  // namespace
}  // namespace profo::sdk

namespace profo::sdk {
namespace {

TEST(CodePoints, DecodeEveryLengthAndRefuseWhatIsNotUtf8) {
    EXPECT_EQ(code_points("aé€😀"), std::u32string(U"aé€😀"));
    EXPECT_EQ(code_points(""), std::u32string());
    EXPECT_FALSE(code_points("\xC0\x80"));      // overlong
    EXPECT_FALSE(code_points("\xED\xA0\x80"));  // surrogate
    EXPECT_FALSE(code_points("ab\xE2\x82"));    // truncated
    for (const char32_t c : {U'a', U'é', U'€', U'😀', U'с'})
        EXPECT_EQ(code_points(utf8_of(c)), std::u32string(1, c));
}

}  // namespace
}  // namespace profo::sdk
