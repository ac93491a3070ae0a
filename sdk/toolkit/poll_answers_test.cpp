#include <profo/sdk/toolkit/poll_answers.hpp>

#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/testing.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

using namespace profo::elements;
using nlohmann::json;
using profo::elements::testing::KeptReport;
using ::testing::ElementsAre;

namespace {

json answers_spec(json answers) {
    return {{"text", "Pick one"}, {"answers", std::move(answers)}};
}

std::vector<std::string> errors_of(const json& spec, CorrectAnswers rule) {
    KeptReport report;
    check_answers(spec, rule, report);
    return report.errors();
}

}  // namespace

TEST(CheckAnswers, CorrectNoIsNotCorrect) {
    // The legacy bot counted the mere presence of `correct` as correct.
    const json spec =
        answers_spec(json::parse(R"([{"text": "A", "correct": "no"}, {"text": "B", "correct": false}])"));
    EXPECT_THAT(errors_of(spec, CorrectAnswers::exactly_one),
                ElementsAre("answers: a quiz needs exactly one answer with 'correct: yes' (none has it)"));
    EXPECT_TRUE(errors_of(spec, CorrectAnswers::none).empty());
}

// The legacy bot took a multi_choice without a correct answer (it scores 0
// whatever is chosen): imported, with a warning.
TEST(CheckAnswers, AMultiChoiceWithoutACorrectAnswerOnlyWarns) {
    KeptReport report;
    check_answers(answers_spec(json::parse(R"([{"text": "A", "correct": "no"}, {"text": "B"}])")),
                  CorrectAnswers::at_least_one, report);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers: no answer has 'correct: yes': every selection scores 0 (feedback_incorrect)"));
}

// `correct: да` is yes and `correct: нет` no, as meant; any other value the
// legacy bot counted correct (the key was there), and so does the import:
// both with a warning saying how it was read.
TEST(CheckAnswers, CorrectValuesThatAreNotYesOrNoAreReadAsTheLegacyBotDid) {
    KeptReport report;
    check_answers(
        answers_spec(json::parse(R"([{"text": "A", "correct": "да"}, {"text": "B", "correct": "нет"},
                                              {"text": "C", "correct": "perhaps"}])")),
        CorrectAnswers::at_least_one, report);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers[0].correct: 'answers[0].correct' is 'да': read as yes (write 'correct: yes')",
                    "answers[1].correct: 'answers[1].correct' is 'нет': read as no (write 'correct: no')",
                    "answers[2].correct: 'answers[2].correct' is 'perhaps', neither yes nor no: counted "
                    "as correct, as the legacy bot did (write 'correct: yes' or 'correct: no')"));
    KeptReport quiz;
    check_answers(
        answers_spec(json::parse(R"([{"text": "A", "correct": "Да"}, {"text": "B", "correct": "НЕТ"}])")),
        CorrectAnswers::exactly_one, quiz);
    EXPECT_TRUE(quiz.errors().empty()) << "exactly one is correct: A";
    EXPECT_EQ(quiz.warnings().size(), 2u);
}

TEST(CheckAnswers, CountLimits) {
    EXPECT_THAT(errors_of(answers_spec(json::parse(R"([{"text": "A", "correct": "yes"}])")),
                          CorrectAnswers::exactly_one),
                ElementsAre("answers: 'answers' must list 2 to 10 answers (has 1)"));
    json eleven = json::array();
    for (int i = 0; i < 11; ++i) eleven.push_back({{"text", "A" + std::to_string(i)}, {"correct", i == 0}});
    EXPECT_THAT(errors_of(answers_spec(eleven), CorrectAnswers::exactly_one),
                ElementsAre("answers: 'answers' must list 2 to 10 answers (has 11)"));
    EXPECT_THAT(errors_of(json{{"text", "Q"}}, CorrectAnswers::none),
                ElementsAre("answers: 'answers' is required"));
    EXPECT_THAT(errors_of(json{{"answers", "A, B"}}, CorrectAnswers::none),
                ElementsAre("answers: 'answers' must be a list of 2 to 10 answers, each with a 'text'"));
}

