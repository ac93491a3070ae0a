#include "audio_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::AudioElement;
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
