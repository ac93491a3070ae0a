#include "engine/outbox_writer.hpp"

#include <profo/sdk/text.hpp>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

namespace profo::host {
namespace {

using sdk::OutAction;
using sdk::telegram_length;

// The messages as the outbox stores them, in their documented JSON.
std::vector<nlohmann::json> payloads(const OutAction& action, const std::string& element_id,
                                     std::int64_t activation) {
    std::vector<nlohmann::json> out;
    for (const auto& m : outbound_messages(action, element_id, {activation, 0}))
        out.push_back(nlohmann::json::parse(sdk::to_json(m)));
    return out;
}

std::string repeat(const std::string& s, std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += s;
    return out;
}

TEST(TelegramLength, CountsUtf16CodeUnits) {
    EXPECT_EQ(telegram_length("abc"), 3u);
    EXPECT_EQ(telegram_length("Привет"), 6u);  // two bytes a letter, one unit
    EXPECT_EQ(telegram_length("👆"), 2u);       // outside the BMP: a surrogate pair
    EXPECT_EQ(telegram_length(""), 0u);
}

TEST(DirectMediaUrl, RewritesGoogleDriveShareLinks) {
    EXPECT_EQ(direct_media_url("https://drive.google.com/file/d/1nawgNF8R8/view?usp=drive_link"),
              "https://drive.google.com/uc?export=download&id=1nawgNF8R8");
    EXPECT_EQ(direct_media_url("https://drive.google.com/file/d/ABC_-9"),
              "https://drive.google.com/uc?export=download&id=ABC_-9");
    EXPECT_EQ(direct_media_url("https://drive.google.com/open?id=XYZ&authuser=0"),
              "https://drive.google.com/uc?export=download&id=XYZ");
    EXPECT_EQ(direct_media_url("https://drive.google.com/uc?export=download&id=1_IQ4i"),
              "https://drive.google.com/uc?export=download&id=1_IQ4i");
    EXPECT_EQ(direct_media_url("https://example.com/file/d/1/view"), "https://example.com/file/d/1/view");
}

TEST(IsVideoUrl, LooksAtTheExtensionBeforeTheQuery) {
    EXPECT_TRUE(is_video_url("https://x.org/clip.mp4"));
    EXPECT_TRUE(is_video_url("https://x.org/CLIP.MP4?dl=1"));
    EXPECT_FALSE(is_video_url("https://x.org/clip.mp4.png"));
    EXPECT_FALSE(is_video_url("https://x.org/photo.jpg"));
}

TEST(CallbackData, RoundTripsAndRejectsAnythingElse) {
    EXPECT_EQ(callback_data({17, 0}, 0), "a17:0");
    EXPECT_EQ(callback_data({17, 9223372036854775807}, 2), "a17:2:9223372036854775807");
    EXPECT_LE(callback_data({9223372036854775807, 9223372036854775807}, 99).size(), 64u)
        << "within Telegram's 64 bytes whatever the numbers";
    const auto t = parse_callback_data("a17:3");
    ASSERT_TRUE(t);
    EXPECT_EQ(t->activation, 17);
    EXPECT_EQ(t->index, 3);
    EXPECT_FALSE(t->run_id) << "data from before runs were named";
    const auto named = parse_callback_data("a17:3:42");
    ASSERT_TRUE(named);
    EXPECT_EQ(named->index, 3);
    EXPECT_EQ(named->run_id, 42);
    for (const char* bad : {"", "a", "a1", "a:1", "a1:", "b1:2", "a1:2x", "a-1:2", "a1:-2", "Давай",
                            "a99999999999999999999:1", "a1:2:", "a1:2:0", "a1:2:x", "a1:2:3:4", "a1:2:-3"})
        EXPECT_FALSE(parse_callback_data(bad)) << bad;
}

TEST(OutboxPayloads, TextCarriesButtonsWithCallbackDataNotText) {
    OutAction a;
    a.text = "Go on?";
    a.parse_mode = "HTML";
    a.link_preview = false;
    a.buttons = {{"Давай продолжим, это длинная надпись на кнопке", {}}, {"Open", "https://app.example/q"}};
    const auto rows = payloads(a, "Intro", 17);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0],
              (nlohmann::json{
                  {"kind", "text"},
                  {"text", "Go on?"},
                  {"parse_mode", "HTML"},
                  {"link_preview", false},
                  {"buttons",
                   {{{"text", "Давай продолжим, это длинная надпись на кнопке"}, {"callback_data", "a17:0"}},
                    {{"text", "Open"}, {"web_app_url", "https://app.example/q"}}}}}));
}

TEST(OutboxPayloads, LongTextIsSplitWithButtonsOnTheLastPart) {
    OutAction a;
    a.text = repeat("word ", 700) + "\n\n" + repeat("tail ", 200);
    a.buttons = {{"OK", {}}};
    const auto rows = payloads(a, "Long", 2);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_FALSE(rows[0].contains("buttons"));
    EXPECT_EQ(rows[0]["text"], repeat("word ", 700).substr(0, 3499));  // cut at the paragraph
    EXPECT_EQ(rows[1]["text"], repeat("tail ", 200));
    EXPECT_EQ(rows[1]["buttons"], (nlohmann::json{{{"text", "OK"}, {"callback_data", "a2:0"}}}));
}

