// An element module that breaks the contract in every way the checker knows,
// so the checker's own test can see it notice.
#include <profo/sdk/element.hpp>

#include <stdexcept>

namespace {

class BrokenElement final : public profo::sdk::ElementPlugin {
public:
    std::string type() const override { return "Broken Type"; }
    std::vector<std::string> fields() const override { return {"text", "ghost"}; }
    nlohmann::json json_schema() const override {
        return {{"type", "object"},
                {"properties", {{"type", {{"const", "Broken Type"}}}, {"text", {{"type", "string"}}}}},
                {"required", {"text"}}};
    }
    std::unique_ptr<profo::sdk::ElementSpec> compile(const nlohmann::json& fields,
                                                     const profo::sdk::CourseOutline&,
                                                     profo::sdk::ValidationReport&) const override {
        if (fields.is_string()) throw std::runtime_error("strings are too much for me");
        return nullptr;  // refuses everything, and never says why
    }
    profo::sdk::Outcome enter(profo::sdk::ElementContext&) override { return profo::sdk::Outcome::next(); }
};

}  // namespace

PROFO_PLUGIN(BrokenElement, element)
