#include "engine/chat_authoring.hpp"

#include "course/course_document.hpp"
#include "engine/run_context.hpp"

#include <profo/sdk/admin.hpp>
#include <profo/sdk/text.hpp>

#include <algorithm>
#include <cctype>
#include <ctime>

namespace profo::host {

namespace {

using Kind = sdk::InboundEvent::Kind;

sdk::OutboundMessage text_message(const std::string& text) {
    sdk::OutboundMessage m;
    m.text = text;
    return m;
}

std::string problem_lines(const std::vector<CourseProblem>& problems) {
    std::string lines;
    for (const auto& p : problems) lines += "\n" + p.to_string();
    return lines;
}

bool is_member(sdk::StorageTx& tx, sdk::Id account_id, std::int64_t user_id) {
    const auto memberships = tx.memberships_of(user_id);
    return std::any_of(memberships.begin(), memberships.end(),
                       [&](const sdk::AccountMember& m) { return m.account_id == account_id; });
}

std::string stem_of(const std::string& file_name) {
    const auto dot = file_name.rfind('.');
    const std::string stem = dot == std::string::npos || dot == 0 ? file_name : file_name.substr(0, dot);
    return std::string(sdk::trim(stem));
}

std::string utc_minute(sdk::Millis at) {
    const std::time_t seconds = static_cast<std::time_t>(at / 1000);
    std::tm parts{};
    gmtime_r(&seconds, &parts);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M", &parts);
    return text;
}

constexpr std::size_t kMaxCourseMiB = kMaxCourseBytes / (std::size_t{1024} * 1024);

const char* const kHowToSend = "Send the course now: a YAML file, or its text in a message. /cancel stops.";

}  // namespace

ChatAuthoring::ChatAuthoring(const PluginRegistry& plugins, const sdk::Clock& clock)
    : plugins_(plugins), clock_(clock) {}

sdk::Millis ChatAuthoring::now() const {
    return to_millis(clock_.now());
}

std::optional<std::vector<sdk::OutboundMessage>> ChatAuthoring::handle(sdk::StorageTx& tx, sdk::Id account_id,
                                                                       const sdk::InboundEvent& event) {
    if (event.kind != Kind::text && event.kind != Kind::document) return std::nullopt;
    // Private chats only: a course sent in a group would be everyone's to read.
    if (event.chat_id != event.user_id) return std::nullopt;
    const bool document = event.kind == Kind::document;
    const auto command = parse_chat_command(document ? event.caption : event.text);
    if (command && (command->name == "create" || command->name == "edit" || command->name == "cancel")) {
        if (!is_member(tx, account_id, event.user_id)) return std::nullopt;
        // What came with the command: the file, or the text below its line.
        std::optional<std::string> content;
        if (document)
            content = event.text;
        else if (!sdk::trim(command->body).empty())
            content = command->body;
        if (command->name == "create") return create(tx, account_id, event, command->argument, content);
        if (command->name == "edit") return edit(tx, account_id, event, command->argument, content);
        if (tx.clear_chat_authoring(account_id, event.bot_id, event.chat_id))
            return Answers{text_message("Stopped: nothing was imported.")};
        return std::nullopt;  // nothing to stop: an ordinary message
    }
    const auto waiting = tx.find_chat_authoring(account_id, event.bot_id, event.chat_id);
    if (!waiting || waiting->user_id != event.user_id) return std::nullopt;
    if (waiting->expires_at <= now() || !is_member(tx, account_id, event.user_id)) {
        tx.clear_chat_authoring(account_id, event.bot_id, event.chat_id);
        if (!document) return std::nullopt;
        return Answers{text_message("This file came after /" + waiting->mode +
                                    " had lapsed (it waits an hour): nothing was imported. Send /" +
                                    waiting->mode + " again.")};
    }
    return receive(tx, account_id, event, *waiting);
}

ChatAuthoring::Answers ChatAuthoring::create(sdk::StorageTx& tx, sdk::Id account_id,
                                             const sdk::InboundEvent& event, const std::string& name,
                                             const std::optional<std::string>& content) {
    if (!name.empty())
        if (const auto existing = tx.find_course(account_id, name))
            return {text_message("The account has a course called '" + name + "' already (course " +
                                 std::to_string(existing->id) + "): send /edit " + name +
                                 " to change it, or /create with another name.")};
    if (content) {
        tx.clear_chat_authoring(account_id, event.bot_id, event.chat_id);
        return import_new(tx, account_id, event, name, *content);
    }
    wait_for_file(tx, account_id, event, "create", name, std::nullopt);
    return {text_message(std::string(kHowToSend) +
                         (name.empty() ? " The course takes the file's name (/create NAME names it)." : ""))};
}

ChatAuthoring::Answers ChatAuthoring::edit(sdk::StorageTx& tx, sdk::Id account_id,
                                           const sdk::InboundEvent& event, const std::string& course_ref,
                                           const std::optional<std::string>& content) {
    if (course_ref.empty()) {
        const auto courses = tx.list_courses(account_id);
        if (courses.empty())
            return {text_message("The account has no courses yet: send /create to make one.")};
        std::string list = "Send /edit and the course's name or number:";
        for (const auto& c : courses) list += "\n" + std::to_string(c.id) + "  " + c.name;
        Answers answers;
        answers.push_back(text_message(list));
        return answers;
    }
    const auto course = find_course_by_ref(tx, account_id, course_ref);
    if (!course)
        return {text_message("The account has no course '" + course_ref + "'. Send /edit to list them.")};
    if (content) {
        tx.clear_chat_authoring(account_id, event.bot_id, event.chat_id);
        return publish(tx, account_id, event, *course, *content);
    }
    const auto versions = tx.list_versions(account_id, course->id);
    if (versions.empty())
        return {text_message("Course '" + course->name + "' has no version yet: send its file with /edit " +
                             std::to_string(course->id) + " as the caption.")};
    const auto latest = std::max_element(versions.begin(), versions.end(),
                                         [](const auto& a, const auto& b) { return a.number < b.number; });
    sdk::OutboundMessage file;
    file.kind = sdk::OutboundMessage::Kind::document;
    file.file_name = course_file_name(course->name);
    file.file_content = export_course_yaml(tx.version_elements(account_id, latest->id));
    file.text = course->name + ", version " + std::to_string(latest->number);
    wait_for_file(tx, account_id, event, "edit", course->name, course->id);
    return {std::move(file),
            text_message("Change the file and send it back: it becomes version " +
                         std::to_string(latest->number + 1) + " of '" + course->name + "'. /cancel stops.")};
}

ChatAuthoring::Answers ChatAuthoring::receive(sdk::StorageTx& tx, sdk::Id account_id,
                                              const sdk::InboundEvent& event,
                                              const sdk::ChatAuthoring& waiting) {
    tx.clear_chat_authoring(account_id, event.bot_id, event.chat_id);
    if (waiting.mode == "edit") {
        const auto course = waiting.course_id ? tx.get_course(account_id, *waiting.course_id) : std::nullopt;
        if (!course) return {text_message("The course you were editing is gone: nothing was published.")};
        return publish(tx, account_id, event, *course, event.text);
    }
    return import_new(tx, account_id, event, waiting.course_name, event.text);
}

ChatAuthoring::Answers ChatAuthoring::import_new(sdk::StorageTx& tx, sdk::Id account_id,
                                                 const sdk::InboundEvent& event, std::string name,
                                                 const std::string& content) {
    const bool document = event.kind == Kind::document;
    if (document && content.empty())
        return {text_message(event.file_size > static_cast<std::int64_t>(kMaxCourseBytes)
                                 ? "The file is " + std::to_string(event.file_size) +
                                       " bytes; a course file is at most " + std::to_string(kMaxCourseMiB) +
                                       " MiB. Nothing was imported."
                                 : "The file could not be read: send it again, or send the course as text.")};
    const std::string given = name;  // kept for the next try when this one fails
    if (name.empty()) name = document ? stem_of(event.file_name) : "";
    if (name.empty()) name = "Course from the chat, " + utc_minute(now()) + " UTC";
    if (const auto existing = tx.find_course(account_id, name)) {
        wait_for_file(tx, account_id, event, "create", given, std::nullopt);
        return {
            text_message("The account has a course called '" + name + "' already (course " +
                         std::to_string(existing->id) + "): send /edit " + std::to_string(existing->id) +
                         " to change it, or send the file again under another name. Nothing was imported.")};
    }
    const std::string file = document && !event.file_name.empty() ? event.file_name : "message";
    auto check = check_course(content, file, plugins_);
    Answers answers;
    if (!check.ok()) {
        // Still waiting: the author fixes the file and sends it again.
        wait_for_file(tx, account_id, event, "create", given, std::nullopt);
        answers.push_back(text_message("The course was not imported:" + problem_lines(check.problems) +
                                       "\nFix it and send it again, or /cancel."));
        return answers;
    }
    const auto elements = check.elements->size();
    const auto result = import_course(tx, std::move(check), file, account_id, name);
    answers.push_back(text_message(
        "Imported course '" + result.course.name + "' (course " + std::to_string(result.course.id) +
        "), version " + std::to_string(result.version.number) + ": " + std::to_string(elements) +
        " elements." + (result.warnings.empty() ? "" : "\nWarnings:" + problem_lines(result.warnings)) +
        "\nDeploy it to a bot in the panel to let students in."));
    return answers;
}

ChatAuthoring::Answers ChatAuthoring::publish(sdk::StorageTx& tx, sdk::Id account_id,
                                              const sdk::InboundEvent& event, const sdk::Course& course,
                                              const std::string& content) {
    const bool document = event.kind == Kind::document;
    if (document && content.empty())
        return {text_message("The file could not be read (a course file is at most " +
                             std::to_string(kMaxCourseMiB) + " MiB): nothing was published. Send it again.")};
    const std::string file = document && !event.file_name.empty() ? event.file_name : "message";
    auto check = check_course(content, file, plugins_);
    Answers answers;
    if (!check.ok()) {
        wait_for_file(tx, account_id, event, "edit", course.name, course.id);
        answers.push_back(text_message("Nothing was published:" + problem_lines(check.problems) +
                                       "\nFix it and send it again, or /cancel."));
        return answers;
    }
    const auto result = publish_course(tx, std::move(check), file, account_id, std::to_string(course.id));
    if (!result.published) {
        answers.push_back(text_message("Nothing changed: the file holds what version " +
                                       std::to_string(result.version.number) + " of '" + course.name +
                                       "' holds."));
        return answers;
    }
    answers.push_back(
        text_message("Published version " + std::to_string(result.version.number) + " of '" + course.name +
                     "': " + std::to_string(result.elements) + " elements." +
                     (result.warnings.empty() ? "" : "\nWarnings:" + problem_lines(result.warnings)) +
                     "\nDeployments keep the version they run until you move them to this one in "
                     "the panel."));
    return answers;
}

void ChatAuthoring::wait_for_file(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                                  const std::string& mode, const std::string& name,
                                  std::optional<sdk::Id> course_id) {
    sdk::ChatAuthoring waiting;
    waiting.bot_id = event.bot_id;
    waiting.chat_id = event.chat_id;
    waiting.user_id = event.user_id;
    waiting.mode = mode;
    waiting.course_name = name;
    waiting.course_id = course_id;
    waiting.expires_at =
        now() + std::chrono::duration_cast<std::chrono::milliseconds>(kAuthoringWait).count();
    tx.set_chat_authoring(account_id, waiting);
}

}  // namespace profo::host
