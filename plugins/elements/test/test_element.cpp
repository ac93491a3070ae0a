#include "test_element.hpp"

#include <profo/sdk/toolkit/element_messages.hpp>
#include <profo/sdk/toolkit/element_schema.hpp>
#include <profo/sdk/toolkit/field_checks.hpp>
#include <profo/sdk/toolkit/graded_answers.hpp>
#include "score_bands.hpp"

#include <profo/sdk/plugin.hpp>

namespace profo::elements {

std::vector<std::string> TestElement::fields() const {
    return schema_fields(json_schema());
}

nlohmann::json TestElement::json_schema() const {
    return element_schema(
        "test",
        "Sums the latest graded answers of the elements whose id starts with `prefix`, sends `text` with "
        "{score} and {maxscore} filled in and the message of the band that fits the share of mistakes, and "
        "records the result.",
        {{"prefix", text_schema("Element id prefix of the answers to sum.")},
         {"text", text_schema("The result; {score} and {maxscore} are replaced.")},
         {"score",
          {{"type", "object"},
           {"propertyNames", {{"pattern", "^ *-?[0-9]+(\\.[0-9]+)? *$"}}},
           {"additionalProperties", text_schema("The band's message.")},
           {"description",
            "Bands: the largest percentage of mistakes a band covers -> its message. The band with the "
            "smallest key not below the student's mistakes is appended to the text."}}},
         {"button", text_schema("Label of a button the student presses to continue; without it the course "
                                "continues at once.")}},
        {"prefix"}, CommonFields::formatting);
}

void TestElement::validate(const nlohmann::json& spec, const sdk::CourseOutline& course,
                           sdk::ValidationReport& report) const {
    if (!check_mapping(spec, report)) return;
    check_text(spec, "prefix", Presence::required, report);
    check_text(spec, "text", Presence::optional, report);
    if (field_value(spec, "button") != nullptr) check_text(spec, "button", Presence::required, report);
    check_common_fields(spec, CommonFields::formatting, report);

    const nlohmann::json* score = field_value(spec, "score");
    if (score == nullptr) return;
    if (!score->is_object()) {
        report.error("score", "'score' must map percentages of mistakes to messages, not " + shown(*score));
        return;
    }
    for (const auto& [key, message] : score->items()) {
        const std::string path = "score." + key;
        if (!band_key_value(key)) {
            report.error(path, "'score' key " + shown(key) +
                                   " must be a number (the largest percentage of "
                                   "mistakes the band covers)");
        }
        check_text(*score, key, Presence::required, report, "score.");
    }
    const auto bands = read_bands(spec);
    if (!bands.empty() && bands.back().max_mistakes_percent < 100) {
        report.warning("score", "no 'score' band covers more than " +
                                    format_score(bands.back().max_mistakes_percent) +
                                    "% mistakes: such results get the text alone");
    }
}

sdk::Outcome TestElement::enter(sdk::ElementContext& ctx) {
    const nlohmann::json& spec = ctx.spec();
    double score = 0;
    double maxscore = 0;
    for (const auto& answer :
         latest_graded_answers(ctx.history(), text_field(spec, "prefix").value_or(""), ctx.course_order())) {
        score += answer.score;
        maxscore += answer.maxscore;
    }
    const double mistakes = mistakes_percent(score, maxscore);
    const auto bands = read_bands(spec);
    const ScoreBand* band = band_for(bands, mistakes);

    std::string text = with_scores(text_field(spec, "text").value_or(""), score, maxscore);
    if (band != nullptr) {
        // Block-scalar texts end with a newline; the band still follows one blank line after the text.
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        text += (text.empty() ? "" : "\n\n") + band->message;
    }
    ctx.record("bot", {{"score", score}, {"maxscore", maxscore}, {"mistakes_percent", mistakes}}, score,
               maxscore);

    auto button = text_field(spec, "button");
    if (!text.empty()) {
        ctx.send(
            text_action(spec, text, button ? std::vector<std::string>{*button} : std::vector<std::string>{}));
    } else if (button) {
        ctx.send(text_action(spec, with_scores("{score} / {maxscore}", score, maxscore), {*button}));
    }
    return button ? sdk::Outcome::wait() : sdk::Outcome::next();
}

sdk::Outcome TestElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    auto button = text_field(ctx.spec(), "button");
    if (!button || event.kind != sdk::Event::Kind::button || event.index != 0) return sdk::Outcome::ignored();
    record_press(ctx, event.index, *button);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::TestElement, element)
