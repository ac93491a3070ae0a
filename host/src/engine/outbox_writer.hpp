// How an element's OutAction becomes outbox rows (sdk::OutboundMessage) with
// Telegram's limits applied here, so that every element gets them right
// without knowing them.
#pragma once

#include <profo/sdk/element.hpp>
#include <profo/sdk/outbound.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace profo::host {

// Telegram measures lengths in UTF-16 code units (an emoji outside the BMP
// counts twice), so every limit below is in those units.
inline constexpr std::size_t kMaxTextLength = 4096;
inline constexpr std::size_t kMaxCaptionLength = 1024;
inline constexpr std::size_t kMaxPollQuestionLength = 300;
inline constexpr std::size_t kMaxAlbumSize = 10;

// Why `text`, typed by a person for students, cannot be one Telegram message
// ("is 5000 characters long; Telegram takes at most 4096 in a message"; only
// white space, which Telegram refuses as empty; a control character other
// than a line break or tab), or nothing when it can. Empty is fine: it means
// the platform's own text.
std::optional<std::string> student_message_problem(std::string_view text);

// Google Drive share links (`/file/d/ID/view`, `open?id=ID`) as direct
// download links; any other URL unchanged.
std::string direct_media_url(std::string_view url);
// `.mp4` (before any query string, any case) is sent as a video, anything else as a photo.
bool is_video_url(std::string_view url);

// Whose buttons a message carries: an element's activation in a run.
// Activations count from 1 in every run of a chat, so the run is named too:
// a button left in the chat by an earlier run never presses the current one's.
struct ButtonOwner {
    std::int64_t activation = 0;
    sdk::Id run_id = 0;  // 0: none named (data issued before runs were)
};

// Callback data of button `index`: `a17:0:42` (activation 17 of run 42), or
// `a17:0` with no run. Never the button text: Telegram allows 64 bytes and
// Cyrillic takes two a letter.
std::string callback_data(const ButtonOwner& owner, int index);
struct CallbackTarget {
    std::int64_t activation = 0;
    int index = 0;
    std::optional<sdk::Id> run_id;  // absent in data issued before runs were named
};
std::optional<CallbackTarget> parse_callback_data(std::string_view data);

// The messages of one action in sending order. Buttons only travel with
// text (Telegram cannot attach them to albums or polls); a text split in
// parts carries them on its last part.
std::vector<sdk::OutboundMessage> outbound_messages(const sdk::OutAction& action,
                                                    const std::string& element_id, const ButtonOwner& owner);

}  // namespace profo::host
