#include <profo/sdk/toolkit/element_messages.hpp>

#include <gtest/gtest.h>

using namespace profo::elements;
using nlohmann::json;

TEST(ParseMode, DefaultsToLegacyMarkdownAndCanonicalises) {
    EXPECT_EQ(parse_mode_of(json::object()), "MARKDOWN");
    EXPECT_EQ(parse_mode_of(json{{"parse_mode", "HTML!"}}), "HTML");
    EXPECT_EQ(parse_mode_of(json{{"parse_mode", "markdownv2"}}), "MarkdownV2");
    EXPECT_EQ(canonical_parse_mode("bbcode"), std::nullopt);
}

TEST(TextAction, CarriesParseModePreviewAndButtons) {
    const auto action =
        text_action(message_style(json{{"parse_mode", "HTML"}, {"link_preview", "no"}}), "Hi", {"A", "B"});
    EXPECT_EQ(action.kind, profo::sdk::OutAction::Kind::text);
    EXPECT_EQ(action.text, "Hi");
    EXPECT_EQ(action.parse_mode, "HTML");
    EXPECT_FALSE(action.link_preview);
    ASSERT_EQ(action.buttons.size(), 2u);
    EXPECT_EQ(action.buttons[1].text, "B");
}

TEST(Media, KeepsNonEmptyStringUrls) {
    EXPECT_EQ(media_of(json{{"media", {"a", "", 3, "b"}}}), (std::vector<std::string>{"a", "b"}));
    EXPECT_TRUE(media_of(json{{"media", "a"}}).empty());
}
