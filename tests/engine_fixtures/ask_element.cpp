// Element type `ask`: a graded free-text question, the shape of the real
// `input` element without its matching rules: sends `text`, waits for an
// answer, records it with score 1 when it equals `answer` (else 0) out of 1,
// says "right" or "wrong" and goes on. Anything but text is ignored.
#include <profo/sdk/element.hpp>

namespace {

struct Fields final : profo::sdk::ElementSpec {
    nlohmann::json json;
};

using profo::sdk::ElementContext;
using profo::sdk::Event;
using profo::sdk::OutAction;
using profo::sdk::Outcome;

class AskElement final : public profo::sdk::ElementPlugin {
public:
    std::string type() const override { return "ask"; }
    std::vector<std::string> fields() const override { return {"text", "answer"}; }
    nlohmann::json json_schema() const override { return {{"type", "object"}}; }
    // A test fixture does what its JSON says, event by event: its spec is the JSON.
    std::unique_ptr<profo::sdk::ElementSpec> compile(const nlohmann::json& fields,
                                                     const profo::sdk::CourseOutline&,
                                                     profo::sdk::ValidationReport&) const override {
        auto spec = std::make_unique<Fields>();
        spec->json = fields;
        return spec;
    }
    bool graded() const override { return true; }

    Outcome enter(ElementContext& ctx) override {
        OutAction a;
        a.text = ctx.spec_as<Fields>().json.value("text", "?");
        ctx.send(a);
        return Outcome::wait();
    }

    Outcome on_event(ElementContext& ctx, const Event& event) override {
        if (event.kind != Event::Kind::text) return Outcome::ignored();
        const bool right = event.text == ctx.spec_as<Fields>().json.value("answer", "");
        ctx.record("user", {{"text", event.text}}, right ? 1.0 : 0.0, 1.0);
        OutAction a;
        a.text = right ? "right" : "wrong";
        ctx.send(a);
        return Outcome::next();
    }
};

}  // namespace

PROFO_PLUGIN(AskElement, element)
