#include <profo/sdk/outbound.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace profo::sdk {
namespace {

using Kind = OutboundMessage::Kind;

OutboundMessage round_trip(const OutboundMessage& m) {
    return outbound_from_json(to_json(m));
}

// to_json writes its text by hand; this is the json object it stands for,
// built as it was before. Both must give the same bytes: stored payloads are
// compared and deduplicated as text.
std::string as_nlohmann(const OutboundMessage& m) {
    nlohmann::json out{{"kind", to_string(m.kind)}};
    const auto formatting = [&] {
        if (!m.parse_mode.empty()) out["parse_mode"] = m.parse_mode;
    };
    switch (m.kind) {
        case Kind::text: {
            out["text"] = m.text;
            formatting();
            out["link_preview"] = m.link_preview;
            if (!m.buttons.empty()) {
                auto buttons = nlohmann::json::array();
                for (const auto& b : m.buttons)
                    buttons.push_back(
                        b.web_app_url.empty()
                            ? nlohmann::json{{"text", b.text}, {"callback_data", b.callback_data}}
                            : nlohmann::json{{"text", b.text}, {"web_app_url", b.web_app_url}});
                out["buttons"] = buttons;
            }
            break;
        }
        case Kind::media: {
            auto items = nlohmann::json::array();
            for (const auto& item : m.media)
                items.push_back({{"type", item.type == OutboundMedia::Type::video ? "video" : "photo"},
                                 {"url", item.url}});
            out["items"] = items;
            if (!m.text.empty()) out["caption"] = m.text;
            formatting();
            break;
        }
        case Kind::audio: {
            out["url"] = m.media.empty() ? std::string{} : m.media.front().url;
            if (!m.text.empty()) out["caption"] = m.text;
            formatting();
            break;
        }
        case Kind::poll: {
            out["question"] = m.text;
            out["options"] = m.poll_options;
            out["quiz"] = m.quiz;
            out["multiple_answers"] = m.multiple_answers;
            out["element_id"] = m.element_id;
            out["activation"] = m.activation;
            if (m.correct_option) out["correct_option"] = *m.correct_option;
            break;
        }
        case Kind::typing: break;
        case Kind::callback_answer: {
            out["callback_id"] = m.callback_id;
            out["text"] = m.text;
            break;
        }
        case Kind::document: {
            out["file_name"] = m.file_name;
            out["content"] = m.file_content;
            if (!m.text.empty()) out["caption"] = m.text;
            break;
        }
    }
    return out.dump();
}

TEST(OutboundMessage, ItsJsonIsWhatAJsonObjectOfItsFieldsWouldWrite) {
    const std::vector<std::string> texts{"", "plain", "Привет \"мир\" \\ /", "tab\tnew\nline\u0001\u001f",
                                         "😀 <b>x</b>"};
    int checked = 0;
    for (const Kind kind : {Kind::text, Kind::media, Kind::audio, Kind::poll, Kind::typing,
                            Kind::callback_answer, Kind::document})
        for (const auto& text : texts)
            for (int variant = 0; variant < 4; ++variant) {
                OutboundMessage m;
                m.kind = kind;
                m.text = text;
                m.parse_mode = variant % 2 == 0 ? "" : "HTML";
                m.link_preview = variant < 2;
                if (variant >= 1)
                    m.buttons = {{text, "a3:0", ""}, {"Open", "", "https://app.example/q?x=\"1\""}};
                if (variant == 3) m.buttons.resize(1);
                m.media = {{OutboundMedia::Type::photo, "https://x/1.jpg"}};
                if (variant >= 2) m.media.push_back({OutboundMedia::Type::video, "https://x/" + text});
                if (variant == 3) m.media.clear();
                m.poll_options =
                    variant == 0 ? std::vector<std::string>{} : std::vector<std::string>{"3", text};
                m.quiz = variant % 2 == 1;
                m.multiple_answers = variant >= 2;
                if (variant >= 2) m.correct_option = variant - 2;
                m.element_id = "Q" + text;
                m.activation = variant == 3 ? -7 : 9007199254740993;
                m.callback_id = variant == 0 ? "" : "cb" + text;
                m.file_name = "Курс " + text + ".yml";
                m.file_content = text + "\n- id: a\n";
                SCOPED_TRACE(std::string(to_string(kind)) + " variant " + std::to_string(variant) + " text " +
                             text);
                EXPECT_EQ(to_json(m), as_nlohmann(m));
                ++checked;
            }
    EXPECT_EQ(checked, 7 * 5 * 4);
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
