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
    const auto p = BotApiParams::parse("", "", "a=true&b=1&c=false");
    EXPECT_TRUE(p.boolean("a"));
    EXPECT_TRUE(p.boolean("b"));
    EXPECT_FALSE(p.boolean("c", true));
    EXPECT_TRUE(p.boolean("missing", true));
}

TEST(BotApiParams, BadIntegerAndJsonThrow) {
    const auto p = BotApiParams::parse("application/x-www-form-urlencoded", "chat_id=abc&reply_markup=%7Bx", "");
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
    EXPECT_EQ(p.file("photo")->content_type, "image/jpeg");
    EXPECT_EQ(p.file("photo")->content, "\xFF\xD8\xFF");
}

// The Bot API server's description for a malformed multipart body, or "" when it parses.
std::string multipart_error(const std::string& content_type, const std::string& body) {
    try {
        (void)BotApiParams::parse(content_type, body, "");
        return {};
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
}

TEST(BotApiParams, MultipartQuotedBoundaryAnyPartOrderAndJsonField) {
    const std::string body =
        "preamble is ignored\r\n"
        "--a:b c\r\nContent-Disposition: form-data; name=\"document\"; filename=\"course.yml\"\r\n"
        "Content-Type: application/x-yaml\r\n\r\ntitle: x\r\n"
        "--a:b c\r\ncontent-disposition: form-data; name=reply_markup\r\n\r\n"
        "{\"inline_keyboard\":[[{\"text\":\"ok\",\"callback_data\":\"1\"}]]}\r\n"
        "--a:b c\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
        "--a:b c--\r\nepilogue";
    const auto p = BotApiParams::parse("multipart/form-data; boundary=\"a:b c\"", body, "");
    EXPECT_EQ(p.integer("chat_id"), 42);
    EXPECT_EQ(p.json_value("reply_markup")->at("inline_keyboard")[0][0]["callback_data"], "1");
    ASSERT_NE(p.file("document"), nullptr);
    EXPECT_EQ(p.file("document")->filename, "course.yml");
    EXPECT_EQ(p.file("document")->content, "title: x");
    EXPECT_FALSE(p.string("document"));
}

TEST(BotApiParams, MultipartContentKeepsCrLfAndBoundaryLookalikes) {
    // Only CRLF "--XX" ends a part (a client picks a boundary its content lacks).
    const std::string content = "line 1\r\n\r\nmid-line --XX\r\n-XX\r\n--XY\r\n";
    const std::string body = "--XX\r\nContent-Disposition: form-data; name=\"f\"; filename=\"\"\r\n\r\n" +
                             content +
                             "\r\n--XX\r\nContent-Disposition: form-data; name=\"empty\"\r\n\r\n\r\n--XX--";
    const auto p = BotApiParams::parse("multipart/form-data; boundary=XX", body, "");
    ASSERT_NE(p.file("f"), nullptr);
    EXPECT_EQ(p.file("f")->content, content);
    EXPECT_EQ(p.file("f")->filename, "");  // an empty filename still makes the part a file
    EXPECT_EQ(p.file("f")->content_type, "application/octet-stream");
    EXPECT_EQ(p.string("empty"), "");
}

TEST(BotApiParams, MultipartDispositionEscapesAndPercentDecoding) {
    const std::string body =
        "--XX\r\nContent-Disposition: form-data; name=\"doc\"; filename=\"say \\\"hi\\\" 100%25.txt\"\r\n"
        "\r\nx\r\n--XX\r\nContent-Disposition: form-data; name=\"form\"\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n\r\na=1&b=two+words\r\n--XX--\r\n";
    const auto p = BotApiParams::parse("multipart/form-data; boundary=XX", body, "");
    ASSERT_NE(p.file("doc"), nullptr);
    EXPECT_EQ(p.file("doc")->filename, "say \"hi\" 100%.txt");
    // A form-encoded part is read as more fields, as the Bot API server does.
    EXPECT_EQ(p.string("a"), "1");
    EXPECT_EQ(p.string("b"), "two words");
    EXPECT_FALSE(p.has("form"));
}

TEST(BotApiParams, MalformedMultipartIsRefusedInTheServersWords) {
    const std::string type = "multipart/form-data; boundary=XX";
    const std::string part = "--XX\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42";
    EXPECT_EQ(multipart_error(type, part + "\r\n--XX--"), "");
    // No closing delimiter, or a body that stops inside a part.
    EXPECT_EQ(multipart_error(type, part + "\r\n--XX\r\n"), "Bad Request: can't parse request body");
    EXPECT_EQ(multipart_error(type, part + "\r\n--XX"), "Bad Request: can't parse request body");
    EXPECT_EQ(multipart_error(type, part), "Bad Request: can't parse request body");
    EXPECT_EQ(multipart_error(type, "no delimiter at all"), "Bad Request: can't parse request body");
    EXPECT_EQ(multipart_error(type, "--XX\r\nContent-Disposition: form-data; name=\"a\""),
              "Bad Request: can't parse request body");
    // Parts without a name.
    EXPECT_EQ(multipart_error(
                  type, "--XX\r\nContent-Disposition: form-data; filename=\"a.txt\"\r\n\r\nx\r\n--XX--"),
              "Bad Request: field name in multipart/form-data not found");
    EXPECT_EQ(multipart_error(type, "--XX\r\nContent-Type: text/plain\r\n\r\nx\r\n--XX--"),
              "Bad Request: field name in multipart/form-data not found");
    EXPECT_EQ(multipart_error(type, "--XX\r\n\r\nx\r\n--XX--"),
              "Bad Request: headers in multipart/form-data are empty");
    EXPECT_EQ(multipart_error(type, "--XX\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XX--"),
              "Bad Request: expected form-data content disposition");
    EXPECT_EQ(multipart_error(type, "--XX\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XX--"),
              "Bad Request: unclosed quoted string in Content-Disposition header");
    EXPECT_EQ(multipart_error(type, "--XX\r\nno colon here\r\n\r\nx\r\n--XX--"),
              "Bad Request: can't parse form data headers");
    // The boundary itself.
    EXPECT_EQ(multipart_error("multipart/form-data", part), "Bad Request: boundary not found");
    EXPECT_EQ(multipart_error("multipart/form-data; boundary", part),
              "Bad Request: boundary value not found");
    EXPECT_EQ(multipart_error("multipart/form-data; boundary=\"\"", part),
              "Bad Request: boundary too big or empty");
    EXPECT_EQ(multipart_error("multipart/form-data; boundary=" + std::string(71, 'b'), part),
              "Bad Request: boundary too big or empty");
}

}  // namespace
}  // namespace profo::telegram_emulator
