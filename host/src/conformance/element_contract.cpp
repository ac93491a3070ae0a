#include "conformance/element_contract.hpp"

#include <profo/sdk/element.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <set>

namespace profo::host {

namespace {

using nlohmann::json;

class KeptIssues final : public sdk::ValidationReport {
public:
    void add(sdk::ValidationIssue issue) override { issues.push_back(std::move(issue)); }
    std::size_t errors() const {
        return static_cast<std::size_t>(std::count_if(issues.begin(), issues.end(), [](const auto& issue) {
            return issue.severity == sdk::ValidationIssue::Severity::error;
        }));
    }
    std::vector<sdk::ValidationIssue> issues;
};

// A course of a few elements, so reference checks have something to miss and hit.
class SmallCourse final : public sdk::CourseOutline {
public:
    bool has_element(const std::string& id) const override {
        return std::find(ids_.begin(), ids_.end(), id) != ids_.end();
    }
    const std::vector<std::string>& element_ids() const override { return ids_; }
    std::string type_of(const std::string& id) const override { return has_element(id) ? "message" : ""; }

private:
    std::vector<std::string> ids_{"Intro", "Quiz_1", "Final"};
};

bool is_lower_word(const std::string& text) {
    return !text.empty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

// Values of every JSON type plus some that look almost right.
std::vector<json> hostile_values() {
    return {nullptr,
            true,
            -1,
            1e308,
            "",
            "x",
            std::string(1 << 20, 'x'),
            "1d:99h",
            "\xFF\xFE broken utf-8",
            json::array({"\xFF"}),
            json{{"text", json::array({"\xC3"})}},
            json::array(),
            json::array({nullptr, 1, "x", json::object()}),
            json::array({json::object(), json{{"text", json::array()}}, json{{"goto", 5}, {"wait", "soon"}}}),
            json::object(),
            json{{"text", nullptr}, {"correct", "perhaps"}},
            json{{"1e999", json::object()}, {"-", json::array()}, {"", nullptr}}};
}

std::string shown(const json& spec) {
    return spec.dump(-1, ' ', false, json::error_handler_t::replace).substr(0, 120);
}

class Checker {
public:
    Checker(LoadedPlugin& module, std::vector<std::string>& out) : module_(module), out_(out) {}

    void run() {
        if (module_.metadata().kind != sdk::PluginKind::element) {
            fail("is a " + std::string(sdk::to_string(module_.metadata().kind)) + " plugin, not an element");
            return;
        }
        element_ = &module_.as<sdk::ElementPlugin>();
        identity();
        schema_and_fields();
        compile_contract();
    }

private:
    void fail(const std::string& what) { out_.push_back(what); }

    void identity() {
        const std::string type = element_->type();
        if (module_.metadata().id != type)
            fail("type() is '" + type + "' but the module declares id '" + module_.metadata().id + "'");
        const std::string file = module_.path().filename().string();
        if (file != "profo_element_" + module_.metadata().id + ".so")
            fail("the file is named " + file + ", not profo_element_" + module_.metadata().id + ".so");
        if (!is_lower_word(type)) fail("type '" + type + "' is not a lower-case word ([a-z_]+)");
        std::set<std::string> seen{type};
        for (const auto& alias : element_->aliases()) {
            if (!is_lower_word(alias)) fail("alias '" + alias + "' is not a lower-case word ([a-z_]+)");
            if (!seen.insert(alias).second) fail("alias '" + alias + "' is repeated or equal to the type");
        }
    }

    void schema_and_fields() {
        const json schema = element_->json_schema();
        if (!schema.is_object() || schema.value("type", "") != "object" || !schema.contains("properties") ||
            !schema["properties"].is_object()) {
            fail("json_schema() is not an object schema with properties");
            return;
        }
        if (schema.contains("$schema") && schema["$schema"] != "https://json-schema.org/draft/2020-12/schema")
            fail("json_schema() names another draft than 2020-12");
        const json& type = schema["properties"].value("type", json::object());
        const bool names_type =
            (type.contains("const") && type["const"] == element_->type()) ||
            (type.contains("enum") && type["enum"].is_array() &&
             std::find(type["enum"].begin(), type["enum"].end(), element_->type()) != type["enum"].end());
        if (!names_type) fail("the schema's 'type' property does not name the type: " + type.dump());
        std::set<std::string> properties;
        for (const auto& [name, property] : schema["properties"].items()) {
            if (name == "type") continue;
            properties.insert(name);
            if (!property.is_object() || !property.contains("description"))
                fail("schema property '" + name + "' has no description (editors show it to authors)");
        }
        if (schema.contains("required")) {
            if (!schema["required"].is_array()) {
                fail("the schema's 'required' is not a list");
            } else {
                for (const auto& name : schema["required"])
                    if (!name.is_string() || !schema["properties"].contains(name.get<std::string>()))
                        fail("the schema requires " + name.dump() + ", which it does not describe");
            }
        }
        const auto fields = element_->fields();
        const std::set<std::string> listed(fields.begin(), fields.end());
        if (listed.size() != fields.size()) fail("fields() lists a name twice");
        for (const auto& name : properties)
            if (!listed.count(name)) fail("'" + name + "' is in the schema but not in fields()");
        for (const auto& name : listed)
            if (!properties.count(name) && name != "type")
                fail("'" + name + "' is in fields() but not in the schema");
    }

    // compile() never throws, reports every problem with a message, and
    // returns a spec exactly when it reported no error.
    void compile_checked(const json& spec) {
        KeptIssues report;
        SmallCourse course;
        std::unique_ptr<sdk::ElementSpec> compiled;
        try {
            compiled = element_->compile(spec, course, report);
        } catch (const std::exception& e) {
            fail("compile() threw for " + shown(spec) + ": " + e.what());
            return;
        } catch (...) {
            fail("compile() threw a non-standard exception for " + shown(spec));
            return;
        }
        for (const auto& issue : report.issues)
            if (issue.message.empty())
                fail("compile() reported an issue without a message for " + shown(spec));
        if (compiled && report.errors() > 0)
            fail("compile() returned a spec despite errors for " + shown(spec));
        if (!compiled && report.errors() == 0)
            fail("compile() returned no spec without an error for " + shown(spec));
    }

    void compile_contract() {
        const std::size_t before = out_.size();
        for (const json& spec : hostile_values()) compile_checked(spec);
        for (const json& value : hostile_values()) {
            json all_fields = {{"type", element_->type()}};
            for (const auto& field : element_->fields()) {
                compile_checked(json{{"type", element_->type()}, {field, value}});
                all_fields[field] = value;
            }
            compile_checked(all_fields);
            compile_checked(json{{"type", value}, {"text", value}});
            // One report per rule is enough to act on.
            if (out_.size() > before + 20) return;
        }

        const json schema = element_->json_schema();
        std::size_t required = 0;
        for (const auto& name : schema.value("required", json::array()))
            if (name != "type") ++required;
        SmallCourse course;
        for (const json& spec : {json::object(), json{{"type", element_->type()}}}) {
            KeptIssues report;
            try {
                (void)element_->compile(spec, course, report);
            } catch (...) {
                continue;  // reported above
            }
            if (required > 0 && report.errors() == 0)
                fail("an empty element " + spec.dump() + " passes although the schema requires fields");
            if (required == 0 && report.errors() > 0)
                fail("an empty element " + spec.dump() + " fails although nothing is required");
        }
        KeptIssues not_a_mapping;
        try {
            (void)element_->compile(json::array(), course, not_a_mapping);
        } catch (...) {
            return;
        }
        if (not_a_mapping.errors() == 0) fail("a list passes as an element");
    }

    LoadedPlugin& module_;
    std::vector<std::string>& out_;
    sdk::ElementPlugin* element_ = nullptr;
};

}  // namespace

std::vector<std::string> element_contract_violations(LoadedPlugin& module) {
    std::vector<std::string> out;
    Checker(module, out).run();
    return out;
}

}  // namespace profo::host
