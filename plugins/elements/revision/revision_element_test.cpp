#include "revision_element.hpp"

#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using nlohmann::json;
using profo::elements::RevisionElement;
using profo::elements::testing::KeptReport;
using profo::elements::testing::validated;
using ::testing::ElementsAre;

namespace {

KeptReport report_of(const json& spec) {
    return validated<RevisionElement>(spec);
}

}  // namespace

TEST(RevisionValidate, LegacyShapeIsValid) {
    EXPECT_TRUE(
        report_of(json::parse(R"({"type": "revision", "prefix": "Vocab_", "text": "Let's fix mistakes",
        "no_mistakes": "No mistakes!", "button": "Ok!"})"))
            .issues.empty());
    EXPECT_TRUE(report_of(json{{"type", "revision"}, {"prefix", "Vocab_"}}).issues.empty());
}

TEST(RevisionValidate, PrefixRequiredAndButtonNeedsText) {
    EXPECT_THAT(report_of(json{{"type", "revision"}, {"button", "Go"}, {"no_mistakes", 5}}).errors(),
                ElementsAre("prefix: 'prefix' is required",
                            "text: 'text' is required with 'button': the button needs a message to go with"));
    EXPECT_THAT(report_of(json{{"type", "revision"}, {"prefix", json::array()}}).errors(),
                ElementsAre("prefix: 'prefix' must be text, not '[]'"));
}

TEST(RevisionSchema, FieldsAndRequired) {
    EXPECT_EQ(RevisionElement().json_schema()["required"], json({"type", "prefix"}));
    EXPECT_THAT(RevisionElement().fields(),
                ElementsAre("button", "link_preview", "no_mistakes", "parse_mode", "prefix", "text"));
}
