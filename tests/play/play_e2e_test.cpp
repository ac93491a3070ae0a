// `profo course play` as a user runs it: the real binary with every plugin the
// build produced, a course file, and a student's moves on stdin.
#include "process.hpp"
#include "test_config.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace profo::testing {
namespace {

namespace fs = std::filesystem;

const fs::path kCourses = PROFO_LEGACY_COURSES_DIR;

class PlayTest : public ::testing::Test {
protected:
    ProcessResult play(const fs::path& course, const std::string& moves,
                       std::vector<std::string> extra = {}) {
        std::vector<std::string> args{"course", "play", course.string()};
        args.insert(args.end(), extra.begin(), extra.end());
        return run_process(profo_command(config, args), moves, environment(), std::chrono::seconds(120));
    }

    // The config is named in the environment too: the command line's global
    // --config does not reach subcommands yet.
    ExtraEnvironment environment(ExtraEnvironment extra = {}) const {
        extra["PROFO_CONFIG"] = config.string();
        return extra;
    }

    fs::path write(const std::string& name, const std::string& yaml) {
        const fs::path file = dir / name;
        std::ofstream(file) << yaml;
        return file;
    }

    static std::string last_line(const std::string& out) {
        std::string trimmed = out;
        while (!trimmed.empty() && trimmed.back() == '\n') trimmed.pop_back();
        return trimmed.substr(trimmed.rfind('\n') + 1);
    }

