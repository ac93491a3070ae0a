#include "engine/outbox_writer.hpp"

#include "text/formatted_split.hpp"

#include <profo/sdk/text.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>

namespace profo::host {

namespace {

bool is_continuation(unsigned char byte) {
    return (byte & 0xC0) == 0x80;
}

// Bytes of the longest prefix of `text` within `limit` units, ending on a code
// point boundary. At least one code point, so a caller always makes progress.
std::size_t fitting_prefix(std::string_view text, std::size_t limit) {
    std::size_t units = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        const auto lead = static_cast<unsigned char>(text[i]);
        const std::size_t width = lead >= 0xF0 ? 2 : 1;
        if (units + width > limit) break;
        units += width;
        ++i;
        while (i < text.size() && is_continuation(static_cast<unsigned char>(text[i]))) ++i;
    }
    if (i == 0 && !text.empty()) {
        i = 1;
        while (i < text.size() && is_continuation(static_cast<unsigned char>(text[i]))) ++i;
    }
    return i;
}

bool is_space(char c) {
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

std::string_view trim_end(std::string_view s) {
    while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
    return s;
}

std::string_view trim_start(std::string_view s) {
    while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
    return s;
}

// The value of query parameter `name` in `url`, up to the next '&' or '#'.
std::string_view query_parameter(std::string_view url, std::string_view name) {
    const auto query = url.find('?');
    if (query == std::string_view::npos) return {};
    std::string_view rest = url.substr(query + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        std::string_view pair = rest.substr(0, amp);
        pair = pair.substr(0, pair.find('#'));
        if (pair.size() > name.size() && pair.substr(0, name.size()) == name && pair[name.size()] == '=')
            return pair.substr(name.size() + 1);
        if (amp == std::string_view::npos) break;
        rest.remove_prefix(amp + 1);
    }
    return {};
}

using sdk::telegram_length;
using Message = sdk::OutboundMessage;

Message text_message(const std::string& text, const sdk::OutAction& action) {
    Message m;
    m.kind = Message::Kind::text;
    m.text = text;
    m.parse_mode = action.parse_mode;
    m.link_preview = action.link_preview;
    return m;
}

// Text in parts; with `button_owner`, the action's buttons go on the last part.
void append_text(std::vector<Message>& out, const std::string& text, const sdk::OutAction& action,
                 const std::optional<ButtonOwner>& button_owner) {
    const bool with_buttons = button_owner && !action.buttons.empty();
    auto parts = split_formatted_text(text, action.parse_mode, kMaxTextLength);
    // Buttons without text are kept (the transport reports the empty text)
    // rather than silently lost.
    if (parts.empty() && with_buttons) parts.emplace_back();
    for (std::size_t i = 0; i < parts.size(); ++i) {
        auto m = text_message(parts[i], action);
        if (with_buttons && i + 1 == parts.size()) {
            for (std::size_t b = 0; b < action.buttons.size(); ++b) {
                const auto& button = action.buttons[b];
                if (!button.web_app_url.empty())
                    m.buttons.push_back({button.text, {}, button.web_app_url});
                else
                    m.buttons.push_back({button.text, callback_data(*button_owner, static_cast<int>(b)), {}});
            }
        }
        out.push_back(std::move(m));
    }
}

// A caption that fits goes with the media; a longer one is sent first as text.
std::string caption_or_text_first(std::vector<Message>& out, const sdk::OutAction& action) {
    if (telegram_length(action.text) <= kMaxCaptionLength) return action.text;
    append_text(out, action.text, action, std::nullopt);
    return {};
}

void add_caption(Message& m, const std::string& caption, const sdk::OutAction& action) {
    if (caption.empty()) return;
    m.text = caption;
    m.parse_mode = action.parse_mode;
}

std::string first_line(std::string_view text) {
    text = trim_start(text);
    text = text.substr(0, text.find('\n'));
    text = trim_end(text);
    return std::string(text.substr(0, fitting_prefix(text, kMaxPollQuestionLength)));
}

}  // namespace

std::string direct_media_url(std::string_view url) {
    if (url.find("drive.google.com/") == std::string_view::npos) return std::string(url);
    std::string_view id;
    if (const auto at = url.find("/file/d/"); at != std::string_view::npos) {
        id = url.substr(at + 8);
        id = id.substr(0, id.find_first_of("/?#"));
    } else if (url.find("drive.google.com/open?") != std::string_view::npos) {
        id = query_parameter(url, "id");
    }
    if (id.empty()) return std::string(url);
    return "https://drive.google.com/uc?export=download&id=" + std::string(id);
}

bool is_video_url(std::string_view url) {
    url = url.substr(0, url.find_first_of("?#"));
    if (url.size() < 4) return false;
    std::string tail(url.substr(url.size() - 4));
    std::transform(tail.begin(), tail.end(), tail.begin(), [](unsigned char c) { return std::tolower(c); });
    return tail == ".mp4";
}

std::string callback_data(const ButtonOwner& owner, int index) {
    std::string data = "a" + std::to_string(owner.activation) + ":" + std::to_string(index);
    if (owner.run_id != 0) data += ":" + std::to_string(owner.run_id);
    return data;
}

namespace {

// A whole non-negative decimal number that is all of `text`.
template <class Number>
bool read_whole(std::string_view text, Number& out) {
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    return !text.empty() && error == std::errc() && end == text.data() + text.size() && out >= 0;
}

}  // namespace

std::optional<CallbackTarget> parse_callback_data(std::string_view data) {
    if (data.size() < 4 || data.front() != 'a') return std::nullopt;
    data.remove_prefix(1);
    const auto colon = data.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    CallbackTarget target;
    if (!read_whole(data.substr(0, colon), target.activation)) return std::nullopt;
    auto rest = data.substr(colon + 1);
    const auto second = rest.find(':');
    if (!read_whole(rest.substr(0, second), target.index)) return std::nullopt;
    if (second != std::string_view::npos) {
        sdk::Id run = 0;
        if (!read_whole(rest.substr(second + 1), run) || run == 0) return std::nullopt;
        target.run_id = run;
    }
    return target;
}

std::vector<Message> outbound_messages(const sdk::OutAction& action, const std::string& element_id,
                                       const ButtonOwner& owner) {
    std::vector<Message> out;
    switch (action.kind) {
        case sdk::OutAction::Kind::text: {
            append_text(out, action.text, action, owner);
            break;
        }
        case sdk::OutAction::Kind::media: {
            if (action.media.empty()) {
                append_text(out, action.text, action, std::nullopt);
                break;
            }
            const std::string caption = caption_or_text_first(out, action);
            for (std::size_t start = 0; start < action.media.size(); start += kMaxAlbumSize) {
                Message m;
                m.kind = Message::Kind::media;
                const std::size_t end = std::min(action.media.size(), start + kMaxAlbumSize);
                for (std::size_t i = start; i < end; ++i) {
                    const std::string url = direct_media_url(action.media[i]);
                    m.media.push_back({is_video_url(url) ? sdk::OutboundMedia::Type::video
                                                         : sdk::OutboundMedia::Type::photo,
                                       url});
                }
                if (start == 0) add_caption(m, caption, action);
                out.push_back(std::move(m));
            }
            break;
        }
        case sdk::OutAction::Kind::audio: {
            if (action.media.empty()) {
                append_text(out, action.text, action, std::nullopt);
                break;
            }
            const std::string caption = caption_or_text_first(out, action);
            for (std::size_t i = 0; i < action.media.size(); ++i) {
                Message m;
                m.kind = Message::Kind::audio;
                m.media.push_back({sdk::OutboundMedia::Type::audio, direct_media_url(action.media[i])});
                if (i == 0) add_caption(m, caption, action);
                out.push_back(std::move(m));
            }
            break;
        }
        case sdk::OutAction::Kind::poll: {
            std::string question = action.text;
            if (telegram_length(question) > kMaxPollQuestionLength) {
                append_text(out, action.text, action, std::nullopt);
                question = first_line(action.text);
            }
            Message m;
            m.kind = Message::Kind::poll;
            m.text = question;
            m.poll_options = action.poll_options;
            m.quiz = action.quiz;
            m.multiple_answers = action.multiple_answers;
            m.correct_option = action.correct_option;
            m.element_id = element_id;
            m.activation = owner.activation;
            out.push_back(std::move(m));
            break;
        }
        case sdk::OutAction::Kind::typing: {
            Message m;
            m.kind = Message::Kind::typing;
            out.push_back(std::move(m));
            break;
        }
    }
    return out;
}

std::optional<std::string> student_message_problem(std::string_view text) {
    const auto length = sdk::telegram_length(text);
    if (length > kMaxTextLength)
        return "is " + std::to_string(length) + " characters long; Telegram takes at most " +
               std::to_string(kMaxTextLength) + " in a message";
    bool blank = true;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r')
            return "has a control character at byte " + std::to_string(i + 1);
        if (c != ' ' && c != '\n' && c != '\t' && c != '\r') blank = false;
    }
    if (blank && !text.empty()) return "is only white space, which Telegram refuses as an empty message";
    return std::nullopt;
}

}  // namespace profo::host
