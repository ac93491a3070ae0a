#include "legacy/legacy_import.hpp"

#include "bots/bot_registry.hpp"
#include "course/course_document.hpp"
#include "deployments/deployment_overrides.hpp"
#include "engine/run_context.hpp"
#include "engine/run_state.hpp"
#include "legacy/resume_plan.hpp"
#include "legacy/setting_mapping.hpp"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <ostream>
#include <set>
#include <sstream>
#include <tuple>

namespace profo::host::legacy {

namespace {

// The kinds of legacy ids recorded (sdk::LegacyIdStore).
constexpr const char* kCourseKind = "course";            // "<bot>/<course_id>" -> course version
constexpr const char* kBotKind = "bot";                  // "<bot>" -> bot
constexpr const char* kRunKind = "run";                  // "<run_id>" -> run
constexpr const char* kBanKind = "ban";                  // "<bot>/<chat_id>/<banned_at>" -> ban
constexpr const char* kParticipantKind = "participant";  // "<course_id>/<username>" -> participant

std::string course_key(const std::string& bot, const std::string& course_id) {
    return bot + "/" + course_id;
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

// Telegram usernames are compared without regard to case; the legacy tables
// sometimes carry the '@'.
std::string bot_name_of(const std::string& name) {
    return lower(!name.empty() && name[0] == '@' ? name.substr(1) : name);
}

// A course stored as course_element rows becomes the YAML document it was
// made from, so it goes through the same checks as `profo course import`.
std::string yaml_of_rows(const std::vector<const LegacyCourseElement*>& rows,
                         std::vector<ImportProblem>& problems, const std::string& where) {
    std::vector<sdk::CourseElement> elements;
    for (const auto* row : rows) {
        auto json = nlohmann::ordered_json::parse(row->json, nullptr, false);
        nlohmann::ordered_json body;
        body["type"] = row->element_type;
        const auto data = json.is_object() && json.contains("element_data") ? json["element_data"] : json;
        if (!data.is_object()) {
            problems.push_back({where + ", element " + row->element_id,
                                "its json is not {\"element_data\": {...}} (course_element_id " +
                                    std::to_string(row->row_id) + ")"});
            continue;
        }
        for (const auto& [field, value] : data.items())
            if (field != "type") body[field] = value;
        sdk::CourseElement element;
        element.element_id = row->element_id;
        element.type = row->element_type;
        element.body_json = body.dump();
        elements.push_back(std::move(element));
    }
    return export_course_yaml(elements);
}

SettingCatalogue catalogue_of(const PluginRegistry& plugins,
                              const std::map<std::string, std::string>& texts) {
    SettingCatalogue out;
    for (const auto& [name, text] : texts) out.texts.insert(name);
    for (const auto& loaded : plugins.loaded()) {
        if (loaded->metadata().kind != sdk::PluginKind::element) continue;
        for (const auto& setting : loaded->as<sdk::ElementPlugin>().overridable_settings())
            out.plugin_of.emplace(setting, loaded->metadata().qualified_id());
    }
    return out;
}

struct ImportedCourse {
    const LegacyCourse* legacy = nullptr;
    std::string bot;
    std::vector<sdk::CourseElement> elements;
    sdk::Id course_id = 0;
    sdk::Id version_id = 0;
    sdk::Id deployment_id = 0;
    bool fresh = false;  // brought over by this import
};

struct ImportedRun {
    const LegacyRun* legacy = nullptr;
    const ImportedCourse* course = nullptr;
    sdk::Run run;
    std::string position;  // element of its newest conversation row
    bool fresh = false;
};

class Progress {
public:
    Progress(std::ostream* out, std::string what, std::int64_t total)
        : out_(out),
          what_(std::move(what)),
          total_(total),
          step_(std::max<std::int64_t>(total / 20, 10000)) {}
    void advance() {
        if (++done_ % step_ == 0) print();
    }
    void finish() {
        if (done_ % step_ != 0 || done_ == 0) print();
    }

private:
    void print() const {
        if (out_ != nullptr) *out_ << what_ << ": " << done_ << " of " << total_ << " rows\n" << std::flush;
    }
    std::ostream* out_;
    std::string what_;
    std::int64_t total_;
    std::int64_t step_;
    std::int64_t done_ = 0;
};

class Importer {
public:
    Importer(LegacyDatabase& source, sdk::StorageTx& tx, const PluginRegistry& plugins,
             const sdk::SecretBox& secrets, const std::map<std::string, std::string>& texts,
             const ImportOptions& options)
        : source_(source),
          tx_(tx),
          plugins_(plugins),
          secrets_(secrets),
          catalogue_(catalogue_of(plugins, texts)),
          options_(options),
          account_(options.account_id),
          now_(options.now_ms != 0 ? options.now_ms
                                   : std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count()) {
        report_.dry_run = options.dry_run;
    }

    ImportReport run() {
        if (!tx_.get_account(account_))
            throw ImportRefused("account " + std::to_string(account_) + " does not exist");
        snapshot_ = source_.read_snapshot();
        for (const auto& table : snapshot_.missing_tables)
            problem("table " + table, "the legacy database has no such table; nothing of it is imported");
        check_tokens();
        import_courses();
        import_bots();
        import_deployments();
        import_runs();
        import_conversation();
        resume_runs();
        import_bans();
        import_participants();
        return std::move(report_);
    }

private:
    void problem(std::string where, std::string message) {
        report_.problems.push_back({std::move(where), std::move(message)});
    }

    // Every bot that has something to import, with its token unless it is
    // in the account already; all are checked before anything is written.
    void check_tokens() {
        std::set<std::string> names;
        for (const auto& c : snapshot_.courses) names.insert(bot_name_of(c.bot_name));
        for (const auto& r : snapshot_.runs) names.insert(bot_name_of(r.bot_name));
        for (const auto& b : snapshot_.bans) names.insert(bot_name_of(b.bot_name));
        names.erase("");
        std::map<std::string, sdk::Bot> existing;
        for (auto& bot : tx_.list_bots(account_)) existing.emplace(lower(bot.username), bot);
        std::vector<std::string> missing;
        for (const auto& name : names) {
            if (auto it = existing.find(name); it != existing.end()) {
                bots_.emplace(name, it->second);
                continue;
            }
            if (token_of(name).empty()) missing.push_back(name);
        }
        for (const auto& [name, token] : options_.tokens)
            if (names.count(bot_name_of(name)) == 0)
                problem("bot " + name, "a token was given for it, but the legacy database has no such bot");
        if (missing.empty()) return;
        std::string list;
        for (const auto& name : missing) list += (list.empty() ? "" : ", ") + name;
        const std::string message = "no token for the legacy bot(s) " + list +
                                    ": give each with --token BOTNAME=TOKEN or in --tokens-file (tokens are "
                                    "never read from the legacy database)";
        if (!options_.dry_run) throw ImportRefused(message);
        problem("bots", message);
    }

    std::string token_of(const std::string& bot) const {
        for (const auto& [name, token] : options_.tokens)
            if (bot_name_of(name) == bot) return token;
        return {};
    }

    void import_courses() {
        std::map<std::string, std::vector<const LegacyCourseElement*>> rows;
        for (const auto& e : snapshot_.elements)
            rows[course_key(bot_name_of(e.bot_name), e.course_id)].push_back(&e);
        // A course id that several bots carry names one course per bot.
        std::map<std::string, int> bots_per_course;
        for (const auto& c : snapshot_.courses) ++bots_per_course[c.course_id];
        for (const auto& legacy : snapshot_.courses) {
            const std::string bot = bot_name_of(legacy.bot_name);
            const std::string key = course_key(bot, legacy.course_id);
            const std::string where = "course " + key;
            ImportedCourse course;
            course.legacy = &legacy;
            course.bot = bot;
            if (const auto version_id = tx_.find_legacy_id(account_, kCourseKind, key)) {
                const auto version = tx_.get_version(account_, *version_id);
                if (!version) {
                    problem(where, "imported before as version " + std::to_string(*version_id) +
                                       ", which is gone; not imported again");
                    continue;
                }
                course.course_id = version->course_id;
                course.version_id = version->id;
                course.elements = tx_.version_elements(account_, version->id);
                courses_.emplace(key, std::move(course));
                report_.add("courses already imported");
                continue;
            }
            std::string yaml;
            std::string source = "legacy " + key;
            if (legacy.yaml && !legacy.yaml->empty()) {
                yaml = *legacy.yaml;
            } else if (auto it = rows.find(key); it != rows.end()) {
                yaml = yaml_of_rows(it->second, report_.problems, where);
                source += " (course_element rows)";
            } else {
                problem(where, "has neither yaml nor course_element rows; not imported");
                continue;
            }
            const auto check = check_course(yaml, key + ".yml", plugins_);
            for (const auto& p : check.problems)
                if (!p.warning || !check.ok())
                    problem(where + (p.element_id.empty() ? "" : ", element " + p.element_id), p.to_string());
            report_.add("course warnings", static_cast<std::int64_t>(std::count_if(
                                               check.problems.begin(), check.problems.end(),
                                               [](const CourseProblem& p) { return p.warning; })));
            if (!check.ok()) {
                problem(where, "fails validation; it, its runs and their history are not imported");
                continue;
            }
            const std::string name = bots_per_course[legacy.course_id] > 1 ? key : legacy.course_id;
            auto stored = tx_.find_course(account_, name);
            if (!stored) stored = tx_.create_course(account_, name);
            const auto version = tx_.create_version(account_, stored->id, source, *check.elements);
            tx_.record_legacy_id(account_, kCourseKind, key, version.id);
            course.course_id = stored->id;
            course.version_id = version.id;
            course.elements = *check.elements;
            course.fresh = true;
            courses_.emplace(key, std::move(course));
            report_.add("courses");
            report_.add("versions");
        }
    }

    void import_bots() {
        std::set<std::string> wanted;
        for (const auto& [key, course] : courses_) wanted.insert(course.bot);
        for (const auto& b : snapshot_.bans) wanted.insert(bot_name_of(b.bot_name));
        for (const auto& name : wanted) {
            if (name.empty() || bots_.count(name) != 0) continue;
            const auto token = token_of(name);
            if (token.empty()) continue;  // a dry run's problem already
            sdk::Bot bot;
            bot.username = name;
            bot.mode = "poll";
            try {
                bot = create_bot_with_token(tx_, secrets_, account_, bot, token);
            } catch (const sdk::StorageError& e) {
                if (e.code() == sdk::StorageError::Code::conflict)
                    throw sdk::StorageError(
                        e.code(),
                        "bot @" + name + " is registered already (in another account?): " + e.what());
                throw;
            }
            tx_.record_legacy_id(account_, kBotKind, name, bot.id);
            bots_.emplace(name, bot);
            report_.add("bots");
        }
    }

    nlohmann::json overrides_for(const std::string& bot) {
        nlohmann::json overrides = nlohmann::json::object();
        for (const auto& s : snapshot_.settings) {
            if (bot_name_of(s.bot_name) != bot) continue;
            const std::string where = "setting " + bot + "/" + s.key;
            auto mapped = map_setting(s.key, s.value, catalogue_);
            const bool is_url =
                mapped.target.size() >= 3 && mapped.target.compare(mapped.target.size() - 3, 3, "url") == 0;
            if (mapped.mapped && is_url) {
                if (const auto why = endpoint_problem(s.value); !why.empty()) {
                    mapped.mapped = false;
                    mapped.reason = why;
                }
            }
            if (!mapped.mapped) {
                if (settings_reported_.insert(where).second) {
                    problem(where, "not carried over: " + mapped.reason);
                    report_.add("settings unmapped");
                }
                continue;
            }
            overrides.merge_patch(mapped.patch);
            if (settings_reported_.insert(where).second) {
                report_.mapped_settings.push_back(bot + "/" + s.key + " -> " + mapped.target);
                report_.add("settings mapped");
            }
        }
        return overrides;
    }

    void import_deployments() {
        std::set<std::string> restricted;
        for (const auto& p : snapshot_.participants) restricted.insert(p.course_id);
        for (auto& [key, course] : courses_) {
            const auto bot = bots_.find(course.bot);
            if (bot == bots_.end()) continue;
            if (auto existing =
                    tx_.find_deployment_by_alias(account_, bot->second.id, course.legacy->course_id);
                existing && !course.fresh) {
                course.deployment_id = existing->id;
                continue;
            }
            sdk::CourseDeployment d;
            d.course_id = course.course_id;
            d.version_id = course.version_id;
            d.bot_id = bot->second.id;
            d.environment = "prod";
            d.legacy_alias = course.legacy->course_id;
            d.restricted = restricted.count(course.legacy->course_id) != 0;
            d.overrides_json = overrides_for(course.bot).dump();
            d.created_at = now_;
            try {
                course.deployment_id = tx_.create_deployment(account_, d).id;
            } catch (const sdk::StorageError& e) {
                throw sdk::StorageError(e.code(), "the deployment of course " + key + ": " + e.what());
            }
            report_.add("deployments");
        }
    }

    void import_runs() {
        // The newest run of a chat on a bot is its current one.
        std::map<std::pair<std::string, std::int64_t>, std::int64_t> newest;
        for (const auto& r : snapshot_.runs) {
            auto& n = newest[{bot_name_of(r.bot_name), r.chat_id}];
            n = std::max(n, r.run_id);
        }
        for (const auto& legacy : snapshot_.runs) {
            const std::string bot = bot_name_of(legacy.bot_name);
            const std::string where = "run " + std::to_string(legacy.run_id);
            const auto course = courses_.find(course_key(bot, legacy.course_id));
            if (course == courses_.end() || course->second.deployment_id == 0) {
                problem(where, "its course " + course_key(bot, legacy.course_id) +
                                   " was not imported; the run is left out");
                report_.add("runs left out");
                continue;
            }
            ImportedRun imported;
            imported.legacy = &legacy;
            imported.course = &course->second;
            const std::string key = std::to_string(legacy.run_id);
            if (const auto id = tx_.find_legacy_id(account_, kRunKind, key)) {
                report_.add("runs already imported");
                imported.run.id = *id;
                runs_.emplace(legacy.run_id, std::move(imported));
                continue;
            }
            auto& run = imported.run;
            run.account_id = account_;
            run.bot_id = bots_.at(bot).id;
            run.deployment_id = course->second.deployment_id;
            run.version_id = course->second.version_id;
            run.chat_id = legacy.chat_id;
            run.user_id = legacy.chat_id;  // private chats: the chat is the student
            run.username = legacy.username;
            nlohmann::json utm = nlohmann::json::object();
            if (!legacy.utm_source.empty()) utm["source"] = legacy.utm_source;
            if (!legacy.utm_campaign.empty()) utm["campaign"] = legacy.utm_campaign;
            run.utm_json = utm.dump();
            run.started_at = run.updated_at = legacy.started_at;
            RunState state;
            state.version = course->second.version_id;
            run.state_json = state.dump();
            const bool current = newest[{bot, legacy.chat_id}] == legacy.run_id;
            if (legacy.ended) {
                run.status = sdk::RunStatus::completed;
            } else if (!current) {
                run.status = sdk::RunStatus::abandoned;  // the student started another course
            } else {
                run.status = sdk::RunStatus::active;
            }
            run.active = run.status == sdk::RunStatus::active;
            if (!run.active) run.ended_at = legacy.started_at;
            // An active run of this chat on the bot that is not a legacy one
            // (the new bot served the chat already) keeps the chat.
            if (run.active && tx_.active_run(account_, run.bot_id, run.chat_id)) {
                problem(where, "the chat has an active run on @" + bot + " already; imported as abandoned");
                run.status = sdk::RunStatus::abandoned;
                run.active = false;
                run.ended_at = now_;
            }
            run = tx_.start_run(account_, run);
            tx_.record_legacy_id(account_, kRunKind, key, run.id);
            imported.fresh = true;
            report_.add(std::string("runs ") + std::string(sdk::to_string(run.status)));
            runs_.emplace(legacy.run_id, std::move(imported));
        }
    }

    // Rows without a run id (older ones) belong to the chat's latest run of
    // that course started at or before them.
    ImportedRun* owner_of(const LegacyConversationRow& row) {
        if (row.run_id) {
            const auto it = runs_.find(*row.run_id);
            return it == runs_.end() ? nullptr : &it->second;
        }
        if (runs_by_chat_.empty())
            for (auto& [id, r] : runs_) runs_by_chat_[{r.legacy->chat_id, r.legacy->course_id}].push_back(&r);
        const auto it = runs_by_chat_.find({row.chat_id, row.course_id});
        if (it == runs_by_chat_.end()) return nullptr;
        ImportedRun* best = nullptr;
        for (auto* r : it->second)
            if (r->legacy->started_at <= row.at) best = r;  // runs_ is by run id, so by start
        return best != nullptr ? best : it->second.front();
    }

    void import_conversation() {
        Progress progress(options_.progress, "conversation", snapshot_.conversation_rows);
        sdk::ConversationEntry entry;
        entry.account_id = account_;
        source_.for_each_conversation([&](const LegacyConversationRow& row) {
            progress.advance();
            auto* run = owner_of(row);
            if (run == nullptr) {
                report_.add("conversation rows left out");
                return;
            }
            run->position = row.element_id;
            if (!run->fresh) {
                report_.add("conversation rows already imported");
                return;
            }
            entry.run_id = run->run.id;
            entry.element_id = row.element_id;
            const bool student = row.role == "user";
            entry.role = student ? "user" : "bot";
            nlohmann::json payload = student ? nlohmann::json{{"text", row.report}}
                                             : nlohmann::json{{"kind", "text"}, {"text", row.report}};
            if (row.role != "user" && row.role != "bot") payload["legacy_role"] = row.role;
            payload["legacy_id"] = row.conversation_id;
            entry.payload_json = payload.dump();
            entry.score = row.score;
            entry.maxscore = row.maxscore;
            entry.created_at = row.at;
            tx_.append_conversation(account_, entry);
            report_.add("conversation rows");
        });
        progress.finish();
    }

    // An active run that turned out to have ended, counted where it belongs.
    void end_active(sdk::Run& run, sdk::RunStatus status) {
        run.status = status;
        run.active = false;
        run.ended_at = now_;
        tx_.update_run(account_, run);
        report_.add("runs active", -1);
        report_.add(std::string("runs ") + std::string(sdk::to_string(status)));
    }

    void resume_runs() {
        std::map<std::tuple<std::string, std::string, std::int64_t>, const LegacyWaiting*> waiting;
        for (const auto& w : snapshot_.waiting)
            waiting[{bot_name_of(w.bot_name), w.course_id, w.chat_id}] = &w;  // the newest wins
        for (auto& [legacy_id, imported] : runs_) {
            if (!imported.fresh) continue;
            auto& run = imported.run;
            const auto w =
                waiting.find({imported.course->bot, imported.legacy->course_id, imported.legacy->chat_id});
            const LegacyWaiting* pending = w == waiting.end() ? nullptr : w->second;
            const auto plan = plan_resume(imported.course->elements, imported.position, pending);
            const std::string where = "run " + std::to_string(legacy_id);
            if (plan.kind == ResumePlan::Kind::lost) {
                problem(where + ", course " + course_key(imported.course->bot, imported.legacy->course_id) +
                            (imported.position.empty() ? "" : ", element " + imported.position),
                        plan.problem + (run.active ? "; the run is imported as stopped" : ""));
                if (run.active) end_active(run, sdk::RunStatus::stopped);
                continue;
            }
            run.cursor = plan.cursor;
            RunState state = RunState::parse(run.state_json);
            if (!run.active) {
                tx_.update_run(account_, run);
                continue;
            }
            if (plan.kind == ResumePlan::Kind::completed) {
                end_active(run, sdk::RunStatus::completed);
                continue;
            }
            state.activation = 1;
            if (!plan.cursor.empty()) state.visits[plan.cursor] = 1;
            state.waiting = Waiting::timer;
            state.timers = plan.kind == ResumePlan::Kind::enter;
            run.state_json = state.dump();
            run.updated_at = now_;
            tx_.update_run(account_, run);
            if (plan.kind != ResumePlan::Kind::enter) continue;
            sdk::WaitingElement timer;
            timer.account_id = account_;
            timer.run_id = run.id;
            timer.element_id = plan.cursor;
            timer.due_at = plan.due.value_or(now_);
            timer.created_at = now_;
            timer.payload_json = enter_element_payload(state.activation, plan.enter);
            tx_.add_timer(account_, timer);
            report_.add(pending != nullptr ? "timers (delays)" : "timers (resumptions)");
        }
    }

    void import_bans() {
        for (const auto& b : snapshot_.bans) {
            const std::string bot = bot_name_of(b.bot_name);
            const std::string key = bot + "/" + std::to_string(b.chat_id) + "/" + std::to_string(b.banned_at);
            if (b.excluded && *b.excluded == 1) {
                report_.add("bans lifted (not imported)");
                continue;
            }
            if (!b.excluded) report_.add("bans with NULL excluded (read as in force)");
            const auto found = bots_.find(bot);
            if (found == bots_.end()) {
                problem("ban of chat " + std::to_string(b.chat_id), "its bot @" + bot + " is not imported");
                continue;
            }
            if (tx_.find_legacy_id(account_, kBanKind, key)) {
                report_.add("bans already imported");
                continue;
            }
            sdk::Ban ban;
            ban.bot_id = found->second.id;
            ban.user_id = b.chat_id;
            ban.reason = b.reason.empty() ? "legacy ban" : "legacy: " + b.reason;
            ban.created_at = b.banned_at;
            const auto stored = tx_.ban(account_, ban);
            tx_.record_legacy_id(account_, kBanKind, key, stored.id);
            report_.add("bans");
        }
    }

    void import_participants() {
        for (const auto& p : snapshot_.participants) {
            const std::string username = bot_name_of(p.username);
            const std::string key = p.course_id + "/" + username;
            if (username.empty()) continue;
            bool any = false;
            for (const auto& [course_key_, course] : courses_) {
                if (course.legacy->course_id != p.course_id || course.deployment_id == 0) continue;
                any = true;
                const std::string deployment_key = key + "@" + std::to_string(course.deployment_id);
                if (tx_.find_legacy_id(account_, kParticipantKind, deployment_key)) {
                    report_.add("allow-list entries already imported");
                    continue;
                }
                sdk::Participant participant;
                participant.deployment_id = course.deployment_id;
                participant.username = username;
                participant.created_at = now_;
                const auto stored = tx_.add_participant(account_, participant);
                tx_.record_legacy_id(account_, kParticipantKind, deployment_key, stored.id);
                report_.add("allow-list entries");
            }
            if (!any)
                problem("allow-list of course " + p.course_id,
                        "the course is not imported; @" + username + " left out");
        }
    }

    LegacyDatabase& source_;
    sdk::StorageTx& tx_;
    const PluginRegistry& plugins_;
    const sdk::SecretBox& secrets_;
    SettingCatalogue catalogue_;
    const ImportOptions& options_;
    sdk::Id account_;
    sdk::Millis now_;
    ImportReport report_;
    LegacySnapshot snapshot_;
    std::map<std::string, sdk::Bot> bots_;
    std::map<std::string, ImportedCourse> courses_;
    std::map<std::int64_t, ImportedRun> runs_;
    std::map<std::pair<std::int64_t, std::string>, std::vector<ImportedRun*>> runs_by_chat_;
    std::set<std::string> settings_reported_;
};

}  // namespace

std::int64_t ImportReport::count(const std::string& kind) const {
    const auto it = counts.find(kind);
    return it == counts.end() ? 0 : it->second;
}

nlohmann::json ImportReport::to_json() const {
    nlohmann::json problems_json = nlohmann::json::array();
    for (const auto& p : problems) problems_json.push_back({{"where", p.where}, {"message", p.message}});
    return {{"dry_run", dry_run},
            {"counts", counts},
            {"settings_mapped", mapped_settings},
            {"problems", problems_json}};
}

void ImportReport::print(std::ostream& out) const {
    out << (dry_run ? "dry run: nothing was changed; the import would bring over:\n" : "imported:\n");
    for (const auto& [kind, n] : counts) out << "  " << kind << ": " << n << "\n";
    for (const auto& s : mapped_settings) out << "  setting " << s << "\n";
    out << problems.size() << " problem" << (problems.size() == 1 ? "" : "s") << (problems.empty() ? "" : ":")
        << "\n";
    for (const auto& p : problems) out << "  " << p.where << ": " << p.message << "\n";
}

ImportReport import_legacy(LegacyDatabase& source, sdk::Storage& storage, const PluginRegistry& plugins,
                           const sdk::SecretBox& secrets, const std::map<std::string, std::string>& texts,
                           const ImportOptions& options) {
    auto tx = storage.begin();
    auto report = Importer(source, *tx, plugins, secrets, texts, options).run();
    // A dry run is the import rolled back: it met every problem the import would.
    if (!options.dry_run) tx->commit();
    return report;
}

std::map<std::string, std::string> parse_token_lines(const std::string& text, const std::string& source) {
    std::map<std::string, std::string> out;
    std::istringstream in(text);
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
        ++number;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        const auto eq = line.find('=');
        const auto name = eq == std::string::npos ? std::string() : line.substr(first, eq - first);
        const auto token = eq == std::string::npos ? std::string() : line.substr(eq + 1);
        if (name.empty() || token.empty() || name.find_first_of(" \t") != std::string::npos ||
            token.find_first_of(" \t") != std::string::npos)
            throw ImportRefused(source + ":" + std::to_string(number) + ": not BOTNAME=TOKEN");
        out[name] = token;
    }
    return out;
}

}  // namespace profo::host::legacy
