#include <profo/sdk/outbound.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace profo::sdk {
namespace {

using Kind = OutboundMessage::Kind;

OutboundMessage round_trip(const OutboundMessage& m) {
    return outbound_from_json(to_json(m));
}

TEST(OutboundMessage, EveryKindSurvivesItsJson) {
    OutboundMessage text;
    text.text = "Привет <b>you</b>";
    text.parse_mode = "HTML";
    text.link_preview = false;
    text.buttons = {{"Да", "a3:0", ""}, {"Open", "", "https://app.example/q"}};
    EXPECT_EQ(round_trip(text), text);

    OutboundMessage album;
    album.kind = Kind::media;
    album.media = {{OutboundMedia::Type::photo, "https://x/1.jpg"},
                   {OutboundMedia::Type::video, "https://x/2.mp4"}};
    album.text = "caption";
    album.parse_mode = "MARKDOWN";
    EXPECT_EQ(round_trip(album), album);

    OutboundMessage audio;
    audio.kind = Kind::audio;
    audio.media = {{OutboundMedia::Type::audio, "https://x/a.mp3"}};
    EXPECT_EQ(round_trip(audio), audio);

    OutboundMessage poll;
    poll.kind = Kind::poll;
    poll.text = "2+2?";
    poll.poll_options = {"3", "4"};
    poll.quiz = true;
    poll.correct_option = 1;
    poll.element_id = "Q1";
    poll.activation = 12;
    EXPECT_EQ(round_trip(poll), poll);

    OutboundMessage typing;
    typing.kind = Kind::typing;
    EXPECT_EQ(round_trip(typing), typing);

    OutboundMessage answer;
    answer.kind = Kind::callback_answer;
    answer.callback_id = "cb1";
    EXPECT_EQ(round_trip(answer), answer);

    OutboundMessage document;
    document.kind = Kind::document;
    document.file_name = "Курс.yml";
    document.file_content = "- id: a\n  type: message\n";
    document.text = "version 2";
    EXPECT_EQ(round_trip(document), document);
    EXPECT_EQ(nlohmann::json::parse(to_json(document)),
              nlohmann::json::parse(R"({"kind":"document","file_name":"Курс.yml",
                  "content":"- id: a\n  type: message\n","caption":"version 2"})"));
}

TEST(OutboundMessage, WritesTheDocumentedFormat) {
    OutboundMessage poll;
    poll.kind = Kind::poll;
    poll.text = "Q";
    poll.poll_options = {"a", "b"};
    poll.element_id = "E";
    poll.activation = 3;
    EXPECT_EQ(nlohmann::json::parse(to_json(poll)),
              nlohmann::json::parse(R"({"kind":"poll","question":"Q","options":["a","b"],"quiz":false,
                                        "multiple_answers":false,"element_id":"E","activation":3})"));
    // Rows written before this format had a name read the same.
    const auto legacy = outbound_from_json(R"({"kind":"audio","url":"u","caption":"c","parse_mode":"HTML"})");
    EXPECT_EQ(legacy.kind, Kind::audio);
    EXPECT_EQ(legacy.media.at(0).url, "u");
    EXPECT_EQ(legacy.text, "c");
}

TEST(OutboundMessage, RefusesMalformedPayloadsNamingTheField) {
    const std::pair<const char*, const char*> cases[] = {
        {"", "not JSON"},
        {"[1]", "not a JSON object"},
        {"{}", "'kind' is missing"},
        {R"({"kind":"sticker"})", "'kind' is not a known kind"},
        {R"({"kind":"text","text":5})", "'text' must be a string"},
        {R"({"kind":"text","buttons":{}})", "'buttons' must be a list"},
        {R"({"kind":"text","buttons":[{"text":"x"}]})", "'buttons[0]' needs exactly one"},
        {R"({"kind":"media","items":[]})", "'items' must list at least one"},
        {R"({"kind":"media","items":[{"type":"gif","url":"u"}]})", "'items[0].type' must be photo or video"},
        {R"({"kind":"audio"})", "'url' is missing"},
        {R"({"kind":"document","content":"x"})", "'file_name' is missing"},
        {R"({"kind":"document","file_name":""})", "'file_name' must not be empty"},
        {R"({"kind":"poll","question":"q","options":[1]})", "'options[0]' must be a string"},
        {R"({"kind":"poll","question":"q","activation":"x"})", "'activation' must be a whole number"},
        {R"({"kind":"callback_answer"})", "'callback_id' is missing"},
    };
    for (const auto& [payload, expected] : cases) {
        try {
            outbound_from_json(payload);
            ADD_FAILURE() << payload << " was accepted";
        } catch (const OutboundFormatError& e) {
            EXPECT_NE(std::string(e.what()).find(expected), std::string::npos) << payload << ": " << e.what();
        }
    }
}

}  // namespace
}  // namespace profo::sdk
