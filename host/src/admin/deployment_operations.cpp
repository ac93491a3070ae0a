// Deployments: a course version on a bot, in test or prod, and what is done
// with them (docs/deployments.md). Keys given here are sealed for the row.
#include "admin/admin_catalogue.hpp"
#include "admin/record_json.hpp"

#include <profo/sdk/text.hpp>

#include <limits>

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

// The flags and overrides create and update share.
std::vector<ArgumentSpec> change_specs() {
    return {
        {"alias", Type::string, "the legacy /start alias"},
        {"restricted", Type::boolean, "only listed participants and personal links"},
        {"allow_restart", Type::boolean, "starting again restarts rather than resumes"},
        {"collect_email", Type::boolean, "ask for an email before the first element"},
        {"texts", Type::object,
         "system texts by key (each one message: at most 4096 characters); an empty text goes back to the "
         "platform's"},
        {"clear_overrides", Type::boolean, "drop every override first"},
        {"model", Type::string, "the LLM model of the dialog element (\"\" drops it)"},
        {"base_url", Type::string, "the LLM endpoint (\"\" drops it; needs the deployment's own key)"},
        {"api_key", Type::string, "the deployment's own LLM key, sealed for its row and never shown"},
        {"time_scale", Type::number, "test only: element timers run this many times faster (1 drops it)"}};
}

DeploymentChanges changes_of(const CallArguments& a) {
    DeploymentChanges c;
    c.alias = a.string("alias");
    c.environment = a.string("environment");
    c.restricted = a.boolean("restricted");
    c.allow_restart = a.boolean("allow_restart");
    c.collect_email = a.boolean("collect_email");
    c.active = a.boolean("active");
    if (const auto texts = a.object("texts"))
        for (const auto& [key, text] : texts->items()) {
            if (!text.is_string())
                throw sdk::AdminError(sdk::AdminError::Code::invalid_argument,
                                      "texts: " + key + " must be a string", "/texts/" + key);
            c.texts.emplace_back(key, text.get<std::string>());
        }
    c.clear_overrides = a.boolean("clear_overrides").value_or(false);
    c.model = a.string("model");
    c.base_url = a.string("base_url");
    // Pasted keys come with a line break or a space around them.
    if (const auto key = a.string("api_key")) c.api_key = std::string(sdk::trim(*key));
    c.time_scale = a.number("time_scale");
    return c;
}

}  // namespace

