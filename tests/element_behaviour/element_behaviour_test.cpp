// What a student sees of each element type, played through the real engine
// with `profo course play`: the courses in courses/ are made for one element
// type (or one interplay) each, and every test is one scripted student.
#include "process.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>

namespace profo::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCourses = PROFO_ELEMENT_COURSES;
constexpr const char* kHint = "Use the buttons, please";

// The hint is set explicitly, so the tests also show it comes from the config.
TestConfig config_with_hint() {
    TestConfig config;
    config.extra_yaml = std::string("engine:\n  hints:\n    use_buttons: \"") + kHint + "\"\n";
    return config;
}

class ElementBehaviour : public ::testing::Test {
protected:
    // The transcript of one student's moves, which must end the run. Each play
    // gets a database of its own, as a new student would.
    std::string play(const std::string& course, const std::string& moves) {
        const auto result =
            run_process(profo_command(config_, {"course", "play", "--db",
                                                (dir_ / ("play" + std::to_string(++plays_) + ".db")).string(),
                                                (kCourses / course).string()}),
                        moves, {}, std::chrono::seconds(120));
        EXPECT_EQ(result.exit_code, 0) << result.err << result.out;
        EXPECT_EQ(result.err.find("error"), std::string::npos) << result.err;
        return result.out;
    }

    TempDir dir_;
    int plays_ = 0;
    fs::path config_ = write_test_config(dir_, config_with_hint());
};

// ------------------------------------------------------------------ message

TEST_F(ElementBehaviour, MessageSendsMediaFirstAndContinuesWithItsButton) {
    EXPECT_EQ(play("message.yaml", "/press 1\n/press 1\n"),
              "[photo] https://example.org/a.png\n"
              "[photo] https://drive.google.com/uc?export=download&id=ABC123\n"
              "Hello\n"
              "Ready?\n"
              "[1] Go\n"
              "Pick a path\n"
              "[1] Straight on\n"
              "[2] To the end\n"
              "In the middle\n"  // the section before it is skipped
              "Bye\n"
              "run completed: score 0 of 0\n");
}

TEST_F(ElementBehaviour, MessageOptionGoesToItsTarget) {
    const std::string out = play("message.yaml", "/press 1\n/press 2\n");
    EXPECT_EQ(out.substr(out.find("[2] To the end\n")), "[2] To the end\nBye\nrun completed: score 0 of 0\n");
}

TEST_F(ElementBehaviour, FreeTextWhileButtonsWaitGetsTheHintOnly) {
    const std::string out = play("message.yaml", "/press 1\nhello\n/press 1\n");
    EXPECT_NE(out.find("[2] To the end\n" + std::string(kHint) + "\nIn the middle\n"), std::string::npos)
        << out;
}

// -------------------------------------------------------------------- audio

TEST_F(ElementBehaviour, AudioSendsEachFileWithTheTextOnTheFirst) {
    EXPECT_EQ(play("audio.yaml", ""),
              "[audio] https://example.org/one.mp3\n"
              "Listen to this\n"
              "[audio] https://example.org/two.mp3\n"
              "Done\n"
              "run completed: score 0 of 0\n");
}

// -------------------------------------------------------------------- input

TEST_F(ElementBehaviour, InputComparesCyrillicCaseInsensitivelyAndSequencesByDigits) {
    EXPECT_EQ(play("input.yaml", "  мОСКВА  \n3,1,2\na@b.org\n"),
              "Столица России?\n"
              "Верно\n"
              "In which order?\n"
              "Right order\n"
              "Your email?\n"
              "Thanks\n"
              "run completed: score 2 of 2\n");
}

TEST_F(ElementBehaviour, InputWrongAnswersScoreZero) {
    EXPECT_EQ(play("input.yaml", "Moscow\n1 2 3\nx@y.com\n"),
              "Столица России?\n"
              "Неверно\n"
              "In which order?\n"
              "Wrong order\n"
              "Your email?\n"
              "Thanks\n"
              "run completed: score 0 of 2\n");
}

