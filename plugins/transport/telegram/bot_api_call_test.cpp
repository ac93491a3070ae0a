#include "bot_api_call.hpp"

#include <gtest/gtest.h>

using namespace profo::telegram;
using nlohmann::json;
using profo::sdk::OutboundMedia;
using profo::sdk::OutboundMessage;

TEST(BotApiCall, TextWithButtonsParseModeAndNoPreview) {
    OutboundMessage m;
    m.text = "Hi *there*";
    m.parse_mode = "MARKDOWN";
    m.link_preview = false;
    m.buttons = {{"Go", "a1:0", ""}, {"Open", "", "https://app.example/x"}};
    auto call = bot_api_call(m, 42);
    EXPECT_EQ(call.method, "sendMessage");
    EXPECT_EQ(call.params["chat_id"], 42);
    EXPECT_EQ(call.params["parse_mode"], "Markdown");
    EXPECT_EQ(call.params["link_preview_options"]["is_disabled"], true);
    const auto& rows = call.params["reply_markup"]["inline_keyboard"];
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0][0]["callback_data"], "a1:0");
    EXPECT_EQ(rows[1][0]["web_app"]["url"], "https://app.example/x");
    m.parse_mode = "";
    m.link_preview = true;
    m.buttons.clear();
    auto plain = bot_api_call(m, 42);
    EXPECT_FALSE(plain.params.contains("parse_mode"));
    EXPECT_FALSE(plain.params.contains("link_preview_options"));
    EXPECT_FALSE(plain.params.contains("reply_markup"));
}

TEST(BotApiCall, MediaOneItemOrAnAlbum) {
    OutboundMessage m;
    m.kind = OutboundMessage::Kind::media;
    m.text = "caption";
    m.parse_mode = "HTML";
    m.media = {{OutboundMedia::Type::video, "https://x/v.mp4"}};
    auto one = bot_api_call(m, 1);
    EXPECT_EQ(one.method, "sendVideo");
    EXPECT_EQ(one.params["video"], "https://x/v.mp4");
    EXPECT_EQ(one.params["caption"], "caption");
    m.media.push_back({OutboundMedia::Type::photo, "https://x/p.jpg"});
    auto album = bot_api_call(m, 1);
    EXPECT_EQ(album.method, "sendMediaGroup");
    ASSERT_EQ(album.params["media"].size(), 2u);
    EXPECT_EQ(album.params["media"][0]["caption"], "caption");
    EXPECT_FALSE(album.params["media"][1].contains("caption"));
    EXPECT_EQ(album.params["media"][1]["type"], "photo");
    m.media.clear();
    EXPECT_THROW(bot_api_call(m, 1), profo::sdk::OutboundFormatError);
}

TEST(BotApiCall, AudioPollTypingAndCallbackAnswer) {
    OutboundMessage audio;
    audio.kind = OutboundMessage::Kind::audio;
    audio.media = {{OutboundMedia::Type::audio, "https://x/a.mp3"}};
    EXPECT_EQ(bot_api_call(audio, 1).method, "sendAudio");

    OutboundMessage poll;
    poll.kind = OutboundMessage::Kind::poll;
    poll.text = "Q?";
    poll.poll_options = {"a", "b"};
    poll.quiz = true;
    poll.correct_option = 1;
    auto call = bot_api_call(poll, 1);
    EXPECT_EQ(call.method, "sendPoll");
    EXPECT_EQ(call.params["type"], "quiz");
    EXPECT_EQ(call.params["correct_option_id"], 1);
    EXPECT_EQ(call.params["is_anonymous"], false);
    poll.quiz = false;
    poll.multiple_answers = true;
    call = bot_api_call(poll, 1);
    EXPECT_EQ(call.params["type"], "regular");
    EXPECT_EQ(call.params["allows_multiple_answers"], true);
    EXPECT_FALSE(call.params.contains("correct_option_id"));

    OutboundMessage typing;
    typing.kind = OutboundMessage::Kind::typing;
    EXPECT_EQ(bot_api_call(typing, 1).params["action"], "typing");
    OutboundMessage answer;
    answer.kind = OutboundMessage::Kind::callback_answer;
    answer.callback_id = "cb";
    EXPECT_EQ(bot_api_call(answer, 1).method, "answerCallbackQuery");
    EXPECT_EQ(bot_api_call(answer, 1).params["callback_query_id"], "cb");
}

