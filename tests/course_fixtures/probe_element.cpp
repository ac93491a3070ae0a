// Element type `probe` (alias `probe_alias`): its `report` field lists the
// validation issues it must raise ({field, message, warning}); `explode: true`
// makes compile() throw.
#include <profo/sdk/element.hpp>

#include <stdexcept>

namespace {

class ProbeElement final : public profo::sdk::ElementPlugin {
public:
    std::string type() const override { return "probe"; }
    std::vector<std::string> aliases() const override { return {"probe_alias"}; }
    std::vector<std::string> fields() const override {
        return {"text", "items", "report", "explode", "peer"};
    }

    nlohmann::json json_schema() const override {
        return {{"$schema", "https://json-schema.org/draft/2020-12/schema"},
                {"type", "object"},
                {"required", {"type"}},
                {"properties",
                 {{"type", {{"const", "probe"}}},
                  {"text", {{"type", "string"}}},
                  {"items", {{"type", "array"}, {"items", {{"$ref", "#/$defs/item"}}}}}}},
                {"$defs", {{"item", {{"type", "object"}}}}}};
    }

    std::unique_ptr<profo::sdk::ElementSpec> compile(const nlohmann::json& spec,
                                                     const profo::sdk::CourseOutline& course,
                                                     profo::sdk::ValidationReport& report) const override {
        bool failed = false;
        if (spec.value("explode", false)) throw std::runtime_error("probe exploded");
        if (spec.contains("report"))
            for (const auto& r : spec["report"]) {
                if (r.value("warning", false)) {
                    report.warning(r.value("field", ""), r.value("message", ""));
                } else {
                    report.error(r.value("field", ""), r.value("message", ""));
                    failed = true;
                }
            }
        // The outline resolves aliases to the canonical type.
        if (spec.contains("peer")) {
            const auto peer = spec["peer"].get<std::string>();
            report.warning("peer", "peer " + peer + " has type '" + course.type_of(peer) + "'");
        }
        if (failed) return nullptr;
        return std::make_unique<profo::sdk::ElementSpec>();
    }

    profo::sdk::Outcome enter(profo::sdk::ElementContext&) override { return profo::sdk::Outcome::next(); }
};

}  // namespace

PROFO_PLUGIN(ProbeElement, element)