void add_deployment_operations(AdminCatalogue& c) {
    const ArgumentSpec deployment{"deployment_id", Type::id, "the deployment", true, true};
    const auto one = record_schema("Deployment");

    c.add({"deployments.list", "the account's deployments", "GET", "/deployments", AdminRole::admin},
          {{"archived", Type::boolean, "include archived ones"}}, list_of("deployments", "Deployment"),
          [&c](const AdminCall& call) {
              json list = json::array();
              for (const auto& d : c.deployments().list(call.caller.account_id,
                                                        call.arguments.boolean("archived").value_or(false)))
                  list.push_back(deployment_json(d));
              return json{{"deployments", list}};
          });
    c.add({"deployments.get", "one deployment", "GET", "/deployments/{deployment_id}", AdminRole::admin},
          {deployment}, one, [&c](const AdminCall& call) {
              return deployment_json(
                  c.deployments().get(call.caller.account_id, call.arguments.id("deployment_id")));
          });
    auto create_specs = change_specs();
    create_specs.insert(create_specs.begin(),
                        {{"course_id", Type::id, "the course", true},
                         {"bot_ids", Type::id_list, "the bots to put it on, one deployment each", true},
                         {"version", Type::integer, "the version's number (the latest when not given)"},
                         {"environment",
                          Type::string,
                          "test or prod (prod when not given)",
                          false,
                          false,
                          {"test", "prod"}}});
    c.add({"deployments.create", "put a course version on bots", "POST", "/deployments", AdminRole::admin},
          create_specs, list_of("deployments", "Deployment"), [&c](const AdminCall& call) {
              const auto version = call.arguments.integer_in("version", 1, std::numeric_limits<int>::max());
              // By id only: the registry also finds a course by name, and a
              // course named "2" is not course 2.
              course_of(*c.deps().storage.begin_read(), call.caller.account_id,
                        call.arguments.id("course_id"));
              json list = json::array();
              for (const auto& d : c.deployments().create(
                       call.caller.account_id, std::to_string(call.arguments.id("course_id")),
                       call.arguments.id_list("bot_ids"), version, changes_of(call.arguments)))
                  list.push_back(deployment_json(d));
              return json{{"deployments", list}};
          });
    auto update_specs = change_specs();
    update_specs.insert(update_specs.begin(), deployment);
    c.add({"deployments.update", "change a deployment's flags and overrides", "PATCH",
           "/deployments/{deployment_id}", AdminRole::admin},
          update_specs, one, [&c](const AdminCall& call) {
              return deployment_json(c.deployments().update(
                  call.caller.account_id, call.arguments.id("deployment_id"), changes_of(call.arguments)));
          });
    c.add(
        {"deployments.promote", "put a test deployment's version on prod", "POST",
         "/deployments/{deployment_id}/promote", AdminRole::admin},
        {deployment,
         {"bot_id", Type::id, "the bot of the prod deployment (the test one's when not given)"},
         {"into", Type::id, "the prod deployment to move to this version"}},
        {{"type", "object"},
         {"properties", {{"deployment", one}, {"created", {{"type", "boolean"}}}, {"previous_version", {}}}}},
        [&c](const AdminCall& call) {
            const auto p = c.deployments().promote(call.caller.account_id, call.arguments.id("deployment_id"),
                                                   call.arguments.optional_id("bot_id"),
                                                   call.arguments.optional_id("into"));
            return json{{"deployment", deployment_json(p.prod)},
                        {"created", p.created},
                        {"previous_version", p.previous_version ? json(*p.previous_version) : json(nullptr)}};
        });
    for (const bool paused : {true, false})
        c.add(
            {paused ? "deployments.pause" : "deployments.resume",
             paused ? "refuse new starts; runs under way go on" : "take new starts again", "POST",
             std::string("/deployments/{deployment_id}/") + (paused ? "pause" : "resume"), AdminRole::admin},
            {deployment}, one, [&c, paused](const AdminCall& call) {
                return deployment_json(c.deployments().set_paused(
                    call.caller.account_id, call.arguments.id("deployment_id"), paused));
            });
    c.add({"deployments.upgrade", "new starts get another version", "POST",
           "/deployments/{deployment_id}/upgrade", AdminRole::admin},
          {deployment, {"version", Type::integer, "the version's number (the latest when not given)"}},
          {{"type", "object"},
           {"properties", {{"deployment", one}, {"previous_version", {{"type", "integer"}}}}}},
          [&c](const AdminCall& call) {
              const auto version = call.arguments.integer_in("version", 1, std::numeric_limits<int>::max());
              const auto u = c.deployments().upgrade(call.caller.account_id,
                                                     call.arguments.id("deployment_id"), version);
              return json{{"deployment", deployment_json(u.deployment)},
                          {"previous_version", u.previous_version}};
          });
    c.add({"deployments.archive", "retire a deployment for good", "POST",
           "/deployments/{deployment_id}/archive", AdminRole::admin},
          {deployment, {"stop_runs", Type::boolean, "end the runs under way as stopped"}},
          {{"type", "object"},
           {"properties",
            {{"deployment", one},
             {"runs_stopped", {{"type", "integer"}}},
             {"runs_under_way", {{"type", "integer"}}}}}},
          [&c](const AdminCall& call) {
              const auto a =
                  c.deployments().archive(call.caller.account_id, call.arguments.id("deployment_id"),
                                          call.arguments.boolean("stop_runs").value_or(false), call.now);
              return json{{"deployment", deployment_json(a.deployment)},
                          {"runs_stopped", a.runs_stopped},
                          {"runs_under_way", a.runs_under_way}};
          });
}

}  // namespace profo::host
