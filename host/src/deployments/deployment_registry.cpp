#include "deployments/deployment_registry.hpp"

#include "deployments/deployment_overrides.hpp"
#include "engine/enrollment.hpp"
#include "engine/outbox_writer.hpp"
#include "secrets/secret_names.hpp"

#include <profo/sdk/outbound.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>

namespace profo::host {

namespace {

using nlohmann::json;

std::string named(const sdk::CourseDeployment& d) {
    return "deployment " + std::to_string(d.id);
}

sdk::CourseDeployment load(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id deployment_id) {
    auto d = tx.get_deployment(account_id, deployment_id);
    // Preview deployments are the panel's preview chat's, not the account's to manage.
    if (!d || d->environment == "preview")
        throw DeploymentError(
            "account " + std::to_string(account_id) + " has no deployment " + std::to_string(deployment_id),
            sdk::AdminError::Code::not_found);
    return *d;
}

sdk::CourseDeployment load_unarchived(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id deployment_id,
                                      const std::string& doing) {
    auto d = load(tx, account_id, deployment_id);
    if (d.archived_at)
        throw DeploymentError(named(d) + " is archived: an archived deployment is not " + doing +
                                  " (deploy the course again with profo deploy create)",
                              sdk::AdminError::Code::conflict);
    return d;
}

// A course by id or, failing that, by name: names may look like numbers too.
sdk::Course find_course(sdk::StorageTx& tx, sdk::Id account_id, const std::string& ref) {
    sdk::Id id = 0;
    const auto [end, error] = std::from_chars(ref.data(), ref.data() + ref.size(), id);
    if (error == std::errc() && end == ref.data() + ref.size() && id > 0)
        if (auto course = tx.get_course(account_id, id)) return *course;
    if (auto course = tx.find_course(account_id, ref)) return *course;
    throw DeploymentError("account " + std::to_string(account_id) + " has no course '" + ref + "'",
                          sdk::AdminError::Code::not_found);
}

// The course's version numbered `number`, or its latest.
sdk::CourseVersion version_of(sdk::StorageTx& tx, sdk::Id account_id, const sdk::Course& course,
                              std::optional<int> number) {
    const auto versions = tx.list_versions(account_id, course.id);
    if (versions.empty())
        throw DeploymentError(
            "course '" + course.name + "' has no version: publish one first (profo course publish)",
            sdk::AdminError::Code::conflict);
    if (!number)
        return *std::max_element(versions.begin(), versions.end(),
                                 [](const auto& a, const auto& b) { return a.number < b.number; });
    for (const auto& v : versions)
        if (v.number == *number) return v;
    throw DeploymentError("course '" + course.name + "' has no version " + std::to_string(*number) +
                              " (it has 1 to " + std::to_string(versions.back().number) + ")",
                          sdk::AdminError::Code::not_found);
}

DeploymentView view(sdk::StorageTx& tx, sdk::Id account_id, const sdk::CourseDeployment& d) {
    DeploymentView v;
    v.deployment = d;
    if (const auto course = tx.get_course(account_id, d.course_id)) v.course = course->name;
    if (const auto version = tx.get_version(account_id, d.version_id)) v.version = version->number;
    if (const auto bot = tx.get_bot(account_id, d.bot_id)) v.bot = bot->username;
    return v;
}

json& object_at(json& parent, const std::string& key) {
    auto& child = parent[key];
    if (!child.is_object()) child = json::object();
    return child;
}

void set_or_drop(json& settings, const char* key, const std::optional<std::string>& value) {
    if (!value) return;
    if (value->empty())
        settings.erase(key);
    else
        settings[key] = *value;
}

// `changes`' overrides applied to `d`, whose row exists (a key is sealed for its id).
void apply_overrides(sdk::CourseDeployment& d, const DeploymentChanges& changes,
                     const sdk::SecretBox& secrets) {
    json overrides = changes.clear_overrides ? json::object() : overrides_of(d);
    for (const auto& [key, text] : changes.texts) {
        auto& texts = object_at(overrides, "texts");
        if (text.empty())
            texts.erase(key);
        else
            texts[key] = text;
    }
    if (changes.model || changes.base_url || changes.api_key) {
        auto& plugins = object_at(overrides, "plugins");
        auto& llm = object_at(plugins, kLlmPlugin);
        set_or_drop(llm, "model", changes.model);
        set_or_drop(llm, "base_url", changes.base_url);
        if (changes.api_key)
            llm[kLlmKeySetting] = secrets.seal(
                *changes.api_key,
                sdk::deployment_override_context(d.account_id, d.id, kLlmPlugin, kLlmKeySetting));
        if (llm.empty()) plugins.erase(kLlmPlugin);
        if (plugins.empty()) overrides.erase("plugins");
    }
    if (changes.time_scale) {
        const double scale = *changes.time_scale;
        if (scale == 1)
            overrides.erase("time_scale");
        else if (std::floor(scale) == scale)
            overrides["time_scale"] = static_cast<std::int64_t>(scale);
        else
            overrides["time_scale"] = scale;
    }
    d.overrides_json = overrides.dump();
}

void apply_flags(sdk::CourseDeployment& d, const DeploymentChanges& changes) {
    if (changes.alias) d.legacy_alias = *changes.alias;
    if (changes.environment) d.environment = *changes.environment;
    if (changes.restricted) d.restricted = *changes.restricted;
    if (changes.allow_restart) d.allow_restart = *changes.allow_restart;
    if (changes.collect_email) d.collect_email = *changes.collect_email;
    if (changes.active) d.active = *changes.active;
}

// What a deployment may not be, whichever request made it so.
void check_overrides(const sdk::CourseDeployment& d) {
    const auto overrides = overrides_of(d);
    if (overrides.contains("time_scale") && d.environment != "test")
        throw DeploymentError(
            named(d) + " is " + d.environment +
                ": a time_scale is for test deployments only, students of prod wait in real "
                "time (drop it with a time_scale of 1)",
            sdk::AdminError::Code::invalid_argument, "/time_scale");
    const auto plugins = overrides.find("plugins");
    if (plugins == overrides.end() || !plugins->is_object()) return;
    const auto llm = plugins->find(kLlmPlugin);
    if (llm == plugins->end() || !llm->is_object()) return;
    if (llm->contains("base_url") && !llm->contains(kLlmKeySetting))
        throw DeploymentError(named(d) +
                                  ": a base_url needs the deployment's own api_key as well: the platform's "
                                  "key is never sent to an endpoint a tenant chose",
                              sdk::AdminError::Code::invalid_argument, "/api_key");
}

// The overrides of `from` for the new row `to`: without the time scale, each
// sealed secret opened under its old row's context and sealed for the new one.
std::string carried_overrides(const sdk::CourseDeployment& from, const sdk::CourseDeployment& to,
                              const sdk::SecretBox& secrets) {
    json overrides = overrides_of(from);
    overrides.erase("time_scale");
    if (overrides.contains("plugins") && overrides["plugins"].is_object()) {
        for (auto& [plugin, settings] : overrides["plugins"].items()) {
            if (!settings.is_object()) continue;
            for (auto& [key, value] : settings.items()) {
                if (!is_sealed_setting(key) || !value.is_string()) continue;
                std::string plain;
                try {
                    plain =
                        secrets.open(value.get<std::string>(),
                                     sdk::deployment_override_context(from.account_id, from.id, plugin, key));
                } catch (const std::exception&) {
                    throw DeploymentError(named(from) + ": its " + plugin + " " + key +
                                          " does not open with this platform's secrets key; give " +
                                          named(from) + " its api_key again and promote again");
                }
                value =
                    secrets.seal(plain, sdk::deployment_override_context(to.account_id, to.id, plugin, key));
            }
        }
    }
    return overrides.dump();
}

std::vector<sdk::Run> active_runs(sdk::StorageTx& tx, sdk::Id account_id, sdk::Id deployment_id) {
    sdk::RunFilter filter;
    filter.deployment_id = deployment_id;
    filter.status = sdk::RunStatus::active;
    filter.limit = 1000;
    std::vector<sdk::Run> out;
    for (;; filter.offset += filter.limit) {
        auto page = tx.list_runs(account_id, filter);
        out.insert(out.end(), page.begin(), page.end());
        if (static_cast<int>(page.size()) < filter.limit) break;
    }
    return out;
}

}  // namespace

void DeploymentRegistry::check_changes(const DeploymentChanges& changes) const {
    const auto refuse = [](const std::string& message, const std::string& field) {
        throw DeploymentError(message, sdk::AdminError::Code::invalid_argument, field);
    };
    if (changes.alias)
        if (auto problem = alias_problem(*changes.alias))
            refuse("alias '" + *changes.alias + "' " + *problem, "/alias");
    if (changes.environment && *changes.environment != "test" && *changes.environment != "prod")
        refuse("environment: test or prod, not '" + *changes.environment + "'", "/environment");
    for (const auto& [key, text] : changes.texts) {
        if (auto problem = text_key_problem(key, platform_texts_)) refuse(*problem, "/texts/" + key);
        if (auto problem = student_message_problem(text))
            refuse("the text " + key + " " + *problem, "/texts/" + key);
    }
    if (changes.model)
        if (auto problem = model_problem(*changes.model))
            refuse("model '" + *changes.model + "' " + *problem, "/model");
    if (changes.base_url && !changes.base_url->empty())
        if (auto problem = endpoint_problem(*changes.base_url); !problem.empty())
            refuse("base_url '" + *changes.base_url + "': " + problem, "/base_url");
    if (changes.api_key)
        if (auto problem = api_key_problem(*changes.api_key)) refuse("the API key " + *problem, "/api_key");
    if (changes.time_scale)
        if (auto problem = time_scale_problem(*changes.time_scale))
            refuse("time_scale " + *problem, "/time_scale");
}

std::optional<std::string> text_key_problem(const std::string& key,
                                            const std::map<std::string, std::string>& known) {
    if (known.count(key)) return std::nullopt;
    std::string names;
    for (const auto& [name, text] : known) names += (names.empty() ? "" : ", ") + name;
    return "no system text is called '" + key + "' (known: " + names + ")";
}

DeploymentRegistry::DeploymentRegistry(sdk::Storage& storage, const sdk::SecretBox& secrets,
                                       std::map<std::string, std::string> platform_texts)
    : storage_(storage), secrets_(secrets), platform_texts_(std::move(platform_texts)) {}

std::vector<DeploymentView> DeploymentRegistry::create(sdk::Id account_id, const std::string& course_ref,
                                                       const std::vector<sdk::Id>& bots,
                                                       std::optional<int> version_number,
                                                       const DeploymentChanges& changes) {
    if (bots.empty()) throw DeploymentError("a deployment needs a bot");
    // Two deployments of one version on one bot would only split its students.
    for (std::size_t i = 0; i < bots.size(); ++i)
        if (std::find(bots.begin(), bots.begin() + static_cast<std::ptrdiff_t>(i), bots[i]) !=
            bots.begin() + static_cast<std::ptrdiff_t>(i))
            throw DeploymentError("bot " + std::to_string(bots[i]) + " is named twice",
                                  sdk::AdminError::Code::invalid_argument, "/bot_ids");
    check_changes(changes);
    auto tx = storage_.begin();
    const auto course = find_course(*tx, account_id, course_ref);
    const auto version = version_of(*tx, account_id, course, version_number);
    std::vector<DeploymentView> created;
    for (const auto bot_id : bots) {
        if (!tx->get_bot(account_id, bot_id))
            throw DeploymentError(
                "account " + std::to_string(account_id) + " has no bot " + std::to_string(bot_id),
                sdk::AdminError::Code::not_found);
        sdk::CourseDeployment d;
        d.course_id = course.id;
        d.version_id = version.id;
        d.bot_id = bot_id;
        d.environment = "prod";
        apply_flags(d, changes);
        d = tx->create_deployment(account_id, d);
        // A key is sealed for the row, which exists only now: the row gets
        // its overrides in the same transaction, so nobody sees it without them.
        apply_overrides(d, changes, secrets_);
        check_overrides(d);
        if (d.overrides_json != "{}" && !tx->update_deployment(account_id, d))
            throw DeploymentError(named(d) + " vanished while it was being created",
                                  sdk::AdminError::Code::conflict);
        created.push_back(view(*tx, account_id, d));
    }
    tx->commit();
    return created;
}

DeploymentView DeploymentRegistry::update(sdk::Id account_id, sdk::Id deployment_id,
                                          const DeploymentChanges& changes) {
    check_changes(changes);
    auto tx = storage_.begin();
    auto d = load_unarchived(*tx, account_id, deployment_id, "changed any more");
    apply_flags(d, changes);
    apply_overrides(d, changes, secrets_);
    check_overrides(d);
    tx->update_deployment(account_id, d);
    auto out = view(*tx, account_id, d);
    tx->commit();
    return out;
}

DeploymentView DeploymentRegistry::get(sdk::Id account_id, sdk::Id deployment_id) {
    auto tx = storage_.begin_read();
    return view(*tx, account_id, load(*tx, account_id, deployment_id));
}

std::vector<DeploymentView> DeploymentRegistry::list(sdk::Id account_id, bool include_archived) {
    auto tx = storage_.begin_read();
    std::vector<DeploymentView> out;
    for (const auto& d : tx->list_deployments(account_id))
        if ((include_archived || !d.archived_at) && d.environment != "preview")
            out.push_back(view(*tx, account_id, d));
    return out;
}

Promotion DeploymentRegistry::promote(sdk::Id account_id, sdk::Id deployment_id, std::optional<sdk::Id> bot,
                                      std::optional<sdk::Id> into) {
    auto tx = storage_.begin();
    const auto test = load_unarchived(*tx, account_id, deployment_id, "promoted");
    if (test.environment != "test")
        throw DeploymentError(named(test) + " is " + test.environment +
                                  " already: promote takes a test deployment and puts its version on prod",
                              sdk::AdminError::Code::conflict);
    std::optional<sdk::CourseDeployment> prod;
    if (into) {
        prod = load_unarchived(*tx, account_id, *into, "promoted into");
        if (prod->environment != "prod")
            throw DeploymentError(
                named(*prod) + " is " + prod->environment + ", not prod: into names a prod deployment",
                sdk::AdminError::Code::invalid_argument, "/into");
        if (prod->course_id != test.course_id)
            throw DeploymentError(named(*prod) + " carries another course than " + named(test));
        if (bot && *bot != prod->bot_id)
            throw DeploymentError(named(*prod) + " runs on bot " + std::to_string(prod->bot_id) +
                                  ", not on bot " + std::to_string(*bot));
    } else {
        const sdk::Id on = bot.value_or(test.bot_id);
        if (!tx->get_bot(account_id, on))
            throw DeploymentError(
                "account " + std::to_string(account_id) + " has no bot " + std::to_string(on),
                sdk::AdminError::Code::not_found);
        std::vector<sdk::CourseDeployment> candidates;
        for (const auto& d : tx->list_deployments(account_id))
            if (d.course_id == test.course_id && d.bot_id == on && d.environment == "prod" && !d.archived_at)
                candidates.push_back(d);
        if (candidates.size() > 1) {
            std::string ids;
            for (const auto& c : candidates) ids += (ids.empty() ? "" : ", ") + std::to_string(c.id);
            throw DeploymentError("bot " + std::to_string(on) +
                                      " carries the course in several prod deployments (" + ids +
                                      "): name the one to promote into (into)",
                                  sdk::AdminError::Code::conflict, "/into");
        }
        if (candidates.size() == 1) prod = candidates.front();
        if (!prod) {
            sdk::CourseDeployment fresh;
            fresh.course_id = test.course_id;
            fresh.version_id = test.version_id;
            fresh.bot_id = on;
            fresh.environment = "prod";
            fresh.restricted = test.restricted;
            fresh.allow_restart = test.allow_restart;
            fresh.collect_email = test.collect_email;
            fresh = tx->create_deployment(account_id, fresh);
            fresh.overrides_json = carried_overrides(test, fresh, secrets_);
            check_overrides(fresh);
            tx->update_deployment(account_id, fresh);
            Promotion out{view(*tx, account_id, fresh), true, std::nullopt};
            tx->commit();
            return out;
        }
    }
    Promotion out;
    if (const auto previous = tx->get_version(account_id, prod->version_id))
        out.previous_version = previous->number;
    prod->version_id = test.version_id;
    tx->update_deployment(account_id, *prod);
    out.prod = view(*tx, account_id, *prod);
    tx->commit();
    return out;
}

DeploymentView DeploymentRegistry::set_paused(sdk::Id account_id, sdk::Id deployment_id, bool paused) {
    auto tx = storage_.begin();
    auto d = load_unarchived(*tx, account_id, deployment_id, paused ? "paused" : "resumed");
    d.active = !paused;
    tx->update_deployment(account_id, d);
    auto out = view(*tx, account_id, d);
    tx->commit();
    return out;
}

Upgrade DeploymentRegistry::upgrade(sdk::Id account_id, sdk::Id deployment_id,
                                    std::optional<int> version_number) {
    auto tx = storage_.begin();
    auto d = load_unarchived(*tx, account_id, deployment_id, "upgraded");
    const auto course = tx->get_course(account_id, d.course_id);
    if (!course)
        throw DeploymentError(named(d) + ": its course " + std::to_string(d.course_id) + " is gone",
                              sdk::AdminError::Code::conflict);
    const auto version = version_of(*tx, account_id, *course, version_number);
    Upgrade out;
    if (const auto previous = tx->get_version(account_id, d.version_id))
        out.previous_version = previous->number;
    d.version_id = version.id;
    tx->update_deployment(account_id, d);
    out.deployment = view(*tx, account_id, d);
    tx->commit();
    return out;
}

Archival DeploymentRegistry::archive(sdk::Id account_id, sdk::Id deployment_id, bool stop_runs,
                                     sdk::Millis now) {
    auto tx = storage_.begin();
    auto d = load(*tx, account_id, deployment_id);
    Archival out;
    out.newly = !d.archived_at;
    if (out.newly) {
        d.archived_at = now;
        d.active = false;
        tx->update_deployment(account_id, d);
    }
    auto runs = active_runs(*tx, account_id, d.id);
    if (stop_runs) {
        sdk::OutboundMessage notice;
        notice.text = SystemTexts(platform_texts_, d.overrides_json).text("course_archived");
        const auto payload = sdk::to_json(notice);
        for (auto& run : runs) {
            run.status = sdk::RunStatus::stopped;
            run.active = false;
            run.ended_at = now;
            run.updated_at = now;
            tx->update_run(account_id, run);
            tx->cancel_run_timers(account_id, run.id);
            sdk::OutboxMessage message;
            message.bot_id = run.bot_id;
            message.chat_id = run.chat_id;
            message.run_id = run.id;
            message.payload_json = payload;
            message.next_attempt_at = message.created_at = now;
            tx->enqueue_outbox(account_id, message);
            // The history is the transcript: what the student was told goes in too.
            sdk::ConversationEntry row;
            row.run_id = run.id;
            row.element_id = run.cursor;
            row.role = "bot";
            row.payload_json = payload;
            row.created_at = now;
            tx->append_conversation(account_id, row);
        }
        out.runs_stopped = static_cast<int>(runs.size());
    } else {
        out.runs_under_way = static_cast<int>(runs.size());
    }
    out.deployment = view(*tx, account_id, d);
    tx->commit();
    return out;
}

}  // namespace profo::host
