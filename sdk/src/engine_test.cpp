#include <profo/sdk/engine.hpp>

#include <gtest/gtest.h>

namespace profo::sdk {
namespace {

// Fails the events whose text is "fail" and records what it was given.
class ScriptedEngine final : public CourseEngine {
public:
    std::vector<std::string> seen;
    DispatchResult dispatch(const InboundEvent& event) override {
        seen.push_back(event.text);
        if (event.text == "fail") return {DispatchResult::Status::failed, std::nullopt, "scripted"};
        return {};
    }
    std::optional<RunElement> run_element(Id, Id, const std::string&) override { return std::nullopt; }
};

InboundEvent event(std::int64_t chat, std::string text) {
    InboundEvent e;
    e.bot_id = 1;
    e.chat_id = chat;
    e.text = std::move(text);
    return e;
}

TEST(DispatchAll, AChatsLaterEventsFailUntriedOnceOneFailsAndOtherChatsGoOn) {
    ScriptedEngine engine;
    const auto results = engine.dispatch_all(
        {event(1, "a"), event(2, "fail"), event(1, "b"), event(2, "c"), event(3, "d"), event(2, "e")});
    ASSERT_EQ(results.size(), 6U);
    using S = DispatchResult::Status;
    EXPECT_EQ(results[0].status, S::handled);
    EXPECT_EQ(results[1].status, S::failed);
    EXPECT_EQ(results[1].message, "scripted");
    EXPECT_EQ(results[2].status, S::handled);
    EXPECT_EQ(results[3].status, S::failed);
    EXPECT_EQ(results[3].message, "not tried: an earlier event of this chat failed");
    EXPECT_EQ(results[4].status, S::handled);
    EXPECT_EQ(results[5].status, S::failed);
    EXPECT_EQ(engine.seen, (std::vector<std::string>{"a", "fail", "b", "d"}));
}

TEST(DispatchAllThen, ByDefaultHandsDispatchAllsResultsOnceBeforeReturning) {
    ScriptedEngine engine;
    int calls = 0;
    std::vector<DispatchResult> got;
    engine.dispatch_all_then({event(1, "a"), event(1, "fail"), event(1, "b")},
                             [&](std::vector<DispatchResult> results) {
                                 ++calls;
                                 got = std::move(results);
                             });
    EXPECT_EQ(calls, 1);
    ASSERT_EQ(got.size(), 3U);
    EXPECT_EQ(got[0].status, DispatchResult::Status::handled);
    EXPECT_EQ(got[1].message, "scripted");
    EXPECT_EQ(got[2].message, "not tried: an earlier event of this chat failed");
    EXPECT_EQ(engine.seen, (std::vector<std::string>{"a", "fail"}));
}

}  // namespace
}  // namespace profo::sdk