TEST_F(ElementBehaviour, InputKeepsWaitingAfterAnInvalidReply) {
    const std::string out = play("input.yaml", "москва\n312\nnot-an-email\nstill not\na@b.org\n");
    EXPECT_NE(out.find("Your email?\nThat is not an email\nThat is not an email\nThanks\n"),
              std::string::npos)
        << out;
}

TEST_F(ElementBehaviour, InputFallsBackToTheConfiguredInvalidText) {
    TempDir dir;
    TestConfig settings;
    settings.settings["element/input"] = "{invalid_text: \"Try again\"}";
    const fs::path config = write_test_config(dir, settings);
    const auto result =
        run_process(profo_command(config, {"course", "play", (kCourses / "input_settings.yaml").string()}),
                    "call me\n+7 495 123-45-67\n", {}, std::chrono::seconds(120));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "Your phone?\nTry again\nNoted\nrun completed: score 0 of 0\n");
}

// --------------------------------------------------------------------- quiz

TEST_F(ElementBehaviour, QuizCorrectNoIsWrongAndStrayEventsChangeNothing) {
    // An old message's button, free text and a retracted vote while the poll
    // waits: only the free text gets the hint; the poll still takes the vote.
    EXPECT_EQ(play("quiz.yaml", "/press 1\n/press 1\nhello\n/vote\n/vote 1\n"),
              "Ready?\n"
              "[1] Go\n"
              "Which one is right?\n"
              "(1) The first\n"
              "(2) The second\n" +
                  std::string(kHint) +
                  "\n"
                  "Not this one\n"
                  "run completed: score 0 of 1\n");
}

TEST_F(ElementBehaviour, QuizRightAnswerScoresOne) {
    const std::string out = play("quiz.yaml", "/press 1\n/vote 2\n");
    EXPECT_EQ(out.substr(out.find("(2) The second\n")),
              "(2) The second\nExactly\nrun completed: score 1 of 1\n");
}

// ----------------------------------------------------- question, multi_choice

TEST_F(ElementBehaviour, QuestionHasNoScoreAndMultiChoiceGivesHalfForPartlyRight) {
    EXPECT_EQ(play("polls.yaml", "/vote 2\n/vote 1\n"),
              "How do you feel?\n"
              "(1) Good\n"
              "(2) Bad\n"
              "Sorry to hear\n"
              "Pick the vowels\n"
              "(1) A\n"
              "(2) B\n"
              "(3) E\n"
              "A is a vowel\n"
              "Partly right\n"
              "run completed: score 0.5 of 1\n");
}

TEST_F(ElementBehaviour, MultiChoiceAllRightScoresOne) {
    const std::string out = play("polls.yaml", "/vote 1\n/vote 3,1\n");
    EXPECT_EQ(out.substr(out.find("(3) E\n")),
              "(3) E\nA is a vowel\nAll right\nrun completed: score 1 of 1\n");
}

TEST_F(ElementBehaviour, MultiChoiceNothingRightScoresZero) {
    const std::string out = play("polls.yaml", "/vote 1\n/vote 2\n");
    EXPECT_EQ(out.substr(out.find("(3) E\n")), "(3) E\nB is not\nNot right\nrun completed: score 0 of 1\n");
}

// ------------------------------------------------------------- jump, delay

TEST_F(ElementBehaviour, JumpWaitThenDelayBothContinueOnTheirTimers) {
    EXPECT_EQ(play("timing.yaml", "/press 2\n/skip\nhello\n/skip\n"),
              "Continue?\n"
              "[1] Yes\n"
              "[2] Later\n"
              "[3] Skip ahead\n"
              "See you in an hour\n"
              "Middle\n"
              "Wait 30 seconds\n" +
                  std::string(kHint) +
                  "\n"
                  "The end\n"  // the delay goes to After, past Unreached
                  "run completed: score 0 of 0\n");
}

TEST_F(ElementBehaviour, JumpGotoAndPlainOption) {
    std::string out = play("timing.yaml", "/press 3\n");
    EXPECT_EQ(out.substr(out.find("[3] Skip ahead\n")),
              "[3] Skip ahead\nThe end\nrun completed: score 0 of 0\n");
    out = play("timing.yaml", "/press 1\n/skip\n");
    EXPECT_EQ(out.substr(out.find("[3] Skip ahead\n")),
              "[3] Skip ahead\nMiddle\nWait 30 seconds\nThe end\nrun completed: score 0 of 0\n");
}

