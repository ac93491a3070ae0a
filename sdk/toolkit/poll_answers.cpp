#include <profo/sdk/toolkit/poll_answers.hpp>

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/course_values.hpp>

#include <algorithm>
#include <optional>

namespace profo::elements {

namespace {

std::string answer_path(std::size_t i) {
    return "answers[" + std::to_string(i) + "]";
}

// `correct:` with nothing after it. The legacy bot counted the key itself
// as correct, and courses were written that way; that is also what such an
// author means (unlike `correct: no`, which the legacy bot got wrong too).
bool empty_correct(const nlohmann::json& answer) {
    const auto it = answer.find("correct");
    return it != answer.end() && it->is_null();
}

// Russian yes and no, as Russian courses write them: read as meant.
std::optional<bool> russian_flag(const nlohmann::json& value) {
    if (!value.is_string()) return std::nullopt;
    const auto& text = value.get_ref<const std::string&>();
    for (const char* yes : {"да", "Да", "ДА"})
        if (text == yes) return true;
    for (const char* no : {"нет", "Нет", "НЕТ"})
        if (text == no) return false;
    return std::nullopt;
}

bool is_correct(const nlohmann::json& answer) {
    if (empty_correct(answer)) return true;
    const nlohmann::json* correct = field_value(answer, "correct");
    if (correct == nullptr) return false;
    if (const auto flag = sdk::truthy(*correct)) return *flag;
    if (const auto flag = russian_flag(*correct)) return *flag;
    // Anything else: the legacy bot saw the key and counted the answer correct.
    return true;
}

}  // namespace

void check_answers(const nlohmann::json& spec, CorrectAnswers rule, sdk::ValidationReport& report) {
    const nlohmann::json* answers = field_value(spec, "answers");
    if (answers == nullptr) {
        report.error("answers", "'answers' is required");
        return;
    }
    if (!answers->is_array()) {
        report.error("answers", "'answers' must be a list of 2 to 10 answers, each with a 'text'");
        return;
    }
    if (answers->size() < kMinAnswers || answers->size() > kMaxAnswers) {
        report.error("answers",
                     "'answers' must list 2 to 10 answers (has " + std::to_string(answers->size()) + ")");
    }
    std::vector<std::string> correct;
    for (std::size_t i = 0; i < answers->size(); ++i) {
        const nlohmann::json& answer = (*answers)[i];
        const std::string path = answer_path(i);
        if (!answer.is_object()) {
            report.error(path, field_name(path) + " must be a mapping with a 'text'");
            continue;
        }
        const std::string prefix = path + ".";
        check_text(answer, "text", Presence::required, report, prefix, kMaxAnswerCharacters);
        check_text(answer, "feedback", Presence::optional, report, prefix);
        if (empty_correct(answer)) {
            if (rule != CorrectAnswers::none)
                report.warning(prefix + "correct",
                               field_name(prefix + "correct") +
                                   " has no value: counted as correct, as the legacy bot did (write "
                                   "'correct: yes')");
            correct.push_back(path);
        } else if (const nlohmann::json* value = field_value(answer, "correct")) {
            const std::string at = prefix + "correct";
            if (!sdk::truthy(*value).has_value() && rule != CorrectAnswers::none) {
                if (const auto flag = russian_flag(*value))
                    report.warning(at, field_name(at) + " is " + shown(*value) + ": read as " +
                                           (*flag ? "yes" : "no") +
                                           " (write 'correct: " + (*flag ? "yes" : "no") + "')");
                else
                    report.warning(at, field_name(at) + " is " + shown(*value) +
                                           ", neither yes nor no: counted as correct, as the legacy bot did "
                                           "(write 'correct: yes' or 'correct: no')");
            }
            if (is_correct(answer)) correct.push_back(path);
        }
        warn_unknown_fields(answer, {"text", "correct", "feedback"}, prefix, report);
    }

    switch (rule) {
        case CorrectAnswers::none:
            for (const auto& path : correct)
                report.warning(path + ".correct", field_name(path + ".correct") +
                                                      " is ignored: a question has no correct answer");
            break;
        case CorrectAnswers::exactly_one:
            if (correct.empty()) {
                report.error("answers", "a quiz needs exactly one answer with 'correct: yes' (none has it)");
            } else if (correct.size() > 1) {
                // ielts2.yaml has such quizzes and must keep importing: the
                // first one becomes Telegram's correct option, and choosing
                // any of them scores 1.
                std::string list;
                for (const auto& path : correct) list += (list.empty() ? "" : ", ") + path;
                report.warning("answers",
                               std::to_string(correct.size()) + " answers have 'correct: yes' (" + list +
                                   "); Telegram shows only the first as the right one, and choosing "
                                   "any of them scores 1");
            }
            break;
        case CorrectAnswers::at_least_one:
            // The legacy bot took such a multi_choice; it can only score 0.
            if (correct.empty())
                report.warning("answers",
                               "no answer has 'correct: yes': every selection scores 0 (feedback_incorrect)");
            break;
    }
}

nlohmann::json answers_schema(CorrectAnswers rule) {
    nlohmann::json properties = {
        {"text", text_schema("The option as the poll shows it, at most 100 characters.")},
        {"feedback", text_schema("Sent when the student chooses this option.")}};
    std::string description = "The poll options, 2 to 10.";
    if (rule == CorrectAnswers::exactly_one) {
        properties["correct"] = flag_schema("Whether this is the right answer; exactly one answer has it");
        description += " Exactly one is correct.";
    } else if (rule == CorrectAnswers::at_least_one) {
        properties["correct"] = flag_schema("Whether this answer belongs to the right selection");
        description += " At least one is correct.";
    }
    return {{"type", "array"},
            {"minItems", kMinAnswers},
            {"maxItems", kMaxAnswers},
            {"description", description},
            {"items", {{"type", "object"}, {"required", {"text"}}, {"properties", properties}}}};
}

std::vector<PollAnswer> read_answers(const nlohmann::json& spec) {
    std::vector<PollAnswer> out;
    const nlohmann::json* answers = field_value(spec, "answers");
    if (answers == nullptr || !answers->is_array()) return out;
    for (const auto& answer : *answers) {
        PollAnswer read;
        read.text = text_field(answer, "text").value_or("");
        read.correct = is_correct(answer);
        read.feedback = text_field(answer, "feedback");
        out.push_back(std::move(read));
    }
    return out;
}

sdk::OutAction poll_action(std::string question, const std::vector<PollAnswer>& answers, PollKind kind) {
    sdk::OutAction poll;
    poll.kind = sdk::OutAction::Kind::poll;
    // No parse_mode: Telegram does not format poll questions (a stray `_` in
    // legacy Markdown would only make the poll fail).
    poll.text = std::move(question);
    for (const auto& answer : answers) poll.poll_options.push_back(answer.text);
    poll.quiz = kind == PollKind::quiz;
    poll.multiple_answers = kind == PollKind::multiple_choice;
    if (poll.quiz) {
        auto first =
            std::find_if(answers.begin(), answers.end(), [](const PollAnswer& a) { return a.correct; });
        if (first != answers.end()) poll.correct_option = static_cast<int>(first - answers.begin());
    }
    return poll;
}

void send_poll(sdk::ElementContext& ctx, const MessageStyle& style, const std::string& question,
               const std::vector<PollAnswer>& answers, PollKind kind) {
    send_media(ctx, style);
    ctx.send(poll_action(question, answers, kind));
}

std::vector<int> chosen_answers(const std::vector<int>& options, std::size_t answer_count) {
    std::vector<int> chosen;
    for (int option : options) {
        if (option < 0 || static_cast<std::size_t>(option) >= answer_count) return {};
        chosen.push_back(option);
    }
    std::sort(chosen.begin(), chosen.end());
    chosen.erase(std::unique(chosen.begin(), chosen.end()), chosen.end());
    return chosen;
}

}  // namespace profo::elements
