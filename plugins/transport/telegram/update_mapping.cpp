#include "update_mapping.hpp"

#include <boost/algorithm/string/predicate.hpp>

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <string_view>

namespace profo::telegram {

namespace {

using nlohmann::json;

// Thrown while reading one update; becomes a `malformed` outcome.
struct Unreadable : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const json& field(const json& object, const char* name, const std::string& where) {
    if (!object.is_object()) throw Unreadable("'" + where + "' is not an object");
    auto it = object.find(name);
    if (it == object.end()) throw Unreadable("'" + where + "." + name + "' is missing");
    return *it;
}

std::int64_t integer(const json& object, const char* name, const std::string& where) {
    const auto& value = field(object, name, where);
    if (!value.is_number_integer()) throw Unreadable("'" + where + "." + name + "' is not an integer");
    return value.get<std::int64_t>();
}

std::string text_or_empty(const json& object, const char* name) {
    if (!object.is_object()) return {};
    auto it = object.find(name);
    return it != object.end() && it->is_string() ? it->get<std::string>() : std::string{};
}

std::string string_field(const json& object, const char* name, const std::string& where) {
    const auto& value = field(object, name, where);
    if (!value.is_string()) throw Unreadable("'" + where + "." + name + "' is not a string");
    return value.get<std::string>();
}

// Who acted: `from` when present (absent in channels), else the chat.
void set_sender(sdk::InboundEvent& event, const json& container, const std::string& where) {
    auto from = container.find("from");
    if (from != container.end()) {
        event.user_id = integer(*from, "id", where + ".from");
        event.username = text_or_empty(*from, "username");
    } else {
        event.user_id = event.chat_id;
    }
}

MappedUpdate map_message(const json& message, sdk::Id bot_id, std::string_view bot_username) {
    MappedUpdate mapped;
    auto& event = mapped.event;
    event.bot_id = bot_id;
    event.chat_id = integer(field(message, "chat", "message"), "id", "message.chat");
    set_sender(event, message, "message");
    mapped.outcome = MappedUpdate::Outcome::event;
    if (auto via = message.find("via_bot"); via != message.end() && !via->is_null()) {
        // An inline result the user's app sent through a bot, such as a
        // Mini App's answer (answerWebAppQuery): content a bot made, not
        // the student's answer to what the course asked.
        mapped.outcome = MappedUpdate::Outcome::skipped;
        mapped.reason = "a message sent via a bot";
        return mapped;
    }
    if (auto text = message.find("text"); text != message.end()) {
        if (!text->is_string()) throw Unreadable("'message.text' is not a string");
        const auto value = text->get<std::string>();
        if (auto argument = start_argument(value, bot_username)) {
            event.kind = sdk::InboundEvent::Kind::start;
            mapped.start_payload = *argument;
            event.text = *argument;
        } else {
            event.kind = sdk::InboundEvent::Kind::text;
            event.text = value;
        }
    } else if (auto contact = message.find("contact"); contact != message.end()) {
        // A shared contact answers as its phone number would typed
        // (an input that asks for a phone, `validate: phone`).
        event.kind = sdk::InboundEvent::Kind::text;
        event.text = string_field(*contact, "phone_number", "message.contact");
    } else if (auto voice = message.find("voice"); voice != message.end()) {
        event.kind = sdk::InboundEvent::Kind::voice;
        event.text = string_field(*voice, "file_id", "message.voice");
    } else if (auto data = message.find("web_app_data"); data != message.end()) {
        event.kind = sdk::InboundEvent::Kind::web_app_data;
        event.text = string_field(*data, "data", "message.web_app_data");
    } else if (auto document = message.find("document"); document != message.end()) {
        // The content is the transport's to fetch (fetch_document), before dispatch.
        event.kind = sdk::InboundEvent::Kind::document;
        mapped.file_id = string_field(*document, "file_id", "message.document");
        mapped.mime_type = text_or_empty(*document, "mime_type");
        event.file_name = text_or_empty(*document, "file_name");
        if (auto size = document->find("file_size"); size != document->end() && size->is_number_integer())
            event.file_size = size->get<std::int64_t>();
        event.caption = text_or_empty(message, "caption");
    } else {
        mapped.outcome = MappedUpdate::Outcome::skipped;
        mapped.reason = "a message without text, contact, voice, web_app_data or document";
    }
    return mapped;
}

MappedUpdate map_callback(const json& query, sdk::Id bot_id) {
    MappedUpdate mapped;
    mapped.outcome = MappedUpdate::Outcome::event;
    auto& event = mapped.event;
    event.kind = sdk::InboundEvent::Kind::callback;
    event.bot_id = bot_id;
    event.callback_id = string_field(query, "id", "callback_query");
    event.user_id = integer(field(query, "from", "callback_query"), "id", "callback_query.from");
    event.username = text_or_empty(query["from"], "username");
    // An inline-mode message has no chat: the private chat is the user's.
    auto message = query.find("message");
    event.chat_id = message != query.end() && message->is_object() && message->contains("chat")
                        ? integer((*message)["chat"], "id", "callback_query.message.chat")
                        : event.user_id;
    // Game buttons carry no data; the engine still answers the query.
    event.callback_data = text_or_empty(query, "data");
    return mapped;
}

MappedUpdate map_poll_answer(const json& answer, sdk::Id bot_id) {
    MappedUpdate mapped;
    auto user = answer.find("user");
    if (user == answer.end()) {
        // Anonymous voters (voter_chat) are not students the platform knows.
        mapped.reason = "a poll answer without a user";
        return mapped;
    }
    mapped.outcome = MappedUpdate::Outcome::event;
    auto& event = mapped.event;
    event.kind = sdk::InboundEvent::Kind::poll_answer;
    event.bot_id = bot_id;
    event.poll_id = string_field(answer, "poll_id", "poll_answer");
    event.user_id = integer(*user, "id", "poll_answer.user");
    event.username = text_or_empty(*user, "username");
    event.chat_id = event.user_id;  // polls go to private chats, whose id is the user's
    const auto& options = field(answer, "option_ids", "poll_answer");
    if (!options.is_array()) throw Unreadable("'poll_answer.option_ids' is not a list");
    for (std::size_t i = 0; i < options.size(); ++i) {
        if (!options[i].is_number_integer() || options[i].get<std::int64_t>() < 0 ||
            options[i].get<std::int64_t>() > 1000)
            throw Unreadable("'poll_answer.option_ids[" + std::to_string(i) + "]' is not an option index");
        event.options.push_back(options[i].get<int>());
    }
    return mapped;
}

MappedUpdate map_chat_member(const json& change, sdk::Id bot_id) {
    MappedUpdate mapped;
    const auto chat_id = integer(field(change, "chat", "my_chat_member"), "id", "my_chat_member.chat");
    const auto status = string_field(field(change, "new_chat_member", "my_chat_member"), "status",
                                     "my_chat_member.new_chat_member");
    auto& event = mapped.event;
    event.bot_id = bot_id;
    event.chat_id = chat_id;
    set_sender(event, change, "my_chat_member");
    if (status == "kicked") {
        event.kind = sdk::InboundEvent::Kind::blocked;
    } else if (status == "member") {
        event.kind = sdk::InboundEvent::Kind::unblocked;
    } else {
        mapped.reason = "my_chat_member status '" + status + "'";
        return mapped;
    }
    mapped.outcome = MappedUpdate::Outcome::event;
    return mapped;
}

}  // namespace

bool wants_document_content(const MappedUpdate& mapped, std::int64_t max_bytes) {
    const auto& event = mapped.event;
    if (event.kind != sdk::InboundEvent::Kind::document || mapped.file_id.empty()) return false;
    if (event.file_size <= 0 || event.file_size > max_bytes) return false;
    auto ends_with = [&](std::string_view suffix) {
        const auto& name = event.file_name;
        if (name.size() < suffix.size()) return false;
        for (std::size_t i = 0; i < suffix.size(); ++i)
            if (std::tolower(static_cast<unsigned char>(name[name.size() - suffix.size() + i])) != suffix[i])
                return false;
        return true;
    };
    return ends_with(".yml") || ends_with(".yaml") || ends_with(".txt") ||
           mapped.mime_type.rfind("text/", 0) == 0 || mapped.mime_type.find("yaml") != std::string::npos;
}

std::optional<std::string> start_argument(const std::string& text, std::string_view bot_username) {
    constexpr std::string_view kCommand = "/start";
    constexpr std::string_view kSpace = " \t\n\r";
    const std::string_view all(text);
    const auto word_end = std::min(all.find_first_of(kSpace), all.size());
    const auto word = all.substr(0, word_end);
    const auto at = std::min(word.find('@'), word.size());
    if (!boost::algorithm::iequals(word.substr(0, at), kCommand)) return std::nullopt;  // "/startle" is text
    if (at < word.size() && !bot_username.empty() &&
        !boost::algorithm::iequals(word.substr(at + 1), bot_username))
        return std::nullopt;  // addressed to another bot
    const auto first = all.find_first_not_of(kSpace, word_end);
    if (first == std::string_view::npos) return std::string{};
    const auto last = all.find_last_not_of(kSpace);
    return std::string(all.substr(first, last - first + 1));
}

MappedUpdate map_update(const nlohmann::json& update, sdk::Id bot_id, std::string_view bot_username) {
    MappedUpdate mapped;
    try {
        if (!update.is_object()) throw Unreadable("the update is not an object");
        auto id = update.find("update_id");
        if (id == update.end() || !id->is_number_integer())
            throw Unreadable("'update_id' is missing or not an integer");
        const auto update_id = id->get<std::int64_t>();
        if (auto it = update.find("message"); it != update.end())
            mapped = map_message(*it, bot_id, bot_username);
        else if (auto it = update.find("callback_query"); it != update.end())
            mapped = map_callback(*it, bot_id);
        else if (auto it = update.find("poll_answer"); it != update.end())
            mapped = map_poll_answer(*it, bot_id);
        else if (auto it = update.find("my_chat_member"); it != update.end())
            mapped = map_chat_member(*it, bot_id);
        else
            mapped.reason = "an update of a kind the platform does not handle";
        mapped.update_id = update_id;
        mapped.event.update_id = update_id;
    } catch (const Unreadable& e) {
        const auto id = mapped.update_id;
        mapped = MappedUpdate{};
        mapped.outcome = MappedUpdate::Outcome::malformed;
        mapped.reason = e.what();
        if (update.is_object() && update.contains("update_id") && update["update_id"].is_number_integer())
            mapped.update_id = update["update_id"].get<std::int64_t>();
        else
            mapped.update_id = id;
    } catch (const std::exception& e) {  // json type errors we did not foresee
        mapped = MappedUpdate{};
        mapped.outcome = MappedUpdate::Outcome::malformed;
        mapped.reason = std::string("unreadable update: ") + e.what();
        if (update.is_object() && update.contains("update_id") && update["update_id"].is_number_integer())
            mapped.update_id = update["update_id"].get<std::int64_t>();
    }
    return mapped;
}

}  // namespace profo::telegram
