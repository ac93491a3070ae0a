#include "text_entities.h"

#include <gtest/gtest.h>

namespace profo::telegram_emulator {
namespace {

TEST(Utf16Length, CountsCodeUnitsLikeTelegram) {
    EXPECT_EQ(utf16_length("hello"), 5u);
    EXPECT_EQ(utf16_length("привет"), 6u);            // 2 bytes each, 1 unit each
    EXPECT_EQ(utf16_length("\xF0\x9F\x98\x80"), 2u);  // an emoji is a surrogate pair
}

TEST(Utf8, RejectsBrokenSequences) {
    EXPECT_TRUE(is_valid_utf8("да"));
    EXPECT_FALSE(is_valid_utf8("\xD0"));
    EXPECT_FALSE(is_valid_utf8("\xC0\xAF"));  // overlong
}

TEST(Html, ParsesTagsIntoEntities) {
    const auto r = parse_html("<b>bold</b> and <i>it</i> <a href=\"https://x.org\">link</a>");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "bold and it link");
    ASSERT_EQ(r.value.entities.size(), 3u);
    EXPECT_EQ(r.value.entities[0]["type"], "bold");
    EXPECT_EQ(r.value.entities[0]["length"], 4);
    EXPECT_EQ(r.value.entities[1]["type"], "italic");
    EXPECT_EQ(r.value.entities[1]["offset"], 9);
    EXPECT_EQ(r.value.entities[2]["type"], "text_link");
    EXPECT_EQ(r.value.entities[2]["url"], "https://x.org");
}

TEST(Html, DecodesEntitiesAndCountsUtf16Offsets) {
    const auto r = parse_html("&lt;&#x1F600;&amp;<u>я</u> &unknown; &");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "<\xF0\x9F\x98\x80&я &unknown; &");
    EXPECT_EQ(r.value.entities[0]["offset"], 4);  // '<' 1 + emoji 2 + '&' 1
}

// As TDLib: a reference to half a surrogate pair decodes to text no client
// could read, and is refused; a reference of ten or more characters, or to
// U+10FFFF and beyond, is no reference and stays as written.
TEST(Html, ANumericReferenceToASurrogateIsRefusedAndOverlongOnesStayText) {
    for (const char* half : {"a &#55296; b", "&#xD800;", "&#xdfff;"})
        EXPECT_EQ(
            parse_html(half).error,
            "Text contains invalid Unicode characters after decoding HTML entities, check for unmatched "
            "surrogate code units")
            << half;
    EXPECT_EQ(parse_html("&#00000065;").value.text, "&#00000065;");
    EXPECT_EQ(parse_html("&#0000065;").value.text, "A");
    EXPECT_EQ(parse_html("&#x10FFFF;").value.text, "&#x10FFFF;");
}

TEST(Html, PreWithCodeLanguage) {
    const auto r = parse_html("<pre><code class=\"language-cpp\">int x;</code></pre>");
    ASSERT_TRUE(r.ok()) << r.error;
    ASSERT_EQ(r.value.entities.size(), 1u);
    EXPECT_EQ(r.value.entities[0]["type"], "pre");
    EXPECT_EQ(r.value.entities[0]["language"], "cpp");
}

TEST(Html, SpoilerForms) {
    EXPECT_TRUE(parse_html("<tg-spoiler>x</tg-spoiler><span class=\"tg-spoiler\">y</span>").ok());
    EXPECT_EQ(parse_html("<span>y</span>").error,
              "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0");
}

TEST(Html, ErrorsWordedAsTelegram) {
    EXPECT_EQ(parse_html("a <x>b</x>").error, "Unsupported start tag \"x\" at byte offset 2");
    EXPECT_EQ(parse_html("<b>bold").error, "Can't find end tag corresponding to start tag \"b\"");
    EXPECT_EQ(parse_html("x</b>").error, "Unexpected end tag at byte offset 1");
    EXPECT_EQ(parse_html("<b>x</i>").error,
              "Unmatched end tag at byte offset 4, expected \"</b>\", found \"</i>\"");
    EXPECT_EQ(parse_html("1 < 2").error, "Unsupported start tag \"\" at byte offset 2");
    EXPECT_EQ(parse_html("<b").error, "Unclosed start tag at byte offset 0");
}

