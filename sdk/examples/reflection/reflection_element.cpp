// `reflection`: asks an open question, insists on a minimum length, and
// answers with a reply that quotes the student. The walkthrough in
// sdk/README.md builds this file step by step.
#include "reflection_template.hpp"

#include <profo/sdk/course_values.hpp>
#include <profo/sdk/element.hpp>

namespace {

using profo::sdk::ElementContext;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;

class ReflectionElement final : public profo::sdk::ElementPlugin {
public:
    std::string type() const override { return "reflection"; }
    std::vector<std::string> fields() const override { return {"text", "reply", "min_length"}; }

    nlohmann::json json_schema() const override {
        return {
            {"type", "object"},
            {"description", "Asks an open question and quotes the answer back."},
            {"required", {"type", "text"}},
            {"properties",
             {{"type", {{"const", "reflection"}}},
              {"text", {{"type", "string"}, {"description", "The question."}}},
              {"reply", {{"type", "string"}, {"description", "Sent after the answer; {answer} quotes it."}}},
              {"min_length",
               {{"type", "integer"}, {"minimum", 1}, {"description", "Shortest acceptable answer."}}}}}};
    }

    void validate(const nlohmann::json& spec, const profo::sdk::CourseOutline&,
                  profo::sdk::ValidationReport& report) const override {
        if (!spec.is_object()) return report.error("", "must be a mapping of fields");
        if (!spec.contains("text") || !spec["text"].is_string() || spec["text"].get<std::string>().empty())
            report.error("text", "is required: the question to ask");
        if (spec.contains("reply") && !spec["reply"].is_string()) report.error("reply", "must be text");
        if (spec.contains("min_length") &&
            (!spec["min_length"].is_number_integer() || spec["min_length"].get<long>() < 1))
            report.error("min_length", "must be a whole number of at least 1");
    }

    Outcome enter(ElementContext& ctx) override {
        OutAction question;
        question.text = ctx.spec()["text"].get<std::string>();
        ctx.send(question);
        return Outcome::wait();
    }

    Outcome on_event(ElementContext& ctx, const Event& event) override {
        if (event.kind != Event::Kind::text) return Outcome::ignored();
        const auto& spec = ctx.spec();
        const long min_length = spec.value("min_length", 1L);
        if (profo::examples::count_characters(event.text) < min_length) {
            OutAction nudge;
            nudge.text =
                "Please write a little more (at least " + std::to_string(min_length) + " characters).";
            ctx.send(nudge);
            return Outcome::wait();  // keep waiting for a longer answer
        }
        ctx.record("user", {{"text", event.text}});
        if (spec.contains("reply")) {
            OutAction reply;
            reply.text = profo::examples::fill_reply(spec["reply"].get<std::string>(), event.text);
            ctx.send(reply);
        }
        return Outcome::next();
    }
};

}  // namespace

PROFO_PLUGIN(ReflectionElement, element)