// --------------------------------------------------------------------- test

TEST_F(ElementBehaviour, TestPicksBandsByNumericKeys) {
    // 3 of 4 under the prefix: 25% mistakes, band "65" (as text "20" < "25" < "65" < "100" would not hold).
    std::string out = play("bands.yaml", "/vote 1\n/vote 2\nTHREE\n/vote 1,2\n/vote 2\n");
    EXPECT_EQ(out.substr(out.find("Score:")), "Score: 3 of 4\n\nGood\nrun completed: score 3 of 5\n");
    // A multi_choice half point: 3.5 of 4, 12.5% mistakes, band "20".
    out = play("bands.yaml", "/vote 1\n/vote 1\nthree\n/vote 1\n/vote 1\n");
    EXPECT_EQ(out.substr(out.find("Score:")), "Score: 3.5 of 4\n\nGreat\nrun completed: score 4.5 of 5\n");
    // Nothing right: 100%, band "100".
    out = play("bands.yaml", "/vote 2\n/vote 2\nfour\n/vote 3\n/vote 1\n");
    EXPECT_EQ(out.substr(out.find("Score:")), "Score: 0 of 4\n\nStudy more\nrun completed: score 1 of 5\n");
}

// ----------------------------------------------------------------- revision

TEST_F(ElementBehaviour, RevisionReplaysTheMistakeThenContinuesAfterItself) {
    EXPECT_EQ(play("revision.yaml", "/vote 1\n/vote 2\nТРИ\n/press 1\n/vote 1\n/vote 1\nтри\n/press 1\n"),
              "One?\n"
              "(1) Right\n"
              "(2) Wrong\n"
              "Yes, one\n"
              "Two?\n"
              "(1) Right\n"
              "(2) Wrong\n"
              "No, not two\n"
              "Three?\n"
              "Let us fix your mistakes\n"
              "[1] Start\n"
              // the mistake first, then the correctly answered ones in course order
              "Two?\n"
              "(1) Right\n"
              "(2) Wrong\n"
              "Yes, two\n"
              "One?\n"
              "(1) Right\n"
              "(2) Wrong\n"
              "Yes, one\n"
              "Three?\n"
              "After the revision\n"
              "Now: 3 of 3\n"  // the replayed answers are the latest attempts
              "[1] OK\n"
              "run completed: score 3 of 3\n");
}

TEST_F(ElementBehaviour, RevisionWithoutMistakesSaysSoAndContinues) {
    const std::string out = play("revision.yaml", "/vote 1\n/vote 1\nтри\n/press 1\n");
    EXPECT_EQ(out.substr(out.find("Three?\n")),
              "Three?\nNo mistakes\nAfter the revision\nNow: 3 of 3\n[1] OK\nrun completed: score 3 of 3\n");
}

// ---------------------------------------------------------------------- end

TEST_F(ElementBehaviour, EndCompletesTheRunBeforeLaterElements) {
    EXPECT_EQ(play("end.yaml", ""), "Goodbye\nrun completed: score 0 of 0\n");
}

// ------------------------------------------------------------ SDK example

// The walkthrough of sdk/README.md ends by playing its example element; this
// is that step, exactly as the README shows it.
TEST_F(ElementBehaviour, TheSdkWalkthroughCoursePlaysWithTheExampleElement) {
    const fs::path course = fs::path(PROFO_SDK_EXAMPLES) / "reflection" / "why.yaml";
    TestConfig with_example = config_with_hint();
    with_example.with_sdk_examples = true;
    const TempDir dir;
    const auto result = run_process(
        profo_command(write_test_config(dir, with_example),
                      {"course", "play", "--db", (dir_ / "walkthrough.db").string(), course.string()}),
        "Crete\nBecause my family is from Crete\n", {}, std::chrono::seconds(120));
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out,
              "Why do you want to learn Greek?\n"
              "Please write a little more (at least 10 characters).\n"
              "Great reason: Because my family is from Crete\n"
              "See you!\n"
              "run completed: score 0 of 0\n");
}

}  // namespace
}  // namespace profo::testing