TEST(BotApiReply, Classification) {
    using K = BotApiOutcome::Kind;
    EXPECT_EQ(classify_reply(200, R"({"ok":true,"result":{"message_id":1}})").kind, K::ok);
    auto flood = classify_reply(
        429,
        R"({"ok":false,"error_code":429,"description":"Too Many Requests: retry after 7","parameters":{"retry_after":7}})");
    EXPECT_EQ(flood.kind, K::retry_after);
    EXPECT_EQ(flood.retry_after_s, 7);
    EXPECT_EQ(classify_reply(502, R"({"ok":false,"error_code":502,"description":"Bad Gateway"})").kind,
              K::transient);
    EXPECT_EQ(classify_reply(502, "<html>").kind, K::transient);
    EXPECT_EQ(classify_reply(0, "connect: refused").kind, K::transient);
    auto bad = classify_reply(
        400, R"({"ok":false,"error_code":400,"description":"Bad Request: message text is empty"})");
    EXPECT_EQ(bad.kind, K::permanent);
    EXPECT_EQ(bad.description, "Bad Request: message text is empty");
    EXPECT_EQ(
        classify_reply(
            403, R"({"ok":false,"error_code":403,"description":"Forbidden: bot was blocked by the user"})")
            .kind,
        K::blocked);
    EXPECT_EQ(
        classify_reply(403, R"({"ok":false,"error_code":403,"description":"Forbidden: user is deactivated"})")
            .kind,
        K::blocked);
}

TEST(BotApiCall, DocumentIsUploadedAsMultipart) {
    OutboundMessage doc;
    doc.kind = OutboundMessage::Kind::document;
    doc.file_name = "Курс \"A\".yml";
    doc.file_content = "- id: a\n  type: message\n";
    doc.text = "Курс, version 2";
    const auto call = bot_api_call(doc, 42);
    EXPECT_EQ(call.method, "sendDocument");
    EXPECT_EQ(call.params["chat_id"], 42);
    EXPECT_EQ(call.params["caption"], "Курс, version 2");
    ASSERT_TRUE(call.upload.has_value());
    EXPECT_EQ(call.upload->field, "document");

    const auto boundary = multipart_boundary(call.params, *call.upload);
    EXPECT_EQ(boundary.rfind("profo-", 0), 0u);
    const auto body = multipart_body(call.params, *call.upload, boundary);
    const std::string expected =
        "--" + boundary +
        "\r\nContent-Disposition: form-data; name=\"caption\"\r\n\r\nКурс, version 2\r\n"
        "--" +
        boundary +
        "\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n42\r\n"
        "--" +
        boundary +
        "\r\nContent-Disposition: form-data; name=\"document\"; "
        "filename=\"Курс %22A%22.yml\"\r\nContent-Type: application/octet-stream\r\n\r\n"
        "- id: a\n  type: message\n\r\n--" +
        boundary + "--\r\n";
    EXPECT_EQ(body, expected);

    doc.file_content.clear();
    EXPECT_THROW(bot_api_call(doc, 42), profo::sdk::OutboundFormatError);
}

TEST(BotApiCall, MultipartBoundaryNeverOccursInTheContent) {
    profo::telegram::BotApiUpload file{"document", "f.yml", ""};
    for (int i = 0; i < 50; ++i) {
        const auto boundary = multipart_boundary(json{{"chat_id", 1}}, file);
        file.content += boundary;  // the next one must differ from every one before
        EXPECT_EQ(file.content.find(boundary), file.content.size() - boundary.size());
    }
}
