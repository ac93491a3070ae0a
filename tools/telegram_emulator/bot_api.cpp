#include "bot_api.h"

#include "bot_api_error.h"
#include "reply_markup.h"
#include "text_entities.h"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cctype>
#include <set>

namespace profo::telegram_emulator {

using nlohmann::json;
namespace http = boost::beast::http;

namespace {

constexpr std::size_t kMaxTextLength = 4096;
constexpr std::size_t kMaxCaptionLength = 1024;
constexpr std::int64_t kMaxDownloadSize = 20 << 20;  // getFile serves files up to 20 MB
constexpr std::size_t kMaxUploadSize = 50 << 20;     // what Telegram takes from a bot per file

const std::string kConflictOtherPoll =
    "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running";
const std::string kConflictWebhook =
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook "
    "first";
// What a parked getUpdates gets when setWebhook ends it (the Bot API server's words).
const std::string kConflictSetWebhook = "Conflict: terminated by setWebhook request";
const std::string kQueryTooOld = "query is too old and response timeout expired or query ID is invalid";

std::size_t utf8_code_points(std::string_view s) {
    return static_cast<std::size_t>(std::count_if(
        s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

std::optional<std::int64_t> integer_or_throw(const BotApiParams& p, const std::string& key,
                                             BotApiError error) {
    try {
        return p.integer(key);
    } catch (const std::invalid_argument&) {
        throw error;
    }
}

// Text plus entities from text/parse_mode/entities (or caption/...).
FormattedText formatted(const BotApiParams& p, const std::string& text_key, const std::string& mode_key,
                        const std::string& entities_key) {
    const auto text = p.string(text_key).value_or("");
    // The Bot API server refuses this before it parses anything.
    if (text.size() > 32768) throw bad_request("Text is too long");
    const auto mode = p.string(mode_key).value_or("");
    auto parsed = parse_formatted(text, mode);
    if (!parsed.ok()) {
        if (parsed.error == "Unsupported parse_mode") throw bad_request("Unsupported parse_mode");
        throw BotApiError(400, "Bad Request: can't parse entities: " + parsed.error);
    }
    if (mode.empty() && p.has(entities_key)) {
        std::optional<json> given;
        try {
            given = p.json_value(entities_key);
        } catch (const std::invalid_argument&) {
            throw bad_request("Can't parse entities JSON object");
        }
        if (given && !given->is_array()) throw bad_request("Expected an Array of MessageEntity");
        if (given) parsed.value.entities = *given;
    }
    return parsed.value;
}

void put_text(json& content, const std::string& key, const std::string& entities_key,
              const FormattedText& t) {
    content[key] = t.text;
    if (!t.entities.empty()) content[entities_key] = t.entities;
}

ReplyMarkup markup_param(const BotApiParams& p) {
    if (!p.has("reply_markup")) return {};
    std::optional<json> value;
    try {
        value = p.json_value("reply_markup");
    } catch (const std::invalid_argument&) {
        throw bad_request("Can't parse reply keyboard markup JSON object");
    }
    return value ? parse_reply_markup(*value) : ReplyMarkup{};
}

std::optional<std::vector<std::string>> allowed_updates_param(const BotApiParams& p) {
    if (!p.has("allowed_updates")) return std::nullopt;
    std::optional<json> v;
    try {
        v = p.json_value("allowed_updates");
    } catch (const std::invalid_argument&) {
        return std::nullopt;  // the Bot API ignores an unreadable list
    }
    if (!v || !v->is_array()) return std::nullopt;
    std::vector<std::string> kinds;
    for (const auto& k : *v)
        if (k.is_string()) kinds.push_back(k.get<std::string>());
    return kinds;
}

bool is_valid_secret_token(const std::string& s) {
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
               c == '-';
    });
}

}  // namespace

std::string ok_body(const json& result, const std::string& description) {
    std::string body = "{\"ok\":true,\"result\":";
    body += result.dump();
    if (!description.empty()) body += ",\"description\":" + json(description).dump();
    body += '}';
    return body;
}

std::string error_body(const BotApiError& e) {
    json body{{"ok", false}, {"error_code", e.code}, {"description", e.description}};
    if (e.retry_after > 0) body["parameters"] = {{"retry_after", e.retry_after}};
    return body.dump();
}

HttpResponse error_response(const BotApiError& e, unsigned version, bool keep_alive) {
    auto r = json_response(static_cast<unsigned>(e.code), error_body(e), version, keep_alive);
    if (e.retry_after > 0) r.set(http::field::retry_after, std::to_string(e.retry_after));
    return r;
}

BotApi::BotApi(World& world, FaultInjector& faults) : world_(world), faults_(faults) {
    world_.on_update_queued = [this](Bot& bot) { on_update_queued(bot); };
}

namespace {

// Swallows the answer and closes the connection: the call happened but the
// reply was lost on the way.
class DroppingResponder : public Responder {
public:
    explicit DroppingResponder(ResponderPtr inner) : inner_(std::move(inner)) {}
    void send(HttpResponse&&) override { inner_->drop(); }
    void drop() override { inner_->drop(); }
    bool answered() const override { return inner_->answered(); }

private:
    ResponderPtr inner_;
};

// Holds a reply that is ready for `delay` before it goes out.
class HoldingResponder : public Responder, public std::enable_shared_from_this<HoldingResponder> {
public:
    HoldingResponder(boost::asio::io_context& io, std::chrono::milliseconds delay, ResponderPtr inner)
        : timer_(io, delay), inner_(std::move(inner)) {}
    void send(HttpResponse&& response) override {
        auto self = shared_from_this();
        auto held = std::make_shared<HttpResponse>(std::move(response));
        timer_.async_wait([self, held](boost::system::error_code) { self->inner_->send(std::move(*held)); });
    }
    void drop() override { inner_->drop(); }
    bool answered() const override { return inner_->answered(); }

private:
    boost::asio::steady_timer timer_;
    ResponderPtr inner_;
};

}  // namespace

void BotApi::handle(HttpRequest&& request, std::string token, std::string method, ResponderPtr responder) {
    ++world_.counters().bot_api_requests;
    std::transform(method.begin(), method.end(), method.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    const auto decision = faults_.decide(method);
    const bool held = decision.latency.count() > 0 && faults_.settings().latency_after_processing;
    if (held) responder = std::make_shared<HoldingResponder>(world_.io(), decision.latency, responder);
    auto run = [this, request = std::move(request), token = std::move(token), method = std::move(method),
                responder, decision]() mutable {
        using Kind = FaultDecision::Kind;
        if (decision.kind == Kind::error) {
            ++world_.counters().injected_errors;
            const BotApiError e(decision.status, fault_error_description(decision.status));
            responder->send(error_response(e, request.version(), request.keep_alive()));
            return;
        }
        if (decision.kind == Kind::drop) {
            ++world_.counters().dropped_connections;
            if (!faults_.settings().drop_after_processing) return responder->drop();
            responder = std::make_shared<DroppingResponder>(responder);
        }
        process(request, token, method, responder);
    };
    if (decision.latency.count() > 0 && !held) {
        auto timer = std::make_shared<boost::asio::steady_timer>(world_.io(), decision.latency);
        timer->async_wait([timer, run = std::move(run)](boost::system::error_code) mutable { run(); });
    } else {
        run();
    }
}

void BotApi::process(const HttpRequest& request, const std::string& token, const std::string& method,
                     const ResponderPtr& responder) {
    const auto version = request.version();
    const auto keep_alive = request.keep_alive();
    try {
        Bot* bot = world_.bot_by_token(token);
        if (!bot) throw BotApiError(401, "Unauthorized");
        const auto target = std::string_view(request.target());
        const auto q = target.find('?');
        const auto query = q == std::string_view::npos ? std::string_view() : target.substr(q + 1);
        BotApiParams params;
        try {
            params = BotApiParams::parse(request[http::field::content_type], request.body(), query);
        } catch (const std::invalid_argument& e) {
            throw BotApiError(400, e.what());
        }
        for (const auto& [k, v] : params.all().items())
            if (v.is_string() && !is_valid_utf8(v.get_ref<const std::string&>()))
                throw bad_request("Strings must be encoded in UTF-8");
        for (const auto& [name, upload] : params.files())
            if (upload.content.size() > kMaxUploadSize) throw BotApiError(413, "Request Entity Too Large");
        if (method == "getupdates") return get_updates(*bot, params, responder);
        std::string description;
        const auto result = call(*bot, method, params, description);
        responder->send(json_response(200, ok_body(result, description), version, keep_alive));
    } catch (const BotApiError& e) {
        if (e.code == 429) ++world_.counters().too_many_requests;
        responder->send(error_response(e, version, keep_alive));
    } catch (const json::exception&) {
        // A parameter of the wrong JSON type deep inside an object. The
        // library's own wording names its internals, not the request's.
        responder->send(
            error_response(bad_request("Can't parse parameters: a field has a value of the wrong type"),
                           version, keep_alive));
    }
}

json BotApi::call(Bot& bot, const std::string& method, const BotApiParams& p, std::string& description) {
    if (method == "getme") return get_me(bot);
    if (method == "sendmessage") return send_message(bot, p);
    if (method == "sendphoto") return send_media(bot, p, "photo");
    if (method == "sendvideo") return send_media(bot, p, "video");
    if (method == "sendaudio") return send_media(bot, p, "audio");
    if (method == "sendvoice") return send_media(bot, p, "voice");
    if (method == "senddocument") return send_media(bot, p, "document");
    if (method == "sendmediagroup") return send_media_group(bot, p);
    if (method == "sendpoll") return send_poll(bot, p);
    if (method == "sendchataction") return send_chat_action(bot, p);
    if (method == "answercallbackquery") return answer_callback_query(bot, p);
    if (method == "answerwebappquery") return answer_web_app_query(bot, p);
    if (method == "editmessagereplymarkup") return edit_message_reply_markup(bot, p);
    if (method == "setwebhook") return set_webhook(bot, p, description);
    if (method == "deletewebhook") return delete_webhook(bot, p, description);
    if (method == "getwebhookinfo") return get_webhook_info(bot);
    if (method == "getfile") return get_file(bot, p);
    throw BotApiError(404, "Not Found: method not found");
}

json BotApi::get_me(Bot& bot) {
    auto me = world_.bot_user_json(bot);
    me["can_join_groups"] = true;
    me["can_read_all_group_messages"] = false;
    me["supports_inline_queries"] = false;
    me["can_connect_to_business"] = false;
    me["has_main_web_app"] = false;
    return me;
}

PrivateChat& BotApi::target_chat(Bot& bot, const BotApiParams& p) {
    const auto raw = p.string("chat_id");
    if (!raw || raw->empty()) throw bad_request("chat_id is empty");
    const auto id = integer_or_throw(p, "chat_id", chat_not_found());
    // Only users who have talked to the bot are reachable, as in Telegram.
    auto* chat = id ? world_.find_chat(bot.id, *id) : nullptr;
    if (!chat) throw chat_not_found();
    return *chat;
}

void BotApi::check_can_send(const PrivateChat& chat) {
    const auto* user = world_.find_user(chat.user_id);
    if (user && user->deactivated) throw BotApiError(403, "Forbidden: user is deactivated");
    if (chat.blocked) throw BotApiError(403, "Forbidden: bot was blocked by the user");
}

void BotApi::check_flood(Bot& bot, const PrivateChat& chat) {
    const int retry_after = world_.rate_limiter().acquire(bot.id, chat.user_id, RateLimiter::Clock::now());
    if (retry_after > 0)
        throw BotApiError(429, "Too Many Requests: retry after " + std::to_string(retry_after), retry_after);
}

json BotApi::send_message(Bot& bot, const BotApiParams& p) {
    const auto markup = markup_param(p);
    const auto raw = p.string("text");
    if (!raw || raw->empty()) throw bad_request("Message text is empty");
    auto& chat = target_chat(bot, p);
    const auto text = formatted(p, "text", "parse_mode", "entities");
    if (is_blank(text.text)) throw bad_request("Message text is empty");
    if (utf8_code_points(text.text) > kMaxTextLength) throw bad_request("Message is too long");
    check_inline_keyboard(markup.inline_keyboard);
    check_can_send(chat);
    check_flood(bot, chat);
    json content = json::object();
    put_text(content, "text", "entities", text);
    if (!markup.inline_keyboard.is_null()) content["reply_markup"] = markup.inline_keyboard;
    ++world_.counters().messages_sent;
    return world_.add_message(chat, true, std::move(content), markup.other);
}

namespace {

// A media reference to a file part of the request: "upload:<part name>".
constexpr std::string_view kUploadPrefix = "upload:";

// What a media parameter refers to: an upload, attach://name, a URL, a file id.
std::optional<std::string> media_reference(const BotApiParams& p, const std::string& value) {
    constexpr std::string_view attach = "attach://";
    if (value.rfind(attach, 0) == 0) {
        const auto name = value.substr(attach.size());
        if (!p.file(name)) return std::nullopt;
        return std::string(kUploadPrefix) + name;
    }
    return value;
}

bool is_url(const std::string& s) {
    return s.rfind("http://", 0) == 0 || s.rfind("https://", 0) == 0;
}

const UploadedFile* upload_of(const BotApiParams& p, const std::string& reference) {
    if (reference.rfind(kUploadPrefix, 0) != 0) return nullptr;
    return p.file(reference.substr(kUploadPrefix.size()));
}

// The name an uploaded document gets, as the Bot API server stores the upload
// under a cleaned name (TDLib's clean_filename): characters that are unsafe
// in file names become spaces, control characters go, leading and trailing
// spaces and dots go; an empty result is "file".
std::string upload_file_name(const std::string& given) {
    if (!is_valid_utf8(given)) return "file";
    auto clean = [](std::string_view part) {
        std::string out;
        for (const char ch : part) {
            const auto c = static_cast<unsigned char>(ch);
            if (c < 32 || c == 127) continue;
            const bool unsafe = std::string_view("<>:\"/\\|?*&`'").find(ch) != std::string_view::npos;
            if (out.empty() && (unsafe || ch == ' ' || ch == '.')) continue;
            out += unsafe ? ' ' : ch;
        }
        while (!out.empty() && (out.back() == ' ' || out.back() == '.')) out.pop_back();
        return out;
    };
    // A client may send a path; the server keeps its last component.
    const auto slash = given.find_last_of("/\\");
    const auto base = slash == std::string::npos ? given : given.substr(slash + 1);
    const auto dot = base.rfind('.');
    auto name = clean(dot == std::string::npos ? base : base.substr(0, dot));
    const auto extension = dot == std::string::npos ? std::string() : clean(base.substr(dot + 1));
    if (!extension.empty()) name = name.empty() ? extension : name + "." + extension;
    return name.empty() ? "file" : name;
}

// The last path component of a URL, the name Telegram gives a document sent by URL.
std::string url_file_name(const std::string& url) {
    auto path = url.substr(0, url.find_first_of("?#"));
    const auto scheme_end = path.find("://");
    path = scheme_end == std::string::npos ? path : path.substr(scheme_end + 3);
    const auto slash = path.rfind('/');
    const auto name = slash == std::string::npos ? std::string() : url_decode(path.substr(slash + 1));
    return name.empty() ? "file" : upload_file_name(name);
}

}  // namespace

void BotApi::check_media_reference(Bot& bot, const BotApiParams& p, const std::string& reference) {
    if (const auto* upload = upload_of(p, reference)) {
        if (upload->content.empty()) throw bad_request("File must be non-empty");
        return;
    }
    if (is_url(reference) || world_.file_for_bot(reference, bot.id) || world_.settings().accept_any_file_id)
        return;
    throw bad_request("Wrong file identifier/HTTP URL specified");
}

json BotApi::media_object(Bot& bot, const BotApiParams& p, const std::string& kind,
                          const std::string& reference) {
    // Re-sending one of the bot's file ids keeps it; URLs and uploads make a new file.
    StoredFile* file = world_.file_for_bot(reference, bot.id);
    if (!file) {
        StoredFile made;
        made.kind = kind;
        made.bot_id = bot.id;
        if (const auto* upload = upload_of(p, reference)) {
            made.file_name = upload_file_name(upload->filename);
            const auto declared = upload->content_type.substr(0, upload->content_type.find(';'));
            made.mime_type =
                mime_type_for(made.file_name, declared.empty() ? "application/octet-stream" : declared);
            made.file_size = static_cast<std::int64_t>(upload->content.size());
            made.content = upload->content;
        } else {
            // A URL (or, with accept_any_file_id, a foreign id): known by size only.
            made.file_name = is_url(reference) ? url_file_name(reference) : "file.bin";
            made.mime_type = mime_type_for(made.file_name);
            made.file_size = kind == "photo" ? 800 * 533 / 4 : 20480;
        }
        file = &world_.add_file(std::move(made));
    }
    if (kind == "photo") {
        json sizes = json::array();
        const int dims[][2] = {{90, 60}, {320, 213}, {800, 533}};
        for (std::size_t i = 0; i < 3; ++i) {
            // The largest size is the file itself; the thumbnails are smaller.
            const auto thumbnail_size = std::min<std::int64_t>(dims[i][0] * dims[i][1] / 4, file->file_size);
            sizes.push_back({{"file_id", file->file_id},
                             {"file_unique_id", file->file_unique_id},
                             {"width", dims[i][0]},
                             {"height", dims[i][1]},
                             {"file_size", i == 2 ? file->file_size : thumbnail_size}});
        }
        return sizes;
    }
    if (kind == "document") return file->as_document();
    json m{
        {"file_id", file->file_id}, {"file_unique_id", file->file_unique_id}, {"file_size", file->file_size}};
    if (kind == "video") {
        m["width"] = 640;
        m["height"] = 360;
        m["duration"] = 10;
        m["mime_type"] = "video/mp4";
    } else if (kind == "audio") {
        m["duration"] = 180;
        m["mime_type"] = "audio/mpeg";
    } else if (kind == "voice") {
        m["duration"] = 5;
        m["mime_type"] = "audio/ogg";
    }
    return m;
}

json BotApi::send_media(Bot& bot, const BotApiParams& p, const std::string& kind) {
    const auto markup = markup_param(p);
    std::string reference;
    if (p.file(kind)) {
        reference = std::string(kUploadPrefix) + kind;
    } else {
        const auto given = p.string(kind).value_or("");
        const auto ref = given.empty() ? std::nullopt : media_reference(p, given);
        if (!ref) throw bad_request("There is no " + kind + " in the request");
        reference = *ref;
    }
    auto& chat = target_chat(bot, p);
    check_media_reference(bot, p, reference);
    const auto caption = formatted(p, "caption", "parse_mode", "caption_entities");
    if (utf8_code_points(caption.text) > kMaxCaptionLength) throw bad_request("Message caption is too long");
    check_inline_keyboard(markup.inline_keyboard);
    check_can_send(chat);
    check_flood(bot, chat);
    json content = json::object();
    content[kind] = media_object(bot, p, kind, reference);
    if (!caption.text.empty()) put_text(content, "caption", "caption_entities", caption);
    if (!markup.inline_keyboard.is_null()) content["reply_markup"] = markup.inline_keyboard;
    ++world_.counters().messages_sent;
    return world_.add_message(chat, true, std::move(content), markup.other);
}

json BotApi::send_media_group(Bot& bot, const BotApiParams& p) {
    if (!p.has("media")) throw bad_request("Parameter \"media\" is required");
    std::optional<json> media;
    try {
        media = p.json_value("media");
    } catch (const std::invalid_argument&) {
        throw bad_request("Can't parse media JSON object");
    }
    if (!media || !media->is_array()) throw bad_request("Expected an Array of InputMedia");
    struct Item {
        std::string kind, reference;
        FormattedText caption;
    };
    std::vector<Item> items;
    for (const auto& m : *media) {
        if (!m.is_object()) throw bad_request("Can't parse InputMedia: Object expected");
        const auto type = m.value("type", std::string());
        if (type != "photo" && type != "video" && type != "audio" && type != "document")
            throw bad_request("Can't parse InputMedia: unsupported media type \"" + type + "\"");
        const auto given = m.value("media", std::string());
        const auto ref = given.empty() ? std::nullopt : media_reference(p, given);
        if (!ref) throw bad_request("Can't parse InputMedia: media not found");
        auto parsed =
            parse_formatted(m.value("caption", std::string()), m.value("parse_mode", std::string()));
        if (!parsed.ok()) throw BotApiError(400, "Bad Request: can't parse entities: " + parsed.error);
        if (m.contains("caption_entities") && m.value("parse_mode", std::string()).empty())
            parsed.value.entities = m["caption_entities"];
        items.push_back({type, *ref, std::move(parsed.value)});
    }
    if (items.empty()) throw bad_request("There are no messages to send");
    if (items.size() > 10) throw bad_request("Too many messages to send as an album");
    // Telegram documents 2-10 items; one item is refused here with this wording.
    if (items.size() < 2) throw bad_request("Media group must contain 2-10 items");
    // Albums of audio and of documents hold only their own kind (TDLib's
    // is_homogenous_media_group_content); photos and videos mix.
    for (const char* alone : {"audio", "document"})
        for (const auto& item : items)
            if (item.kind != items.front().kind && (items.front().kind == alone || item.kind == alone)) {
                std::string kind = alone;
                kind.front() = static_cast<char>(std::toupper(static_cast<unsigned char>(kind.front())));
                throw bad_request(kind + " can't be mixed with other media types");
            }
    auto& chat = target_chat(bot, p);
    for (const auto& item : items) {
        check_media_reference(bot, p, item.reference);
        if (utf8_code_points(item.caption.text) > kMaxCaptionLength)
            throw bad_request("Message caption is too long");
    }
    check_can_send(chat);
    check_flood(bot, chat);
    const auto group_id =
        std::to_string(13000000000000000LL + chat.next_message_id * 1000 + chat.user_id % 1000);
    json sent = json::array();
    for (const auto& item : items) {
        json content = json::object();
        content["media_group_id"] = group_id;
        content[item.kind] = media_object(bot, p, item.kind, item.reference);
        if (!item.caption.text.empty()) put_text(content, "caption", "caption_entities", item.caption);
        ++world_.counters().messages_sent;
        sent.push_back(world_.add_message(chat, true, std::move(content)));
    }
    return sent;
}

json BotApi::send_poll(Bot& bot, const BotApiParams& p) {
    const auto markup = markup_param(p);
    std::optional<json> options;
    try {
        options = p.json_value("options");
    } catch (const std::invalid_argument&) {
        throw bad_request("Can't parse options JSON object");
    }
    if (!options) throw bad_request("Parameter \"options\" is required");
    if (!options->is_array()) throw bad_request("Expected an Array of String as options");
    std::vector<std::string> texts;
    for (const auto& o : *options) {
        if (o.is_string())
            texts.push_back(o.get<std::string>());
        else if (o.is_object() && o.contains("text") && o["text"].is_string())
            texts.push_back(o["text"].get<std::string>());
        else
            throw bad_request("Expected an option to be of type String");
    }
    const auto type = p.string("type").value_or("regular");
    if (type != "regular" && type != "quiz") throw bad_request("Unsupported poll type specified");
    auto& chat = target_chat(bot, p);
    const auto question = p.string("question").value_or("");
    if (is_blank(question)) throw bad_request("Poll question must be non-empty");
    if (utf8_code_points(question) > 300) throw bad_request("Poll question length must not exceed 300");
    if (texts.empty()) throw bad_request("Poll must have at least one answer option");
    if (texts.size() > 10) throw bad_request("Poll can't have more than 10 options");
    for (const auto& t : texts) {
        if (is_blank(t)) throw bad_request("Poll option must be non-empty");
        if (utf8_code_points(t) > 100) throw bad_request("Poll options length must not exceed 100");
    }
    if (texts.size() < 2) throw bad_request("POLL_ANSWERS_INVALID");
    const bool quiz = type == "quiz";
    const bool multiple = p.boolean("allows_multiple_answers");
    std::optional<std::int64_t> correct;
    if (quiz) {
        correct = integer_or_throw(p, "correct_option_id", bad_request("QUIZ_CORRECT_ANSWER_INVALID"));
        if (!correct) throw bad_request("QUIZ_CORRECT_ANSWERS_EMPTY");
        if (*correct < 0 || *correct >= static_cast<std::int64_t>(texts.size()))
            throw bad_request("QUIZ_CORRECT_ANSWER_INVALID");
        if (multiple) throw bad_request("QUIZ_MULTIPLE_INVALID");
    }
    check_inline_keyboard(markup.inline_keyboard);
    check_can_send(chat);
    check_flood(bot, chat);
    json poll = json::object();
    poll["id"] = "";
    poll["question"] = question;
    poll["options"] = json::array();
    for (const auto& t : texts) poll["options"].push_back({{"text", t}, {"voter_count", 0}});
    poll["total_voter_count"] = 0;
    poll["is_closed"] = false;
    poll["is_anonymous"] = p.boolean("is_anonymous", true);
    poll["type"] = type;
    poll["allows_multiple_answers"] = multiple;
    if (quiz) poll["correct_option_id"] = *correct;
    if (p.has("explanation")) poll["explanation"] = p.string("explanation").value_or("");
    auto& record = world_.add_poll(bot.id, chat.user_id, chat.next_message_id, std::move(poll));
    json content = json::object();
    content["poll"] = record.poll;
    if (!markup.inline_keyboard.is_null()) content["reply_markup"] = markup.inline_keyboard;
    ++world_.counters().messages_sent;
    return world_.add_message(chat, true, std::move(content), markup.other);
}

json BotApi::send_chat_action(Bot& bot, const BotApiParams& p) {
    static const std::set<std::string> kActions = {
        "typing",        "upload_photo",      "record_video",     "upload_video",
        "record_voice",  "upload_voice",      "upload_document",  "choose_sticker",
        "find_location", "record_video_note", "upload_video_note"};
    auto& chat = target_chat(bot, p);
    const auto action = p.string("action").value_or("");
    if (!kActions.count(action)) throw bad_request("Wrong parameter action in request");
    check_can_send(chat);
    chat.last_chat_action = action;
    if (world_.on_chat_changed) world_.on_chat_changed(chat);
    return true;
}

json BotApi::answer_callback_query(Bot& bot, const BotApiParams& p) {
    const auto id = p.string("callback_query_id").value_or("");
    auto* query = world_.find_callback_query(id);
    if (!query || query->bot_id != bot.id || query->answered) throw bad_request(kQueryTooOld);
    const auto text = p.string("text").value_or("");
    if (utf8_code_points(text) > 200) throw bad_request("MESSAGE_TOO_LONG");
    query->answered = true;
    if (auto* chat = world_.find_chat(bot.id, query->user_id)) {
        json answer{{"callback_query_id", id}, {"text", text}, {"show_alert", p.boolean("show_alert")}};
        if (p.has("url")) answer["url"] = p.string("url").value_or("");
        chat->callback_answers.push_back(std::move(answer));
        if (world_.on_chat_changed) world_.on_chat_changed(*chat);
    }
    return true;
}

json BotApi::answer_web_app_query(Bot& bot, const BotApiParams& p) {
    const auto id = p.string("web_app_query_id").value_or("");
    std::optional<json> result;
    try {
        result = p.json_value("result");
    } catch (const std::invalid_argument&) {
        throw bad_request("Can't parse inline query result JSON object");
    }
    if (!result) throw bad_request("Parameter \"result\" is required");
    if (!result->is_object() || !result->contains("type") || !result->contains("id"))
        throw bad_request("Can't parse inline query result JSON object");
    // Read whole before the query is used up: a refused answer changes nothing.
    const auto& imc =
        (*result).contains("input_message_content") ? (*result)["input_message_content"] : json();
    const json& shown =
        imc.is_object() ? imc.value("message_text", json("")) : result->value("title", json(""));
    if (!shown.is_string() && !shown.is_number())
        throw bad_request("Can't parse inline query result JSON object");
    auto* query = world_.find_web_app_query(id);
    if (!query || query->bot_id != bot.id || query->answered) throw bad_request(kQueryTooOld);
    query->answered = true;
    auto& chat = world_.chat(bot.id, query->user_id);
    chat.web_app_answers.push_back({{"web_app_query_id", id}, {"result", *result}});
    // The answer appears in the chat as the user's message sent via the bot,
    // and the bot gets it as any message of the chat.
    json content = json::object();
    content["text"] = shown.is_string() ? shown.get<std::string>() : shown.dump();
    content["via_bot"] = world_.bot_user_json(bot);
    auto& m = world_.add_message(chat, false, std::move(content));
    world_.enqueue_update(bot, "message", m, query->user_id);
    return {{"inline_message_id", "BAAAA" + id}};
}

json BotApi::edit_message_reply_markup(Bot& bot, const BotApiParams& p) {
    const auto markup = markup_param(p);
    if (p.has("inline_message_id") && !p.has("chat_id")) throw bad_request("MESSAGE_ID_INVALID");
    auto& chat = target_chat(bot, p);
    const auto message_id =
        integer_or_throw(p, "message_id", bad_request("Message identifier is not specified"));
    if (!message_id) throw bad_request("Message identifier is not specified");
    auto* stored = world_.find_message(chat, *message_id);
    if (!stored) throw bad_request("Message to edit not found");
    if (!stored->from_bot) throw bad_request("Message can't be edited");
    check_inline_keyboard(markup.inline_keyboard);
    auto& message = stored->message;
    const json current = message.contains("reply_markup") ? message["reply_markup"] : json();
    if (current == markup.inline_keyboard)
        throw bad_request(
            "message is not modified: specified new message content and reply markup are exactly the same as "
            "a "
            "current content and reply markup of the message");
    check_can_send(chat);
    check_flood(bot, chat);
    if (markup.inline_keyboard.is_null())
        message.erase("reply_markup");
    else
        message["reply_markup"] = markup.inline_keyboard;
    message["edit_date"] = world_.now();
    if (world_.on_chat_changed) world_.on_chat_changed(chat);
    return message;
}

json BotApi::set_webhook(Bot& bot, const BotApiParams& p, std::string& description) {
    const auto url = p.string("url").value_or("");
    if (url.empty()) return delete_webhook(bot, p, description);
    const auto parsed = parse_webhook_url(url);
    if (!parsed) throw bad_request("Invalid webhook URL specified");
    if (world_.settings().strict_webhook_urls) {
        if (parsed->scheme != "https")
            throw bad_request("bad webhook: An HTTPS URL must be provided for webhook");
        const auto port = parsed->port;
        if (port != 443 && port != 80 && port != 88 && port != 8443)
            throw bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443");
    }
    const auto secret = p.string("secret_token").value_or("");
    if (secret.size() > 256) throw bad_request("Secret token is too long");
    if (!is_valid_secret_token(secret)) throw bad_request("Secret token contains unallowed characters");
    int max_connections = 40;
    try {
        max_connections =
            static_cast<int>(std::clamp<std::int64_t>(p.integer("max_connections").value_or(40), 1, 100));
    } catch (const std::invalid_argument&) {
    }
    if (p.boolean("drop_pending_updates")) bot.queue.clear();
    bot.queue.set_allowed_updates(allowed_updates_param(p));
    if (bot.parked) finish_parked(bot, kConflictSetWebhook);
    const bool same = bot.webhook && bot.webhook->target().url == url &&
                      bot.webhook->target().secret_token == secret &&
                      bot.webhook->target().max_connections == max_connections;
    description = same ? "Webhook is already set" : "Webhook was set";
    if (!same) world_.set_webhook(bot, WebhookTarget{url, *parsed, secret, max_connections});
    return true;
}

json BotApi::delete_webhook(Bot& bot, const BotApiParams& p, std::string& description) {
    if (p.boolean("drop_pending_updates")) bot.queue.clear();
    description = bot.webhook ? "Webhook was deleted" : "Webhook is already deleted";
    world_.delete_webhook(bot);
    return true;
}

json BotApi::get_webhook_info(Bot& bot) {
    world_.expire_updates();
    json info = json::object();
    info["url"] = bot.webhook ? bot.webhook->target().url : "";
    info["has_custom_certificate"] = false;
    info["pending_update_count"] = bot.queue.size();
    if (bot.webhook) {
        if (bot.webhook->last_error_date() != 0) {
            info["last_error_date"] = bot.webhook->last_error_date();
            info["last_error_message"] = bot.webhook->last_error_message();
        }
        info["max_connections"] = bot.webhook->target().max_connections;
        if (const auto allowed = bot.queue.allowed_updates(); !allowed.empty())
            info["allowed_updates"] = allowed;
    }
    return info;
}

json BotApi::get_file(Bot& bot, const BotApiParams& p) {
    const auto file_id = p.string("file_id").value_or("");
    if (file_id.empty()) throw bad_request("file_id not specified");
    auto* file = world_.file_for_bot(file_id, bot.id);
    if (!file) throw bad_request("invalid file_id");
    if (file->file_size > kMaxDownloadSize) throw bad_request("file is too big");
    return {{"file_id", file->file_id},
            {"file_unique_id", file->file_unique_id},
            {"file_size", file->file_size},
            {"file_path", world_.file_path(*file)}};
}

void BotApi::download(const HttpRequest& request, const std::string& token, const std::string& file_path,
                      const ResponderPtr& responder) {
    const auto* bot = world_.bot_by_token(token);
    const auto* file = bot ? world_.file_by_path(bot->id, file_path) : nullptr;
    // An unknown token, an unknown path and another bot's path look alike, as on api.telegram.org.
    if (!file)
        return responder->send(
            error_response(BotApiError(404, "Not Found"), request.version(), request.keep_alive()));
    HttpResponse response{http::status::ok, request.version()};
    response.set(http::field::server, "profo-telegram-emulator");
    response.set(http::field::content_type, "application/octet-stream");
    response.keep_alive(request.keep_alive());
    response.body() =
        file->content ? *file->content : std::string(static_cast<std::size_t>(file->file_size), '\0');
    responder->send(std::move(response));
}

void BotApi::get_updates(Bot& bot, const BotApiParams& p, const ResponderPtr& responder) {
    if (bot.webhook) throw BotApiError(409, kConflictWebhook);
    // Each read as the Bot API server reads it, whatever the others are.
    const std::int64_t offset = p.leading_integer("offset", 0);
    const std::int64_t limit = std::clamp<std::int64_t>(p.leading_integer("limit", 100), 1, 100);
    const std::int64_t timeout = std::clamp<std::int64_t>(p.leading_integer("timeout", 0), 0, 50);
    bot.queue.set_allowed_updates(allowed_updates_param(p));
    // The newer request wins; the one it replaces learns why.
    if (bot.parked) finish_parked(bot, kConflictOtherPoll);
    world_.counters().updates_confirmed += bot.queue.confirm(offset);
    world_.expire_updates();

    const auto serial = next_poll_serial_++;
    const auto timer = std::make_shared<boost::asio::steady_timer>(world_.io());
    Bot* bot_ptr = &bot;
    ParkedPoll parked;
    parked.serial = serial;
    parked.limit = static_cast<std::size_t>(limit);
    parked.finish = [this, bot_ptr, responder, timer, limit](const std::optional<std::string>& conflict) {
        timer->cancel();
        if (conflict) {
            ++world_.counters().conflicts;
            responder->send(error_response(BotApiError(409, *conflict), 11, true));
            return;
        }
        std::string body = "{\"ok\":true,\"result\":[";
        bool first = true;
        for (const auto* u : bot_ptr->queue.front(static_cast<std::size_t>(limit))) {
            if (!first) body += ',';
            first = false;
            body += u->body;
            if (u->update_id > bot_ptr->last_delivered_update_id) {
                bot_ptr->last_delivered_update_id = u->update_id;
                ++world_.counters().updates_delivered;
            }
        }
        body += "]}";
        responder->send(json_response(200, std::move(body)));
    };
    if (!bot.queue.empty() || timeout == 0) {
        parked.finish(std::nullopt);
        return;
    }
    bot.parked = std::move(parked);
    timer->expires_after(std::chrono::seconds(timeout));
    timer->async_wait([this, bot_ptr, serial](boost::system::error_code ec) {
        if (ec) return;
        if (bot_ptr->parked && bot_ptr->parked->serial == serial) finish_parked(*bot_ptr, std::nullopt);
    });
}

void BotApi::finish_parked(Bot& bot, const std::optional<std::string>& conflict) {
    if (!bot.parked) return;
    auto finish = std::move(bot.parked->finish);
    bot.parked.reset();
    finish(conflict);
}

void BotApi::on_update_queued(Bot& bot) {
    if (!bot.parked) return;
    // Answer on the next turn of the loop so updates queued together (a
    // media group, a poll vote) leave in one answer.
    const auto serial = bot.parked->serial;
    boost::asio::post(world_.io(), [this, b = &bot, serial] {
        if (b->parked && b->parked->serial == serial) finish_parked(*b, std::nullopt);
    });
}

void BotApi::release_parked_polls() {
    for (auto& [id, bot] : world_.bots())
        if (bot->parked) finish_parked(*bot, std::nullopt);
}

}  // namespace profo::telegram_emulator