TEST(OutboxPayloads, MediaGoesInAlbumsOfTenWithTheCaptionOnTheFirst) {
    OutAction a;
    a.kind = OutAction::Kind::media;
    for (int i = 0; i < 23; ++i)
        a.media.push_back("https://x.org/" + std::to_string(i) + (i == 5 ? ".mp4" : ".jpg"));
    a.media[0] = "https://drive.google.com/file/d/D0/view?usp=sharing";
    a.text = "Look";
    a.parse_mode = "HTML";
    const auto rows = payloads(a, "Pics", 1);
    ASSERT_EQ(rows.size(), 3u);
    EXPECT_EQ(rows[0]["items"].size(), 10u);
    EXPECT_EQ(rows[1]["items"].size(), 10u);
    EXPECT_EQ(rows[2]["items"].size(), 3u);
    EXPECT_EQ(
        rows[0]["items"][0],
        (nlohmann::json{{"type", "photo"}, {"url", "https://drive.google.com/uc?export=download&id=D0"}}));
    EXPECT_EQ(rows[0]["items"][5]["type"], "video");
    EXPECT_EQ(rows[0]["caption"], "Look");
    EXPECT_EQ(rows[0]["parse_mode"], "HTML");
    EXPECT_FALSE(rows[1].contains("caption"));
    EXPECT_FALSE(rows[2].contains("caption"));
}

TEST(OutboxPayloads, ACaptionOverTheLimitGoesFirstAsText) {
    OutAction a;
    a.kind = OutAction::Kind::media;
    a.media = {"https://x.org/a.jpg"};
    a.text = repeat("x", 1025);
    auto rows = payloads(a, "Pic", 1);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["kind"], "text");
    EXPECT_EQ(rows[0]["text"], a.text);
    EXPECT_EQ(rows[1]["kind"], "media");
    EXPECT_FALSE(rows[1].contains("caption"));

    a.text = repeat("x", 1024);
    rows = payloads(a, "Pic", 1);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0]["caption"], a.text);
}

TEST(OutboxPayloads, AudioIsOneRowPerFileCaptionOnTheFirst) {
    OutAction a;
    a.kind = OutAction::Kind::audio;
    a.media = {"https://drive.google.com/open?id=A1", "https://x.org/b.mp3"};
    a.text = "Listen";
    const auto rows = payloads(a, "Audio", 4);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0], (nlohmann::json{{"kind", "audio"},
                                       {"url", "https://drive.google.com/uc?export=download&id=A1"},
                                       {"caption", "Listen"}}));
    EXPECT_EQ(rows[1], (nlohmann::json{{"kind", "audio"}, {"url", "https://x.org/b.mp3"}}));

    a.text = repeat("y", 2000);
    const auto long_caption = payloads(a, "Audio", 4);
    ASSERT_EQ(long_caption.size(), 3u);
    EXPECT_EQ(long_caption[0]["kind"], "text");
    EXPECT_FALSE(long_caption[1].contains("caption"));
}

TEST(OutboxPayloads, PollsNameTheirElementAndActivation) {
    OutAction a;
    a.kind = OutAction::Kind::poll;
    a.text = "Capital of France?";
    a.poll_options = {"Paris", "London"};
    a.quiz = true;
    a.correct_option = 0;
    const auto rows = payloads(a, "Quiz_1", 17);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0], (nlohmann::json{{"kind", "poll"},
                                       {"question", "Capital of France?"},
                                       {"options", {"Paris", "London"}},
                                       {"quiz", true},
                                       {"correct_option", 0},
                                       {"multiple_answers", false},
                                       {"element_id", "Quiz_1"},
                                       {"activation", 17}}));
}

TEST(OutboxPayloads, ALongPollQuestionGoesFirstAsTextAndTheQuestionIsItsFirstLine) {
    OutAction a;
    a.kind = OutAction::Kind::poll;
    a.text = "\n❓ Вопрос 1\n" + repeat("Длинное пояснение. ", 30);
    a.poll_options = {"a", "b"};
    auto rows = payloads(a, "Q", 3);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[0]["kind"], "text");
    EXPECT_EQ(rows[0]["text"], a.text);
    EXPECT_EQ(rows[1]["question"], "❓ Вопрос 1");
    EXPECT_FALSE(rows[1].contains("correct_option"));

    a.text = repeat("Я", 400);  // one line over the limit: cut to 300
    rows = payloads(a, "Q", 3);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows[1]["question"], repeat("Я", 300));
}

TEST(OutboxPayloads, TypingIsAChatAction) {
    OutAction a;
    a.kind = OutAction::Kind::typing;
    EXPECT_EQ(payloads(a, "D", 1), (std::vector<nlohmann::json>{{{"kind", "typing"}}}));
}

}  // namespace
}  // namespace profo::host
