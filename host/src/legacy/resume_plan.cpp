#include "legacy/resume_plan.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace profo::host::legacy {

namespace {

nlohmann::json body_of(const sdk::CourseElement& element) {
    auto body = nlohmann::json::parse(element.body_json, nullptr, false);
    return body.is_object() ? body : nlohmann::json::object();
}

bool present(const nlohmann::json& body, const char* field) {
    return body.contains(field) && !body[field].is_null();
}

const sdk::CourseElement* find(const std::vector<sdk::CourseElement>& elements, const std::string& id) {
    const auto it =
        std::find_if(elements.begin(), elements.end(), [&](const auto& e) { return e.element_id == id; });
    return it == elements.end() ? nullptr : &*it;
}

// "Next" skips sections, as the engine's does.
const sdk::CourseElement* next_after(const std::vector<sdk::CourseElement>& elements,
                                     const sdk::CourseElement* element) {
    auto it = element == nullptr ? elements.begin()
                                 : std::find_if(elements.begin(), elements.end(), [&](const auto& e) {
                                       return &e == element;
                                   }) + 1;
    for (; it != elements.end(); ++it)
        if (it->type != "section") return &*it;
    return nullptr;
}

ResumePlan enter_now(const std::string& id) {
    ResumePlan plan;
    plan.kind = ResumePlan::Kind::enter;
    plan.cursor = plan.enter = id;
    return plan;
}

ResumePlan completed(const std::string& cursor) {
    ResumePlan plan;
    plan.kind = ResumePlan::Kind::completed;
    plan.cursor = cursor;
    return plan;
}

}  // namespace

bool waits_for_answer(const sdk::CourseElement& element) {
    static const std::set<std::string> kAlways = {"input",  "quiz",    "question",    "multi_choice",
                                                  "dialog", "miniapp", "miniapptest", "jump"};
    if (kAlways.count(element.type) != 0) return true;
    if (element.type == "message" || element.type == "test" || element.type == "revision") {
        const auto body = body_of(element);
        return present(body, "button") || present(body, "options");
    }
    return false;
}

ResumePlan plan_resume(const std::vector<sdk::CourseElement>& elements, const std::string& position,
                       const LegacyWaiting* waiting) {
    const auto* at = position.empty() ? nullptr : find(elements, position);
    if (!position.empty() && at == nullptr) {
        ResumePlan plan;
        plan.problem = "its position '" + position + "' is not in the course";
        return plan;
    }
    if (waiting != nullptr) {
        if (find(elements, waiting->element_id) == nullptr) {
            ResumePlan plan;
            plan.problem =
                "its pending delay continues at '" + waiting->element_id + "', which is not in the course";
            return plan;
        }
        ResumePlan plan;
        plan.kind = ResumePlan::Kind::enter;
        plan.cursor = at != nullptr ? at->element_id : waiting->element_id;
        plan.enter = waiting->element_id;
        plan.due = waiting->due_at;
        return plan;
    }
    if (at == nullptr) {  // no history: it never got its first element
        const auto* first = next_after(elements, nullptr);
        return first == nullptr ? completed({}) : enter_now(first->element_id);
    }
    if (at->type == "end") return completed(at->element_id);
    if (waits_for_answer(*at)) return enter_now(at->element_id);
    if (at->type == "delay") {
        const auto body = body_of(*at);
        // Its timer fired (no pending row) yet nothing came after: go on now.
        if (present(body, "goto") && body["goto"].is_string()) {
            const auto target = body["goto"].get<std::string>();
            if (find(elements, target) != nullptr) {
                auto plan = enter_now(target);
                plan.cursor = at->element_id;
                return plan;
            }
        }
        ResumePlan plan;
        plan.kind = ResumePlan::Kind::stay;
        plan.cursor = at->element_id;
        return plan;
    }
    const auto* next = next_after(elements, at);
    if (next == nullptr) return completed(at->element_id);
    auto plan = enter_now(next->element_id);
    plan.cursor = at->element_id;
    return plan;
}

}  // namespace profo::host::legacy
