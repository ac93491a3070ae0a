#include <profo/sdk/outbound.hpp>

#include <nlohmann/json.hpp>

namespace profo::sdk {

namespace {

using Kind = OutboundMessage::Kind;
using json = nlohmann::json;

constexpr Kind kKinds[] = {Kind::text,   Kind::media,           Kind::audio,   Kind::poll,
                           Kind::typing, Kind::callback_answer, Kind::document};

std::string_view media_type_name(OutboundMedia::Type type) {
    switch (type) {
        case OutboundMedia::Type::photo: return "photo";
        case OutboundMedia::Type::video: return "video";
        case OutboundMedia::Type::audio: return "audio";
    }
    return "photo";
}

[[noreturn]] void fail(const std::string& field, const std::string& what) {
    throw OutboundFormatError("outbound message: '" + field + "' " + what);
}

const json* member(const json& object, const char* name) {
    const auto it = object.find(name);
    return it == object.end() || it->is_null() ? nullptr : &*it;
}

std::string text_of(const json& object, const char* name, bool required = false) {
    const json* value = member(object, name);
    if (value == nullptr) {
        if (required) fail(name, "is missing");
        return {};
    }
    if (!value->is_string()) fail(name, "must be a string");
    return value->get<std::string>();
}

bool flag_of(const json& object, const char* name, bool fallback) {
    const json* value = member(object, name);
    if (value == nullptr) return fallback;
    if (!value->is_boolean()) fail(name, "must be true or false");
    return value->get<bool>();
}

std::int64_t integer_of(const json& object, const char* name) {
    const json* value = member(object, name);
    if (value == nullptr) return 0;
    if (!value->is_number_integer()) fail(name, "must be a whole number");
    return value->get<std::int64_t>();
}

const json& array_of(const json& object, const char* name) {
    static const json kEmpty = json::array();
    const json* value = member(object, name);
    if (value == nullptr) return kEmpty;
    if (!value->is_array()) fail(name, "must be a list");
    return *value;
}

}  // namespace

std::string_view to_string(OutboundMessage::Kind kind) noexcept {
    switch (kind) {
        case Kind::text: return "text";
        case Kind::media: return "media";
        case Kind::audio: return "audio";
        case Kind::poll: return "poll";
        case Kind::typing: return "typing";
        case Kind::callback_answer: return "callback_answer";
        case Kind::document: return "document";
    }
    return "text";
}

namespace {

// Builds the text of one JSON object, field by field: to_json runs for every
// message of every event, and a json object built first cost more than
// everything else the engine does with a message.
class ObjectText {
public:
    // Fields go in the order nlohmann::json writes an object's keys
    // (sorted), so the text is the same as it always was.
    ObjectText& raw(std::string_view key, std::string_view json_text) {
        out_ += out_.size() == 1 ? "\"" : ",\"";
        out_ += key;
        out_ += "\":";
        out_ += json_text;
        return *this;
    }
    ObjectText& text(std::string_view key, const std::string& value) { return raw(key, json(value).dump()); }
    ObjectText& flag(std::string_view key, bool value) { return raw(key, value ? "true" : "false"); }
    ObjectText& number(std::string_view key, std::int64_t value) { return raw(key, std::to_string(value)); }
    std::string done() {
        out_ += '}';
        return std::move(out_);
    }

private:
    std::string out_ = "{";
};

std::string kind_text(Kind kind) {
    return "\"" + std::string(to_string(kind)) + "\"";
}

}  // namespace

std::string to_json(const OutboundMessage& m) {
    ObjectText out;
    const auto kind = kind_text(m.kind);
    switch (m.kind) {
        case Kind::text: {
            if (!m.buttons.empty()) {
                std::string buttons = "[";
                for (const auto& b : m.buttons) {
                    if (buttons.size() > 1) buttons += ',';
                    buttons +=
                        b.web_app_url.empty()
                            ? ObjectText().text("callback_data", b.callback_data).text("text", b.text).done()
                            : ObjectText().text("text", b.text).text("web_app_url", b.web_app_url).done();
                }
                out.raw("buttons", buttons + "]");
            }
            out.raw("kind", kind).flag("link_preview", m.link_preview);
            if (!m.parse_mode.empty()) out.text("parse_mode", m.parse_mode);
            out.text("text", m.text);
            break;
        }
        case Kind::media: {
            if (!m.text.empty()) out.text("caption", m.text);
            std::string items = "[";
            for (const auto& item : m.media) {
                if (items.size() > 1) items += ',';
                items += ObjectText()
                             .raw("type", "\"" + std::string(media_type_name(item.type)) + "\"")
                             .text("url", item.url)
                             .done();
            }
            out.raw("items", items + "]").raw("kind", kind);
            if (!m.parse_mode.empty()) out.text("parse_mode", m.parse_mode);
            break;
        }
        case Kind::audio: {
            if (!m.text.empty()) out.text("caption", m.text);
            out.raw("kind", kind);
            if (!m.parse_mode.empty()) out.text("parse_mode", m.parse_mode);
            out.text("url", m.media.empty() ? std::string{} : m.media.front().url);
            break;
        }
        case Kind::poll: {
            out.number("activation", m.activation);
            if (m.correct_option) out.number("correct_option", *m.correct_option);
            out.text("element_id", m.element_id)
                .raw("kind", kind)
                .flag("multiple_answers", m.multiple_answers)
                .raw("options", json(m.poll_options).dump())
                .text("question", m.text)
                .flag("quiz", m.quiz);
            break;
        }
        case Kind::typing: out.raw("kind", kind); break;
        case Kind::callback_answer: {
            out.text("callback_id", m.callback_id).raw("kind", kind).text("text", m.text);
            break;
        }
        case Kind::document: {
            if (!m.text.empty()) out.text("caption", m.text);
            out.text("content", m.file_content).text("file_name", m.file_name).raw("kind", kind);
            break;
        }
    }
    return out.done();
}

OutboundMessage outbound_from_json(std::string_view text) {
    const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
    if (in.is_discarded()) throw OutboundFormatError("outbound message: not JSON");
    if (!in.is_object()) throw OutboundFormatError("outbound message: not a JSON object");

    OutboundMessage m;
    const std::string kind = text_of(in, "kind", true);
    bool known = false;
    for (const Kind k : kKinds)
        if (to_string(k) == kind) {
            m.kind = k;
            known = true;
        }
    if (!known) fail("kind", "is not a known kind: " + json(kind).dump());

    // Only what is formatted carries a parse mode.
    if (m.kind == Kind::text || m.kind == Kind::media || m.kind == Kind::audio)
        m.parse_mode = text_of(in, "parse_mode");
    switch (m.kind) {
        case Kind::text: {
            m.text = text_of(in, "text");
            m.link_preview = flag_of(in, "link_preview", true);
            const json& buttons = array_of(in, "buttons");
            for (std::size_t i = 0; i < buttons.size(); ++i) {
                const auto& b = buttons[i];
                const std::string at = "buttons[" + std::to_string(i) + "]";
                if (!b.is_object()) fail(at, "must be an object");
                OutboundButton button;
                button.text = text_of(b, "text");
                button.callback_data = text_of(b, "callback_data");
                button.web_app_url = text_of(b, "web_app_url");
                if (button.callback_data.empty() == button.web_app_url.empty())
                    fail(at, "needs exactly one of callback_data and web_app_url");
                m.buttons.push_back(std::move(button));
            }
            break;
        }
        case Kind::media: {
            m.text = text_of(in, "caption");
            const json& items = array_of(in, "items");
            if (items.empty()) fail("items", "must list at least one photo or video");
            for (std::size_t i = 0; i < items.size(); ++i) {
                const auto& item = items[i];
                const std::string at = "items[" + std::to_string(i) + "]";
                if (!item.is_object()) fail(at, "must be an object");
                OutboundMedia media;
                const std::string type = text_of(item, "type");
                if (type == "video")
                    media.type = OutboundMedia::Type::video;
                else if (type == "photo")
                    media.type = OutboundMedia::Type::photo;
                else
                    fail(at + ".type", "must be photo or video");
                media.url = text_of(item, "url", true);
                m.media.push_back(std::move(media));
            }
            break;
        }
        case Kind::audio: {
            m.text = text_of(in, "caption");
            m.media.push_back({OutboundMedia::Type::audio, text_of(in, "url", true)});
            break;
        }
        case Kind::poll: {
            m.text = text_of(in, "question", true);
            const json& options = array_of(in, "options");
            for (std::size_t i = 0; i < options.size(); ++i) {
                if (!options[i].is_string()) fail("options[" + std::to_string(i) + "]", "must be a string");
                m.poll_options.push_back(options[i].get<std::string>());
            }
            m.quiz = flag_of(in, "quiz", false);
            m.multiple_answers = flag_of(in, "multiple_answers", false);
            m.element_id = text_of(in, "element_id");
            m.activation = integer_of(in, "activation");
            if (member(in, "correct_option") != nullptr)
                m.correct_option = static_cast<int>(integer_of(in, "correct_option"));
            break;
        }
        case Kind::typing: break;
        case Kind::callback_answer: {
            m.callback_id = text_of(in, "callback_id", true);
            m.text = text_of(in, "text");
            break;
        }
        case Kind::document: {
            m.file_name = text_of(in, "file_name", true);
            if (m.file_name.empty()) fail("file_name", "must not be empty");
            m.file_content = text_of(in, "content");
            m.text = text_of(in, "caption");
            break;
        }
    }
    return m;
}

}  // namespace profo::sdk
