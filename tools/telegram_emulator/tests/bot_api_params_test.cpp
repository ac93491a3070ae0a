#include "bot_api_params.h"

#include <gtest/gtest.h>

namespace profo::telegram_emulator {
namespace {

TEST(BotApiParams, JsonBody) {
    const auto p = BotApiParams::parse("application/json; charset=utf-8",
                                       R"({"chat_id": 42, "text": "hi", "reply_markup": {"a": 1}})", "");
    EXPECT_EQ(p.integer("chat_id"), 42);
    EXPECT_EQ(p.string("text"), "hi");
    EXPECT_EQ(p.json_value("reply_markup")->at("a"), 1);
    EXPECT_EQ(p.string("reply_markup"), R"({"a":1})");
}

TEST(BotApiParams, FormBodyAndQueryStringConvert) {
    const auto p =
        BotApiParams::parse("application/x-www-form-urlencoded",
                            "chat_id=42&text=hello+w%C3%B6rld&reply_markup=%7B%22a%22%3A1%7D", "limit=5");
    EXPECT_EQ(p.integer("chat_id"), 42);
    EXPECT_EQ(p.integer("limit"), 5);
    EXPECT_EQ(p.string("text"), "hello wörld");
    EXPECT_EQ(p.json_value("reply_markup")->at("a"), 1);
}

TEST(BotApiParams, Booleans) {
    const auto p = BotApiParams::parse("", "a=true&b=1&c=false", "");
    EXPECT_TRUE(p.boolean("a"));
    EXPECT_TRUE(p.boolean("b"));
    EXPECT_FALSE(p.boolean("c", true));
    EXPECT_TRUE(p.boolean("missing", true));
}

TEST(BotApiParams, BadIntegerAndJsonThrow) {
    const auto p = BotApiParams::parse("", "chat_id=abc&reply_markup=%7Bx", "");
    EXPECT_THROW((void)p.integer("chat_id"), std::invalid_argument);
    EXPECT_THROW((void)p.json_value("reply_markup"), std::invalid_argument);
    EXPECT_THROW(BotApiParams::parse("application/json", "{", ""), std::invalid_argument);
}

TEST(BotApiParams, Multipart) {
    const std::string body =
        "--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
        "--XX\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"a.jpg\"\r\n"
        "Content-Type: image/jpeg\r\n\r\n\xFF\xD8\xFF\r\n--XX--\r\n";
    const auto p = BotApiParams::parse("multipart/form-data; boundary=XX", body, "");
    EXPECT_EQ(p.integer("chat_id"), 42);
    ASSERT_NE(p.file("photo"), nullptr);
    EXPECT_EQ(p.file("photo")->filename, "a.jpg");
    EXPECT_EQ(p.file("photo")->size, 3u);
}

}  // namespace
}  // namespace profo::telegram_emulator
