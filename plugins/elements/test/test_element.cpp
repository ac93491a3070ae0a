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

std::unique_ptr<sdk::ElementSpec> TestElement::compile(const nlohmann::json& fields,
                                                       const sdk::CourseOutline&,
                                                       sdk::ValidationReport& report) const {
    ErrorCountingReport checked(report);
    if (!check_mapping(fields, checked)) return nullptr;
    check_text(fields, "prefix", Presence::required, checked);
    check_text(fields, "text", Presence::optional, checked);
    if (field_value(fields, "button") != nullptr) check_text(fields, "button", Presence::required, checked);
    check_common_fields(fields, CommonFields::formatting, checked);

    if (const nlohmann::json* score = field_value(fields, "score")) {
        if (!score->is_object()) {
            checked.error("score",
                          "'score' must map percentages of mistakes to messages, not " + shown(*score));
        } else {
            for (const auto& [key, message] : score->items()) {
                const std::string path = "score." + key;
                if (!band_key_value(key)) {
                    checked.error(path, "'score' key " + shown(key) +
                                            " must be a number (the largest percentage of "
                                            "mistakes the band covers)");
                }
                check_text(*score, key, Presence::required, checked, "score.");
            }
            const auto bands = read_bands(fields);
            if (!bands.empty() && bands.back().max_mistakes_percent < 100) {
                checked.warning("score", "no 'score' band covers more than " +
                                             format_score(bands.back().max_mistakes_percent) +
                                             "% mistakes: such results get the text alone");
            }
        }
    }
    if (checked.has_errors()) return nullptr;

    auto spec = std::make_unique<TestSpec>();
    spec->style = message_style(fields);
    spec->prefix = text_field(fields, "prefix").value_or("");
    spec->text = text_field(fields, "text").value_or("");
    spec->bands = read_bands(fields);
    spec->button = text_field(fields, "button");
    return spec;
}

sdk::Outcome TestElement::enter(sdk::ElementContext& ctx) {
    const auto& spec = ctx.spec_as<TestSpec>();
    double score = 0;
    double maxscore = 0;
    for (const auto& answer : latest_graded_answers(ctx.history(), spec.prefix, ctx.course_order())) {
        score += answer.score;
        maxscore += answer.maxscore;
    }
    const double mistakes = mistakes_percent(score, maxscore);
    const ScoreBand* band = band_for(spec.bands, mistakes);

    std::string text = with_scores(spec.text, score, maxscore, spec.style.parse_mode);
    if (band != nullptr) {
        // Block-scalar texts end with a newline; the band still follows one blank line after the text.
        while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
        text += (text.empty() ? "" : "\n\n") + band->message;
    }
    ctx.record("bot", {{"score", score}, {"maxscore", maxscore}, {"mistakes_percent", mistakes}}, score,
               maxscore);

    const std::vector<std::string> buttons =
        spec.button ? std::vector<std::string>{*spec.button} : std::vector<std::string>{};
    if (!text.empty()) {
        ctx.send(text_action(spec.style, text, buttons));
    } else if (spec.button) {
        ctx.send(text_action(spec.style,
                             with_scores("{score} / {maxscore}", score, maxscore, spec.style.parse_mode),
                             buttons));
    }
    return spec.button ? sdk::Outcome::wait() : sdk::Outcome::next();
}

sdk::Outcome TestElement::on_event(sdk::ElementContext& ctx, const sdk::Event& event) {
    const auto& spec = ctx.spec_as<TestSpec>();
    if (!spec.button || event.kind != sdk::Event::Kind::button || event.index != 0)
        return sdk::Outcome::ignored();
    record_press(ctx, event.index, *spec.button);
    return sdk::Outcome::next();
}

}  // namespace profo::elements

PROFO_PLUGIN(profo::elements::TestElement, element)
