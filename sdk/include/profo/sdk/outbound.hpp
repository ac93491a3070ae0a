// What the platform sends a student: one OutboundMessage per outbox row.
//
// The engine turns an element's OutAction into these with Telegram's limits
// already applied (texts split at 4096 characters, captions of at most 1024,
// albums of at most 10, callback data assigned), stores each as JSON in the
// outbox and the conversation history, and a transport sends them as they
// are. The JSON encoding below is the one format of outbox payloads: the
// engine writes it, transports and `profo course play` read it, and nothing
// else parses it.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace profo::sdk {

struct OutboundButton {
    std::string text;
    std::string callback_data;  // a callback button: 1..64 bytes, issued by the engine
    std::string web_app_url;    // or a web_app button (HTTPS); exactly one of the two is set
    bool operator==(const OutboundButton&) const = default;
};

struct OutboundMedia {
    enum class Type { photo, video, audio };
    Type type = Type::photo;
    std::string url;
    bool operator==(const OutboundMedia&) const = default;
};

struct OutboundMessage {
    enum class Kind {
        text,             // sendMessage: `text`, `buttons` (one per row)
        media,            // sendPhoto / sendVideo, or sendMediaGroup for 2..10 `media`; caption in `text`
        audio,            // sendAudio: `media[0]`; caption in `text`
        poll,             // sendPoll: question in `text`, `poll_options`, quiz fields
        typing,           // sendChatAction typing: no message
        callback_answer,  // answerCallbackQuery `callback_id` (notification in `text`)
        document,         // 2.7: sendDocument, uploaded: `file_name`, `file_content`; caption in `text`
    };
    Kind kind = Kind::text;
    std::string text;        // message text, caption, poll question or notification
    std::string parse_mode;  // "", HTML, MARKDOWN, MarkdownV2 (text and captions)
    bool link_preview = true;
    std::vector<OutboundButton> buttons;
    std::vector<OutboundMedia> media;

    std::vector<std::string> poll_options;
    bool quiz = false;
    std::optional<int> correct_option;  // quiz only
    bool multiple_answers = false;
    // The element visit that sent the poll: a poll answer carries only the
    // poll's id, so the transport records these with the id Telegram gives it.
    std::string element_id;
    std::int64_t activation = 0;

    std::string callback_id;

    // Document only: the file as the student receives it (a course's YAML
    // for its author, never anything large).
    std::string file_name;
    std::string file_content;

    bool operator==(const OutboundMessage&) const = default;
};

// Why a payload could not be read; the message names the field.
class OutboundFormatError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The JSON text stored in OutboxMessage::payload_json and in bot rows of the
// conversation history (docs/course-runtime.md shows every kind).
std::string to_json(const OutboundMessage& message);
// Reads what to_json wrote; throws OutboundFormatError naming the field that
// is missing or of the wrong type. Unknown fields are ignored.
OutboundMessage outbound_from_json(std::string_view json);

std::string_view to_string(OutboundMessage::Kind kind) noexcept;

}  // namespace profo::sdk