TEST(CheckAnswers, EachAnswerWithItsPath) {
    const json spec = answers_spec(json{{{"text", "A"}, {"correct", "yes"}},
                                        "B",
                                        {{"text", std::string(101, 'b')}},
                                        {{"correct", "perhaps"}, {"feedback", json::array()}}});
    EXPECT_THAT(errors_of(spec, CorrectAnswers::exactly_one),
                ElementsAre("answers[1]: 'answers[1]' must be a mapping with a 'text'",
                            "answers[2].text: 'answers[2].text' must be at most 100 characters (has 101)",
                            "answers[3].text: 'answers[3].text' is required",
                            "answers[3].feedback: 'answers[3].feedback' must be text, not '[]'"));
}

TEST(CheckAnswers, SeveralCorrectInAQuizOnlyWarns) {
    KeptReport report;
    check_answers(answers_spec(json::parse(R"([{"text": "A", "correct": "yes"}, {"text": "B"},
                                              {"text": "C", "correct": true}])")),
                  CorrectAnswers::exactly_one, report);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers: 2 answers have 'correct: yes' (answers[0], answers[2]); Telegram shows only "
                    "the first as the right one, and choosing any of them scores 1"));
}

TEST(CheckAnswers, QuestionWarnsAboutCorrectAndUnknownFields) {
    KeptReport report;
    check_answers(
        answers_spec(json::parse(R"([{"text": "A", "correct": "yes", "score": 3}, {"text": "B"}])")),
        CorrectAnswers::none, report);
    EXPECT_TRUE(report.errors().empty());
    EXPECT_THAT(
        report.warnings(),
        ElementsAre("answers[0].score: unknown field 'answers[0].score' is kept but not used",
                    "answers[0].correct: 'answers[0].correct' is ignored: a question has no correct answer"));
}

TEST(ReadAnswers, UsesTruthinessAndKeepsFeedback) {
    const auto answers = read_answers(answers_spec(json::parse(
        R"([{"text": "A", "correct": "no", "feedback": "Nope"}, {"text": 1990, "correct": "yes"}])")));
    ASSERT_EQ(answers.size(), 2u);
    EXPECT_FALSE(answers[0].correct);
    EXPECT_EQ(answers[0].feedback, "Nope");
    EXPECT_TRUE(answers[1].correct);
    EXPECT_EQ(answers[1].text, "1990");
    EXPECT_EQ(answers[1].feedback, std::nullopt);
}

TEST(PollAction, QuizMarksFirstCorrectAnswer) {
    const json spec = answers_spec(
        json::parse(R"([{"text": "A"}, {"text": "B", "correct": "yes"}, {"text": "C", "correct": "yes"}])"));
    const auto poll = poll_action(text_field(spec, "text").value_or(""), read_answers(spec), PollKind::quiz);
    EXPECT_EQ(poll.kind, profo::sdk::OutAction::Kind::poll);
    EXPECT_EQ(poll.text, "Pick one");
    EXPECT_EQ(poll.parse_mode, "");
    EXPECT_THAT(poll.poll_options, ElementsAre("A", "B", "C"));
    EXPECT_TRUE(poll.quiz);
    EXPECT_EQ(poll.correct_option, 1);
    EXPECT_FALSE(poll.multiple_answers);
}

TEST(PollAction, RegularAndMultipleChoicePollsHaveNoCorrectOption) {
    const json spec = answers_spec(json::parse(R"([{"text": "A", "correct": "yes"}, {"text": "B"}])"));
    const auto single =
        poll_action(text_field(spec, "text").value_or(""), read_answers(spec), PollKind::single_choice);
    EXPECT_FALSE(single.quiz);
    EXPECT_FALSE(single.multiple_answers);
    EXPECT_EQ(single.correct_option, std::nullopt);
    const auto multiple =
        poll_action(text_field(spec, "text").value_or(""), read_answers(spec), PollKind::multiple_choice);
    EXPECT_TRUE(multiple.multiple_answers);
    EXPECT_EQ(multiple.correct_option, std::nullopt);
}

TEST(ChosenAnswers, SortsDropsRepeatsAndRejectsStrangers) {
    EXPECT_THAT(chosen_answers({2, 0, 2}, 3), ElementsAre(0, 2));
    EXPECT_TRUE(chosen_answers({3}, 3).empty());
    EXPECT_TRUE(chosen_answers({0, -1}, 3).empty());
    EXPECT_TRUE(chosen_answers({}, 3).empty());
}
