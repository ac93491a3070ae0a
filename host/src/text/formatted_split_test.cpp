#include "text/formatted_split.hpp"

#include <profo/sdk/text.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace profo::host {
namespace {

using Parts = std::vector<std::string>;
using sdk::telegram_length;

constexpr std::size_t kTelegramLimit = 4096;

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

Parts plain(std::string_view text, std::size_t limit = kTelegramLimit) {
    return split_formatted_text(text, "", limit);
}

TEST(SplitText, ShortTextIsOnePartAsItIs) {
    EXPECT_EQ(plain("hello"), Parts{"hello"});
    EXPECT_EQ(plain("  hello\n"), Parts{"  hello\n"});
    EXPECT_TRUE(plain("").empty());
    EXPECT_TRUE(plain(" \n").empty());
}

TEST(SplitText, PrefersParagraphsThenLinesThenWords) {
    EXPECT_EQ(plain("aaaa bbb\ncc\n\ndd ee", 12), (Parts{"aaaa bbb\ncc", "dd ee"}));
    EXPECT_EQ(plain("aaaa bbb\ncc dd ee", 12), (Parts{"aaaa bbb", "cc dd ee"}));
    EXPECT_EQ(plain("aaaa bbb cc dd ee", 12), (Parts{"aaaa bbb cc", "dd ee"}));
    EXPECT_EQ(plain("abcdefghijkl", 5), (Parts{"abcde", "fghij", "kl"}));
}

TEST(SplitText, ASeparatorRightAfterTheLimitStillCounts) {
    EXPECT_EQ(plain("12345\n\n678", 5), (Parts{"12345", "678"}));
}

TEST(SplitText, RealLimitKeepsEveryCharacterAndNeverCutsACodePoint) {
    std::string text;
    for (int p = 0; p < 30; ++p) text += "P" + std::to_string(p) + " " + repeat("Слово ", 40) + "\n\n";
    const auto parts = plain(text);
    ASSERT_GT(parts.size(), 1u);
    std::string joined;
    for (std::size_t p = 0; p < parts.size(); ++p) {
        EXPECT_LE(telegram_length(parts[p]), kTelegramLimit);
        EXPECT_EQ(parts[p].front(), 'P');  // every part starts a paragraph
        joined += parts[p];
        // A cut drops the paragraph break and the space before it; nothing else.
        if (p + 1 < parts.size()) joined += " \n\n";
    }
    EXPECT_EQ(joined, text);

    const auto emoji = plain(repeat("👆", 3000));  // 6000 units, no separators at all
    ASSERT_EQ(emoji.size(), 2u);
    EXPECT_EQ(telegram_length(emoji[0]), 4096u);
    EXPECT_EQ(emoji[0] + emoji[1], repeat("👆", 3000));
}

TEST(SplitFormattedText, HtmlTagsCloseAtACutAndOpenAgainAfterIt) {
    EXPECT_EQ(
        split_formatted_text(
            "<blockquote>aaa bbb <a href=\"https://x.org/?a=1&amp;b=2\">ccc ddd</a></blockquote>", "HTML", 9),
        (Parts{"<blockquote>aaa bbb</blockquote>",
               "<blockquote><a href=\"https://x.org/?a=1&amp;b=2\">ccc ddd</a></blockquote>"}));
    // Tags and entities are not what Telegram counts: this fits.
    EXPECT_EQ(split_formatted_text("<b>aaa</b> &lt;b&gt;", "html", 7), (Parts{"<b>aaa</b> &lt;b&gt;"}));
    // A cut between two words inside nested tags closes both, innermost first.
    EXPECT_EQ(split_formatted_text("<b><i>one two</i></b>", "HTML", 4),
              (Parts{"<b><i>one</i></b>", "<b><i>two</i></b>"}));
}

TEST(SplitFormattedText, NoCutFallsInsideATagOrAnEntity) {
    const std::string text =
        repeat("x", 10) + "<a href=\"https://example.org/long/path\">link</a>&amp;" + repeat("y", 10);
    for (std::size_t limit = 1; limit < 30; ++limit)
        for (const auto& part : split_formatted_text(text, "HTML", limit)) {
            EXPECT_EQ(std::count(part.begin(), part.end(), '<'), std::count(part.begin(), part.end(), '>'))
                << limit << ": " << part;
            const auto amp = part.find('&');
            if (amp != std::string::npos) EXPECT_EQ(part.substr(amp, 5), "&amp;") << limit << ": " << part;
        }
}

TEST(SplitFormattedText, MarkdownEntitiesCloseAtACutAndOpenAgain) {
    EXPECT_EQ(split_formatted_text("*bold words here* and _more_", "Markdown", 11),
              (Parts{"*bold words*", "*here* and", "_more_"}));
    // MarkdownV2: escapes are one character and never cut; links carry their URL to both parts.
    EXPECT_EQ(split_formatted_text("[one two](https://x.org/a\\)b) rest\\.", "MarkdownV2", 5),
              (Parts{"[one](https://x.org/a\\)b)", "[two](https://x.org/a\\)b)", "rest\\."}));
    EXPECT_EQ(split_formatted_text("__under ~strike~__ ||spoil er||", "MarkdownV2", 12),
              (Parts{"__under ~strike~__", "||spoil er||"}));
    // Code keeps its markers as text inside; a block reopens with its language.
    EXPECT_EQ(split_formatted_text("```python\nx = *1*\ny = 2```", "MarkdownV2", 8),
              (Parts{"```python\nx = *1*```", "```python\ny = 2```"}));
}

TEST(SplitFormattedText, LongLegacyStyleLessonsFitTelegram) {
    // A legacy course's long lesson: paragraphs in a quote, bold and links.
    std::string lesson = "<blockquote>";
    for (int p = 0; p < 40; ++p)
        lesson += "<b>Part " + std::to_string(p) + "</b> " + repeat("text ", 30) +
                  "<a href=\"https://e.org/" + std::to_string(p) + "\">more</a>\n\n";
    lesson += "</blockquote>";
    const auto parts = split_formatted_text(lesson, "HTML", kTelegramLimit);
    ASSERT_GT(parts.size(), 1u);
    for (const auto& part : parts) {
        EXPECT_EQ(part.rfind("<blockquote>", 0), 0u) << part.substr(0, 40);
        EXPECT_EQ(part.substr(part.size() - 13), "</blockquote>");
    }
}

}  // namespace
}  // namespace profo::host
