#include "audio_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::AudioElement;
using profo::elements::testing::compiled;
using profo::elements::testing::FakeElementContext;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<AudioElement>(spec);
}

}  // namespace

TEST(AudioValidate, LegacyShapeIsValid) {
    EXPECT_TRUE(report_of(json::parse(R"({"type": "audio", "text": "Listen", "link_preview": false,
        "media": ["https://drive.google.com/uc?export=download&id=1_IQ"]})"))
                    .issues.empty());
}

TEST(AudioValidate, MediaIsRequiredAndMustListUrls) {
    EXPECT_THAT(report_of(json{{"type", "audio"}, {"text", "Listen"}}).errors(),
                ElementsAre("media: 'media' is required"));
    EXPECT_THAT(report_of(json{{"type", "audio"}, {"media", json::array()}}).errors(),
                ElementsAre("media: 'media' must list at least one audio URL"));
    EXPECT_THAT(
        report_of(json{{"type", "audio"}, {"media", {"a.mp3", json::object()}}, {"text", {1}}}).errors(),
        ElementsAre("text: 'text' must be text, not '[1]'", "media[1]: 'media[1]' must be a URL, not '{}'"));
}

TEST(AudioSchema, MediaRequired) {
    EXPECT_EQ(AudioElement().json_schema()["required"], json({"type", "media"}));
    EXPECT_EQ(AudioElement().json_schema()["properties"]["media"]["minItems"], 1);
}

TEST(AudioRun, OneAudioPerUrlCaptionOnTheFirst) {
    const json spec = json::parse(R"({"type": "audio", "text": "<i>Listen</i>", "parse_mode": "HTML",
        "media": ["https://x/1.mp3", "https://x/2.mp3"]})");
    AudioElement audio;
    FakeElementContext ctx("Listen", compiled(audio, spec), spec);
    EXPECT_EQ(audio.enter(ctx).kind, profo::sdk::Outcome::Kind::next);
    ASSERT_EQ(ctx.sent.size(), 2u);
    for (const auto& sent : ctx.sent) {
        EXPECT_EQ(sent.kind, profo::sdk::OutAction::Kind::audio);
        EXPECT_EQ(sent.parse_mode, "HTML");
    }
    EXPECT_THAT(ctx.sent[0].media, ElementsAre("https://x/1.mp3"));
    EXPECT_EQ(ctx.sent[0].text, "<i>Listen</i>");
    EXPECT_THAT(ctx.sent[1].media, ElementsAre("https://x/2.mp3"));
    EXPECT_EQ(ctx.sent[1].text, "");
    EXPECT_TRUE(ctx.records.empty());
}
