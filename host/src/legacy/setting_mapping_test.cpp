#include "legacy/setting_mapping.hpp"

#include <gtest/gtest.h>

using namespace profo::host::legacy;

namespace {
const SettingCatalogue kCatalogue = {{"banned", "not_allowed"},
                                     {{"model", "element/dialog"}, {"temperature", "element/dialog"}}};
}

TEST(LegacySettings, ASystemTextBecomesATextOverride) {
    const auto m = map_setting("banned", "Go away", kCatalogue);
    ASSERT_TRUE(m.mapped);
    EXPECT_EQ(m.target, "texts.banned");
    EXPECT_EQ(m.patch, (nlohmann::json{{"texts", {{"banned", "Go away"}}}}));
}

TEST(LegacySettings, APluginSettingIsTypedAndLegacyNamesAreKnown) {
    auto m = map_setting("LLM_MODEL", "gpt-4o", kCatalogue);
    ASSERT_TRUE(m.mapped);
    EXPECT_EQ(m.target, "plugins.element/dialog.model");
    EXPECT_EQ(m.patch["plugins"]["element/dialog"]["model"], "gpt-4o");
    m = map_setting("temperature", "0.5", kCatalogue);
    ASSERT_TRUE(m.mapped);
    EXPECT_EQ(m.patch["plugins"]["element/dialog"]["temperature"], 0.5);
}

TEST(LegacySettings, SecretsAndUnknownKeysAreListedNotGuessed) {
    auto m = map_setting("openai_api_key", "sk-secret", kCatalogue);
    EXPECT_FALSE(m.mapped);
    EXPECT_NE(m.reason.find("secret"), std::string::npos);
    EXPECT_EQ(m.reason.find("sk-secret"), std::string::npos);
    m = map_setting("welcome_sticker", "x", kCatalogue);
    EXPECT_FALSE(m.mapped);
    EXPECT_EQ(m.reason, "no matching setting");
}
