#include "reflection_element.hpp"

#include "reflection_template.hpp"

#include <profo/sdk/plugin.hpp>
#include <profo/sdk/text.hpp>

namespace profo::examples {

using sdk::ElementContext;
using sdk::Event;
using sdk::OutAction;
using sdk::Outcome;

nlohmann::json ReflectionElement::json_schema() const {
    return {{"type", "object"},
            {"description", "Asks an open question and quotes the answer back."},
            {"required", {"type", "text"}},
            {"properties",
             {{"type", {{"const", "reflection"}}},
              {"text", {{"type", "string"}, {"description", "The question."}}},
              {"reply", {{"type", "string"}, {"description", "Sent after the answer; {answer} quotes it."}}},
              {"min_length",
               {{"type", "integer"}, {"minimum", 1}, {"description", "Shortest acceptable answer."}}}}}};
}

std::unique_ptr<sdk::ElementSpec> ReflectionElement::compile(const nlohmann::json& fields,
                                                             const sdk::CourseOutline& /*course*/,
                                                             sdk::ValidationReport& report) const {
    if (!fields.is_object()) {
        report.error("", "must be a mapping of fields");
        return nullptr;
    }
    bool valid = true;
    const auto problem = [&](std::string field, std::string message) {
        report.error(std::move(field), std::move(message));
        valid = false;
    };
    const auto text = fields.find("text");
    if (text == fields.end() || !text->is_string() || text->get_ref<const std::string&>().empty())
        problem("text", "is required: the question to ask");
    const auto reply = fields.find("reply");
    if (reply != fields.end() && !reply->is_string()) problem("reply", "must be text");
    const auto min_length = fields.find("min_length");
    if (min_length != fields.end() && (!min_length->is_number_integer() || min_length->get<long>() < 1))
        problem("min_length", "must be a whole number of at least 1");
    if (!valid) return nullptr;

    // Everything is checked: read it once, so that runs never parse JSON.
    auto spec = std::make_unique<ReflectionSpec>();
    spec->question = text->get<std::string>();
    if (reply != fields.end()) spec->reply = reply->get<std::string>();
    if (min_length != fields.end()) spec->min_length = min_length->get<long>();
    return spec;
}

Outcome ReflectionElement::enter(ElementContext& ctx) {
    OutAction question;
    question.text = ctx.spec_as<ReflectionSpec>().question;
    ctx.send(question);
    return Outcome::wait();
}

Outcome ReflectionElement::on_event(ElementContext& ctx, const Event& event) {
    if (event.kind != Event::Kind::text) return Outcome::ignored();
    const auto& spec = ctx.spec_as<ReflectionSpec>();
    if (sdk::telegram_length(event.text) < static_cast<std::size_t>(spec.min_length)) {
        OutAction nudge;
        nudge.text =
            "Please write a little more (at least " + std::to_string(spec.min_length) + " characters).";
        ctx.send(nudge);
        return Outcome::wait();  // keep waiting for a longer answer
    }
    ctx.record("user", {{"text", event.text}});
    if (spec.reply) {
        OutAction reply;
        reply.text = fill_reply(*spec.reply, event.text);
        ctx.send(reply);
    }
    return Outcome::next();
}

}  // namespace profo::examples

PROFO_PLUGIN(profo::examples::ReflectionElement, element)
