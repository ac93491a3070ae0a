// The `miniapp` element (legacy spelling `miniapptest`): a question answered
// in a Telegram Mini App. The element sends a web_app button whose URL
// carries a QuestionRef; the app reads the question from GET /miniapp/question
// and posts the answer, signed by Telegram's initData, to POST /miniapp/answer,
// which turns it into a web_app_data event for the run. An app that answers
// with Telegram.WebApp.sendData() reaches the element the same way.
#pragma once

#include "miniapp_api.hpp"

#include <profo/sdk/element.hpp>
#include <profo/sdk/toolkit/element_messages.hpp>

namespace profo::elements::miniapp {

// The fields of a miniapp element, checked once.
struct MiniappSpec final : sdk::ElementSpec {
    MessageStyle style;
    std::string text;
    std::string button;
    std::string app_url;
    std::string question_type;  // multiple_choice | typein
    std::string actual;
    std::string correct_feedback;
    std::string incorrect_feedback;
};

class MiniappElement final : public sdk::ElementPlugin {
public:
    std::string type() const override { return "miniapp"; }
    std::vector<std::string> aliases() const override { return {"miniapptest"}; }
    std::vector<std::string> fields() const override;
    nlohmann::json json_schema() const override;
    std::unique_ptr<sdk::ElementSpec> compile(const nlohmann::json& spec, const sdk::CourseOutline& course,
                                              sdk::ValidationReport& report) const override;
    bool graded() const override { return true; }

    // Registers the Mini App endpoints on the host's HTTP server.
    void start(sdk::ElementHost& host) override;
    sdk::Outcome enter(sdk::ElementContext& ctx) override;
    sdk::Outcome on_event(sdk::ElementContext& ctx, const sdk::Event& event) override;
};

}  // namespace profo::elements::miniapp
