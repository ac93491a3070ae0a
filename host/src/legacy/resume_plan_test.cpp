#include "legacy/resume_plan.hpp"

#include <gtest/gtest.h>

using namespace profo::host::legacy;
using profo::sdk::CourseElement;
using Kind = ResumePlan::Kind;

namespace {

CourseElement element(const std::string& id, const std::string& type, const std::string& body = "{}") {
    CourseElement e;
    e.element_id = id;
    e.type = type;
    e.body_json = body;
    return e;
}

// The spec's shapes: a plain message, a message with a button, a quiz, a
// delay with a goto, a section, a dialog, a delay that stays, the end.
const std::vector<CourseElement> kCourse = {
    element("Intro", "message", R"({"type":"message","text":"Hi"})"),
    element("Go", "message", R"({"type":"message","text":"Ready?","button":"Yes"})"),
    element("Q1", "quiz"),
    element("Wait", "delay", R"({"type":"delay","wait":"1d","goto":"Part2"})"),
    element("Part2", "section"),
    element("Talk", "dialog"),
    element("Stay", "delay", R"({"type":"delay","text":"Come back later"})"),
    element("Bye", "end"),
};

}  // namespace

TEST(LegacyResume, AnElementThatWaitsForAnAnswerIsEnteredAgain) {
    for (const char* id : {"Go", "Q1", "Talk"}) {
        const auto plan = plan_resume(kCourse, id, nullptr);
        EXPECT_EQ(plan.kind, Kind::enter) << id;
        EXPECT_EQ(plan.cursor, id);
        EXPECT_EQ(plan.enter, id);
        EXPECT_FALSE(plan.due) << "at once";
    }
}

TEST(LegacyResume, AnElementThatDoesNotWaitGoesOnToTheNextSkippingSections) {
    auto plan = plan_resume(kCourse, "Intro", nullptr);
    EXPECT_EQ(plan.kind, Kind::enter);
    EXPECT_EQ(plan.cursor, "Intro");
    EXPECT_EQ(plan.enter, "Go");
    EXPECT_TRUE(waits_for_answer(kCourse[1]));
    EXPECT_FALSE(waits_for_answer(kCourse[0]));
}

TEST(LegacyResume, APendingDelayEntersItsElementWhenDue) {
    LegacyWaiting w;
    w.element_id = "Talk";
    w.due_at = 1'700'000'000'000;
    const auto plan = plan_resume(kCourse, "Wait", &w);
    EXPECT_EQ(plan.kind, Kind::enter);
    EXPECT_EQ(plan.cursor, "Wait");
    EXPECT_EQ(plan.enter, "Talk");
    EXPECT_EQ(plan.due, w.due_at);
}

TEST(LegacyResume, ADelayWhoseTimerFiredGoesToItsGotoAndOneWithoutStays) {
    auto fired = plan_resume(kCourse, "Wait", nullptr);
    EXPECT_EQ(fired.kind, Kind::enter);
    EXPECT_EQ(fired.enter, "Part2");
    auto stays = plan_resume(kCourse, "Stay", nullptr);
    EXPECT_EQ(stays.kind, Kind::stay);
    EXPECT_EQ(stays.cursor, "Stay");
}

TEST(LegacyResume, TheEndOrNothingAfterCompletes) {
    EXPECT_EQ(plan_resume(kCourse, "Bye", nullptr).kind, Kind::completed);
    const std::vector<CourseElement> one = {element("Only", "message", R"({"text":"x"})")};
    EXPECT_EQ(plan_resume(one, "Only", nullptr).kind, Kind::completed);
}

TEST(LegacyResume, ARunWithoutHistoryStartsAtTheFirstElement) {
    const auto plan = plan_resume(kCourse, "", nullptr);
    EXPECT_EQ(plan.kind, Kind::enter);
    EXPECT_EQ(plan.enter, "Intro");
}

TEST(LegacyResume, APositionOrDelayTargetOutsideTheCourseIsLostWithAReason) {
    auto lost = plan_resume(kCourse, "Gone_3", nullptr);
    EXPECT_EQ(lost.kind, Kind::lost);
    EXPECT_NE(lost.problem.find("'Gone_3' is not in the course"), std::string::npos) << lost.problem;
    LegacyWaiting w;
    w.element_id = "Nowhere";
    lost = plan_resume(kCourse, "Wait", &w);
    EXPECT_EQ(lost.kind, Kind::lost);
    EXPECT_NE(lost.problem.find("Nowhere"), std::string::npos);
}