    TempDir dir;
    fs::path config = write_test_config(dir);
};

TEST_F(PlayTest, AStudentAnswersRightAndGetsTheScore) {
    const auto r = play(kCourses / "acceptance.yaml", "/press 1\n/vote 2\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(
        r.out,
        "Привет! Рад тебя видеть! Я — 🤖 Greek Bot! Этот курс поможет "
        "тебе "
        "подготовиться "
        "делать "
        "домашку по "
        "греческому языку в школе Leeke\n"
        "Давай проверим несколько, которые ты должен знать, если хочешь успешно сдать экзамен!\n"
        "[1] Давай\n"
        "Important (1/50)\n"
        "(1) Viral\n"
        "(2) Essential\n"
        "Awesome job!\n"
        "run completed: score 1 of 1\n");
}

TEST_F(PlayTest, AWrongAnswerScoresNothing) {
    const auto r = play(kCourses / "acceptance.yaml", "/press 1\n/vote 1\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("Almost there, let's try again!\n"), std::string::npos) << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 0 of 1");
}

TEST_F(PlayTest, TheTestElementCourseScoresFiveOfFiveWhenAllIsRight) {
    const auto r = play(kCourses / "test_test_element.yml",
                        "/press 1\n"    // Начать тест
                        "/vote 1\n"     // Париж
                        "/vote 2\n"     // 8
                        "Москва\n"      // input
                        "/vote 1,3\n"   // both true statements about Python
                        "/vote 1\n"     // JavaScript
                        "/press 1\n"    // Продолжить after the summary
                        "/press 1\n");  // Понятно
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("Твой результат: 5 из 5 баллов."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Revision не требуется"), std::string::npos) << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 5 of 5");
}

TEST_F(PlayTest, MistakesAreReplayedByTheRevisionAndTheReplayCounts) {
    const auto r = play(
        kCourses / "test_test_element.yml",
        "/press 1\n"  // Начать тест
        "/vote 2\n"   // Лондон: wrong
        "/vote 2\n"   // 8
        "Питер\n"     // wrong
        "/vote 1,3\n"
        "/vote 1\n"
        "/press 1\n"  // Продолжить
        "/press 1\n"  // Понятно
        "/press 1\n"  // Начать повторение
                      // The replays come in an order of the run's own; answer every
                      // kind right until the course ends.
            + [] {
                  std::string moves;
                  for (int i = 0; i < 6; ++i) moves += "/vote 1\nМосква\n/vote 1,3\n/vote 2\n";
                  return moves;
              }());
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("Твой результат: 3 из 5 баллов."), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("ПОВТОРЕНИЕ ОШИБОК"), std::string::npos) << r.out;
    // Both mistakes come back (with up to two right answers, in the run's own order).
    const auto count = [&](const std::string& text) {
        std::size_t n = 0;
        for (auto at = r.out.find(text); at != std::string::npos; at = r.out.find(text, at + 1)) ++n;
        return n;
    };
    EXPECT_EQ(count("Какая столица Франции?"), 2u) << r.out;
    EXPECT_EQ(count("Напиши столицу России"), 2u) << r.out;
    const auto last = last_line(r.out);
    EXPECT_EQ(last.rfind("run completed: score ", 0), 0u) << last;
    EXPECT_EQ(last.substr(last.size() - 5), " of 5") << last;
}

TEST_F(PlayTest, ACourseWithoutQuestionsCompletesAtOnce) {
    const auto r = play(kCourses / "default.yml", "");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 0 of 0");
}

TEST_F(PlayTest, AMiniAppIsAnsweredWithWebAppAndMediaIsListed) {
    const auto r = play(kCourses / "miniapp.yml", "/press 1\n/webapp Paris\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("[1] Launch (Mini App "), std::string::npos) << r.out;
    EXPECT_NE(r.err.find("opens a Mini App"), std::string::npos) << r.err;
    EXPECT_NE(r.out.find("Correct! Paris is the capital of France."), std::string::npos) << r.out;
    EXPECT_NE(
        r.out.find(
            "[photo] https://drive.google.com/uc?export=download&id=1_-rPI3B51GK11eimr8sE4eYsS_puiAUS\n"
            "[photo] https://drive.google.com/uc?export=download&id=1ZvYLt945BXbR9d76aFjUfqJYSvfvP2Zz\n"),
        std::string::npos)
        << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 1 of 1");
}

TEST_F(PlayTest, EndOfInputBeforeTheEndSaysWhereTheRunWaits) {
    const auto r = play(kCourses / "acceptance.yaml", "/press 1\n");
    EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
    EXPECT_EQ(last_line(r.out), "run not completed (waiting at Vocab_1)");
}

TEST_F(PlayTest, QuitStopsAtOnce) {
    const auto r = play(kCourses / "acceptance.yaml", "/quit\n/press 1\n");
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(r.out.find("run "), std::string::npos) << r.out;
}

TEST_F(PlayTest, StartBeginsAgainAndAnswersThatDoNotFitGetTheHint) {
    const auto r = play(kCourses / "acceptance.yaml", "hello\n/start\n/press 1\n/vote 2\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_NE(r.out.find("Please use the buttons above 👆\n"), std::string::npos) << r.out;
    std::size_t intros = 0;
    for (auto at = r.out.find("[1] Давай"); at != std::string::npos; at = r.out.find("[1] Давай", at + 1))
        ++intros;
    EXPECT_EQ(intros, 2u) << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 1 of 1");
}

TEST_F(PlayTest, SkipFiresTheDelayNow) {
    const auto course = write("delayed.yaml",
                              "Hello:\n  type: message\n  text: Hello\n"
                              "Pause:\n  type: delay\n  text: See you tomorrow\n  wait: 1d\n  goto: Back\n"
                              "Skipped:\n  type: message\n  text: never shown\n"
                              "Back:\n  type: message\n  text: Welcome back\n");
    const auto r = play(course, "/skip\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(r.out, "Hello\nSee you tomorrow\nWelcome back\nrun completed: score 0 of 0\n");
}

// Numbers as authors write them: `goto: 1.10` goes to the element `1.10`
// (not 1.1), `3.10` shows as written, and `007` is the answer `007`.
TEST_F(PlayTest, NumberLikeIdsTextsAndAnswersStayAsWritten) {
    const auto course = write("numbers.yaml",
                              "\"1.1\":\n  type: jump\n  text: Contents\n  options:\n"
                              "    - text: Lesson 1.10\n      goto: 1.10\n"
                              "\"1.2\":\n  type: message\n  text: never shown\n"
                              "1.10:\n  type: message\n  text: 3.10\n  button: 1.50\n"
                              "Agent:\n  type: input\n  text: Code?\n  correct_answer: 007\n"
                              "  feedback_correct: Right\n  feedback_incorrect: Wrong\n"
                              "Sci:\n  type: input\n  text: A thousand?\n  correct_answer: 1e3\n"
                              "  feedback_correct: Right\n  feedback_incorrect: Wrong\n");
    const auto r = play(course, "/press 1\n/press 1\n007\n1e3\n");
    ASSERT_EQ(r.exit_code, 0) << r.err << r.out;
    EXPECT_EQ(r.out.find("never shown"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("3.10\n[1] 1.50\nCode?\nRight\nA thousand?\nRight\n"), std::string::npos) << r.out;
    EXPECT_EQ(last_line(r.out), "run completed: score 2 of 2");
}

// Two forms real legacy courses have, which the legacy bot accepted: ids in
// any script (one ending in a Cyrillic letter after a Latin word), and a
// delay with neither wait nor goto, where the run stays for good.
TEST_F(PlayTest, LegacyCyrillicIdsAndADelayThatStaysPlayAsTheLegacyBotDid) {
    const auto course = write("legacy.yaml",
                              "Привет:\n  type: message\n  text: Здравствуйте\n  button: Далее\n"
                              "Lesson_1а:\n  type: message\n  text: Урок\n  button: Дальше\n"
                              "Стоп:\n  type: delay\n  text: Бесплатная часть окончена\n"
                              "Never:\n  type: message\n  text: never shown\n");
    const auto r = play(course, "/press 1\n/press 1\nhello?\n/skip\n");
    EXPECT_EQ(r.exit_code, 3) << r.err << r.out;
    EXPECT_EQ(r.out.find("never shown"), std::string::npos) << r.out;
    EXPECT_NE(r.out.find("Здравствуйте\n[1] Далее\nУрок\n[1] Дальше\nБесплатная часть окончена\n"),
              std::string::npos)
        << r.out;
    EXPECT_EQ(last_line(r.out), "run not completed (waiting at Стоп)");
    EXPECT_NE(r.err.find("legacy.yaml:5: warning: element Lesson_1а: the element id mixes Latin and Cyrillic "
                         "letters: 'а' (U+0430, Cyrillic) at position 9"),
              std::string::npos)
        << r.err;
    EXPECT_NE(r.err.find("legacy.yaml:9: warning: element Стоп: "), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("the run has no pending timer"), std::string::npos) << r.err;
}

TEST_F(PlayTest, AKeptDatabaseHoldsTheRunAfterwards) {
    const auto db = dir / "kept.db";
    const auto first = play(kCourses / "acceptance.yaml", "/press 1\n/vote 2\n", {"--db", db.string()});
    ASSERT_EQ(first.exit_code, 0) << first.err;
    ASSERT_TRUE(fs::exists(db));
    // Played again into the same database: a second version and deployment.
    const auto second = play(kCourses / "acceptance.yaml", "/press 1\n/vote 1\n", {"--db", db.string()});
    ASSERT_EQ(second.exit_code, 0) << second.err;
    EXPECT_EQ(last_line(second.out), "run completed: score 0 of 1");
    const auto runs = run_process(profo_command(config, {"course", "list"}), "",
                                  environment({{"PROFO_STORAGE_DSN", db.string()}}));
    EXPECT_NE(runs.out.find("acceptance"), std::string::npos) << runs.out << runs.err;
}

TEST_F(PlayTest, ACourseWithErrorsIsNotPlayed) {
    const auto course = write("broken.yaml", "Intro:\n  type: no_such_type\n  text: hi\n");
    const auto r = play(course, "");
    EXPECT_EQ(r.exit_code, 1);
    EXPECT_NE(r.err.find("broken.yaml:2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("no_such_type"), std::string::npos) << r.err;
    EXPECT_EQ(r.out, "");
}

TEST_F(PlayTest, HelpDescribesTheMoves) {
    const auto r = run_process(profo_command(config, {"course", "play", "--help"}), "", environment());
    EXPECT_EQ(r.exit_code, 0);
    for (const char* part : {"Usage: profo course play", "/press N", "/vote N[,M...]", "/skip", "/start",
                             "/quit", "run completed: score S of M", "--db PATH", "--account ID"})
        EXPECT_NE(r.out.find(part), std::string::npos) << part;
}

bool has_dialog(const fs::path& course) {
    std::ifstream in(course);
    std::stringstream text;
    text << in.rdbuf();
    return text.str().find("type: dialog") != std::string::npos;
}

// Every legacy course plays to its end with a student who always presses the
// first button, votes the first option, answers "answer" (in the chat and in
// Mini Apps) and skips waits.
// Courses with dialogs need an OpenAI-compatible server: tests/dialog_play.
TEST_F(PlayTest, EveryCourseWithoutDialogsPlaysToTheEnd) {
    std::string moves;
    for (int i = 0; i < 400; ++i) moves += "/press 1\n/vote 1\nanswer\n/webapp answer\n/skip\n";
    int played = 0;
    for (const auto& entry : fs::directory_iterator(kCourses)) {
        if (has_dialog(entry.path())) continue;
        const auto r = play(entry.path(), moves);
        EXPECT_EQ(r.exit_code, 0) << entry.path() << "\n" << r.err << r.out;
        EXPECT_EQ(last_line(r.out).rfind("run completed: score ", 0), 0u) << entry.path() << "\n" << r.out;
        ++played;
    }
    EXPECT_GE(played, 7);
}

}  // namespace
}  // namespace profo::testing