TEST(MarkdownV2, ParsesEntities) {
    const auto r = parse_markdown_v2("*bold* _it_ __u__ ~s~ ||sp|| `c` [t](https://a.b/c\\)d)");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "bold it u s sp c t");
    ASSERT_EQ(r.value.entities.size(), 7u);
    EXPECT_EQ(r.value.entities[0]["type"], "bold");
    EXPECT_EQ(r.value.entities[2]["type"], "underline");
    EXPECT_EQ(r.value.entities[4]["type"], "spoiler");
    EXPECT_EQ(r.value.entities[6]["url"], "https://a.b/c)d");
}

TEST(MarkdownV2, ReservedCharactersMustBeEscaped) {
    EXPECT_EQ(parse_markdown_v2("Hello.").error,
              "Character '.' is reserved and must be escaped with the preceding '\\'");
    EXPECT_EQ(parse_markdown_v2("a-b").error,
              "Character '-' is reserved and must be escaped with the preceding '\\'");
    const auto ok = parse_markdown_v2("Hello\\. 1\\+1\\=2\\!");
    ASSERT_TRUE(ok.ok()) << ok.error;
    EXPECT_EQ(ok.value.text, "Hello. 1+1=2!");
}

TEST(MarkdownV2, CodeNeedsOnlyBacktickEscapes) {
    const auto r = parse_markdown_v2("```cpp\nint x = 1;\n```");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "int x = 1;\n");
    EXPECT_EQ(r.value.entities[0]["language"], "cpp");
}

TEST(MarkdownV2, UnclosedEntity) {
    EXPECT_EQ(parse_markdown_v2("x *bold").error, "Can't find end of Bold entity at byte offset 2");
}

TEST(MarkdownV2, Blockquote) {
    const auto r = parse_markdown_v2(">quoted\n>more\nafter");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "quoted\nmore\nafter");
    ASSERT_EQ(r.value.entities.size(), 1u);
    EXPECT_EQ(r.value.entities[0]["type"], "blockquote");
}

TEST(ParseFormatted, ModesAreCaseInsensitive) {
    EXPECT_TRUE(parse_formatted("<b>x</b>", "html").ok());
    EXPECT_TRUE(parse_formatted("*x*", "MARKDOWNV2").ok());
    EXPECT_EQ(parse_formatted("x", "bogus").error, "Unsupported parse_mode");
}

TEST(LegacyMarkdown, ParsesEntitiesWithoutNesting) {
    const auto r =
        parse_formatted("*bold _not italic_* _it_ `co*de` [link](https://e.org/x_y) \\_x\\*", "Markdown");
    ASSERT_TRUE(r.ok()) << r.error;
    EXPECT_EQ(r.value.text, "bold _not italic_ it co*de link _x*");
    EXPECT_EQ(r.value.entities[0], (nlohmann::json{{"offset", 0}, {"length", 17}, {"type", "bold"}}));
    EXPECT_EQ(r.value.entities[1], (nlohmann::json{{"offset", 18}, {"length", 2}, {"type", "italic"}}));
    EXPECT_EQ(r.value.entities[2], (nlohmann::json{{"offset", 21}, {"length", 5}, {"type", "code"}}));
    EXPECT_EQ(r.value.entities[3]["type"], "text_link");
    EXPECT_EQ(r.value.entities[3]["url"], "https://e.org/x_y");
    const auto pre = parse_formatted("```python\nx = 1```", "MARKDOWN");
    ASSERT_TRUE(pre.ok()) << pre.error;
    EXPECT_EQ(pre.value.text, "x = 1");
    EXPECT_EQ(pre.value.entities[0]["language"], "python");
}

TEST(LegacyMarkdown, AnEntityLeftOpenIsRefusedAtItsByte) {
    // The classic: an identifier with one underscore in a Markdown text.
    EXPECT_EQ(parse_formatted("use auto_start here", "Markdown").error,
              "Can't find end of the entity starting at byte offset 8");
    EXPECT_EQ(parse_formatted("[never closed", "Markdown").error,
              "Can't find end of the entity starting at byte offset 0");
}

}  // namespace
}  // namespace profo::telegram_emulator
