// A long text in parts that Telegram takes one by one, its formatting kept.
//
// Telegram refuses a part that opens a tag (HTML) or an entity (Markdown)
// without closing it, or that is cut inside a tag or an escape. So a cut
// never falls inside markup, and at a cut inside formatting the part closes
// what is open and the next part opens it again: `<b>long … bold</b>` comes
// as `<b>long …</b>` and `<b>… bold</b>`.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace profo::host {

// Parts whose text after entity parsing is at most `limit` UTF-16 units (a
// count never above Telegram's count of characters), cut at the last
// paragraph break that fits, else the last line break, else the last
// space, else between two characters. The separator at a cut is dropped,
// and so is the white space around it. `parse_mode` is the message's: ""
// (plain), HTML, Markdown or MarkdownV2, in any case. Markup the text
// leaves unbalanced stays as it is: Telegram refuses it whole or in parts.
std::vector<std::string> split_formatted_text(std::string_view text, std::string_view parse_mode,
                                              std::size_t limit);

}  // namespace profo::host
