#include "bot_api_call.hpp"

#include <profo/sdk/json_input.hpp>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <random>

namespace profo::telegram {

namespace {

using nlohmann::json;
using Kind = sdk::OutboundMessage::Kind;

std::string lower(std::string_view text) {
    std::string out(text);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

void add_parse_mode(json& params, const sdk::OutboundMessage& message) {
    if (auto mode = bot_api_parse_mode(message.parse_mode); !mode.empty()) params["parse_mode"] = mode;
}

void add_caption(json& params, const sdk::OutboundMessage& message) {
    if (message.text.empty()) return;
    params["caption"] = message.text;
    add_parse_mode(params, message);
}

json inline_keyboard(const std::vector<sdk::OutboundButton>& buttons) {
    auto rows = json::array();
    for (const auto& b : buttons) {
        json button{{"text", b.text}};
        if (!b.web_app_url.empty())
            button["web_app"] = {{"url", b.web_app_url}};
        else
            button["callback_data"] = b.callback_data;
        rows.push_back(json::array({button}));
    }
    return {{"inline_keyboard", rows}};
}

std::string_view media_type(sdk::OutboundMedia::Type type) {
    switch (type) {
        case sdk::OutboundMedia::Type::photo: return "photo";
        case sdk::OutboundMedia::Type::video: return "video";
        case sdk::OutboundMedia::Type::audio: return "audio";
    }
    return "photo";
}

BotApiCall single_media(const sdk::OutboundMessage& message, const sdk::OutboundMedia& item,
                        std::int64_t chat_id) {
    const auto type = std::string(media_type(item.type));
    std::string method = "sendPhoto";
    if (item.type == sdk::OutboundMedia::Type::video) method = "sendVideo";
    if (item.type == sdk::OutboundMedia::Type::audio) method = "sendAudio";
    json params{{"chat_id", chat_id}, {type, item.url}};
    add_caption(params, message);
    return {method, params};
}

}  // namespace

std::string bot_api_parse_mode(std::string_view parse_mode) {
    const auto mode = lower(parse_mode);
    if (mode == "html") return "HTML";
    if (mode == "markdown") return "Markdown";
    if (mode == "markdownv2") return "MarkdownV2";
    return {};
}

BotApiCall bot_api_call(const sdk::OutboundMessage& message, std::int64_t chat_id) {
    switch (message.kind) {
        case Kind::text: {
            json params{{"chat_id", chat_id}, {"text", message.text}};
            add_parse_mode(params, message);
            if (!message.link_preview) params["link_preview_options"] = {{"is_disabled", true}};
            if (!message.buttons.empty()) params["reply_markup"] = inline_keyboard(message.buttons);
            return {"sendMessage", params};
        }
        case Kind::media: {
            if (message.media.empty()) throw sdk::OutboundFormatError("'media' of a media message is empty");
            if (message.media.size() > 10)
                throw sdk::OutboundFormatError("'media' has " + std::to_string(message.media.size()) +
                                               " items; an album takes at most 10");
            if (message.media.size() == 1) return single_media(message, message.media[0], chat_id);
            auto items = json::array();
            for (const auto& item : message.media) {
                json entry{{"type", media_type(item.type)}, {"media", item.url}};
                // The album's caption is the first item's, as Telegram shows it.
                if (items.empty()) add_caption(entry, message);
                items.push_back(entry);
            }
            return {"sendMediaGroup", {{"chat_id", chat_id}, {"media", items}}};
        }
        case Kind::audio: {
            if (message.media.empty()) throw sdk::OutboundFormatError("'url' of an audio message is empty");
            json params{{"chat_id", chat_id}, {"audio", message.media[0].url}};
            add_caption(params, message);
            return {"sendAudio", params};
        }
        case Kind::poll: {
            json params{{"chat_id", chat_id},
                        {"question", message.text},
                        {"options", message.poll_options},
                        {"is_anonymous", false},
                        {"type", message.quiz ? "quiz" : "regular"}};
            if (message.quiz && message.correct_option) params["correct_option_id"] = *message.correct_option;
            if (message.multiple_answers) params["allows_multiple_answers"] = true;
            return {"sendPoll", params};
        }
        case Kind::typing: return {"sendChatAction", {{"chat_id", chat_id}, {"action", "typing"}}};
        case Kind::callback_answer: {
            json params{{"callback_query_id", message.callback_id}};
            if (!message.text.empty()) params["text"] = message.text;
            return {"answerCallbackQuery", params};
        }
        case Kind::document: {
            if (message.file_content.empty())
                throw sdk::OutboundFormatError(
                    "'content' of a document is empty (Telegram refuses empty files)");
            json params{{"chat_id", chat_id}};
            add_caption(params, message);
            return {"sendDocument", params,
                    BotApiUpload{"document", message.file_name, message.file_content}};
        }
    }
    throw sdk::OutboundFormatError("unknown message kind");
}

namespace {

std::string form_value(const json& value) {
    return value.is_string() ? value.get<std::string>()
                             : value.dump(-1, ' ', false, json::error_handler_t::replace);
}

// A header's quoted-string: what would end it or the header is left out.
std::string header_quoted(std::string_view text) {
    std::string out;
    for (const char c : text) {
        if (c == '"')
            out += "%22";
        else if (c != '\r' && c != '\n')
            out += c;
    }
    return out;
}

}  // namespace

std::string multipart_body(const json& params, const BotApiUpload& file, std::string_view boundary) {
    std::string body;
    const std::string dash = "--" + std::string(boundary);
    for (const auto& [name, value] : params.items()) {
        body += dash + "\r\nContent-Disposition: form-data; name=\"" + header_quoted(name) + "\"\r\n\r\n";
        body += form_value(value) + "\r\n";
    }
    body += dash + "\r\nContent-Disposition: form-data; name=\"" + header_quoted(file.field) +
            "\"; filename=\"" + header_quoted(file.file_name) +
            "\"\r\nContent-Type: application/octet-stream\r\n\r\n";
    body += file.content + "\r\n" + dash + "--\r\n";
    return body;
}

std::string multipart_boundary(const json& params, const BotApiUpload& file) {
    static thread_local std::mt19937_64 random{std::random_device{}()};
    const std::string fields = params.dump(-1, ' ', false, json::error_handler_t::replace);
    for (;;) {
        char hex[17];
        std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(random()));
        std::string boundary = std::string("profo-") + hex;
        if (file.content.find(boundary) == std::string::npos && fields.find(boundary) == std::string::npos &&
            file.file_name.find(boundary) == std::string::npos)
            return boundary;
    }
}

BotApiOutcome classify_reply(int status, std::string_view body) {
    BotApiOutcome outcome;
    outcome.error_code = status;
    if (status == 0) {
        outcome.description = std::string(body);
        return outcome;  // transient
    }
    json reply = sdk::parse_json_input(body);
    if (!reply.is_object() || !reply.contains("ok") || !reply["ok"].is_boolean()) {
        outcome.kind = status >= 400 && status < 500 && status != 429 ? BotApiOutcome::Kind::permanent
                                                                      : BotApiOutcome::Kind::transient;
        outcome.description = "HTTP " + std::to_string(status) + " with an answer that is not the Bot API's";
        return outcome;
    }
    if (reply["ok"].get<bool>()) {
        outcome.kind = BotApiOutcome::Kind::ok;
        if (auto result = reply.find("result"); result != reply.end()) outcome.result = std::move(*result);
        return outcome;
    }
    if (reply.contains("error_code") && reply["error_code"].is_number_integer())
        outcome.error_code = reply["error_code"].get<int>();
    if (reply.contains("description") && reply["description"].is_string())
        outcome.description = reply["description"].get<std::string>();
    const int code = outcome.error_code;
    if (code == 429) {
        outcome.kind = BotApiOutcome::Kind::retry_after;
        outcome.retry_after_s = 1;
        const auto& parameters = reply.value("parameters", json::object());
        if (parameters.is_object() && parameters.contains("retry_after") &&
            parameters["retry_after"].is_number_integer())
            outcome.retry_after_s = std::max(1, parameters["retry_after"].get<int>());
    } else if (code >= 500 || code == 409) {
        outcome.kind = BotApiOutcome::Kind::transient;
    } else if (code == 403) {
        const auto text = lower(outcome.description);
        const bool gone = text.find("blocked") != std::string::npos ||
                          text.find("deactivated") != std::string::npos ||
                          text.find("kicked") != std::string::npos;
        outcome.kind = gone ? BotApiOutcome::Kind::blocked : BotApiOutcome::Kind::permanent;
    } else {
        outcome.kind = BotApiOutcome::Kind::permanent;
    }
    if (outcome.description.empty()) outcome.description = "HTTP " + std::to_string(code);
    return outcome;
}

}  // namespace profo::telegram
