#include "text/formatted_split.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <optional>

namespace profo::host {

namespace {

enum class Format { plain, html, markdown, markdown_v2 };

Format format_of(std::string_view parse_mode) {
    std::string mode(parse_mode);
    std::transform(mode.begin(), mode.end(), mode.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (mode == "html") return Format::html;
    if (mode == "markdownv2") return Format::markdown_v2;
    if (mode == "markdown") return Format::markdown;
    return Format::plain;
}

// One piece of the source: a character (or an escape or HTML entity, which
// shows as one), or markup that opens or closes formatting.
// What opens or closes formatting; tokens refer to it by index, which keeps
// a token (one per character of a text that may be megabytes) small.
struct Markup {
    std::string name;     // "b", "*", "```", "link"
    std::string closing;  // for what opens: the markup that closes it
};

struct Token {
    enum class Kind : std::uint8_t { shown, opens, closes } kind = Kind::shown;
    std::uint8_t units = 0;    // UTF-16 units it shows as (shown only)
    char character = 0;        // the character shown, when it is ASCII (separators)
    std::uint32_t markup = 0;  // opens, closes: its Markup
    std::size_t begin = 0;     // bytes of the source
    std::size_t end = 0;
};

struct Tokens {
    std::vector<Token> list;
    std::vector<Markup> markups;
};

std::size_t code_point_bytes(unsigned char lead) {
    if (lead >= 0xF0) return 4;
    if (lead >= 0xE0) return 3;
    if (lead >= 0xC0) return 2;
    return 1;
}

class Tokenizer {
public:
    Tokenizer(std::string_view text, Format format) : text_(text), format_(format) {}

    Tokens run() {
        while (i_ < text_.size()) {
            if (format_ == Format::html)
                html();
            else if (format_ != Format::plain)
                markdown();
            else
                shown(i_, i_);
        }
        return {std::move(tokens_), std::move(markups_)};
    }

private:
    // The character at `at` (after an escape that starts at `from`).
    void shown(std::size_t from, std::size_t at) {
        const auto lead = static_cast<unsigned char>(text_[at]);
        const std::size_t end = std::min(text_.size(), at + code_point_bytes(lead));
        Token t;
        t.begin = from;
        t.end = end;
        t.units = static_cast<std::uint8_t>(lead >= 0xF0 ? 2 : 1);
        t.character = lead < 0x80 ? text_[at] : char{0};
        tokens_.push_back(std::move(t));
        i_ = end;
    }

    void markup(Token::Kind kind, std::size_t end, std::string name, std::string closing = {}) {
        Token t;
        t.kind = kind;
        t.begin = i_;
        t.end = end;
        t.markup = static_cast<std::uint32_t>(markups_.size());
        markups_.push_back({std::move(name), std::move(closing)});
        tokens_.push_back(t);
        i_ = end;
    }

    bool is_open(std::string_view name) const {
        return std::any_of(open_.begin(), open_.end(), [&](const std::string& n) { return n == name; });
    }

    void toggle(std::string_view marker) {
        const std::string name(marker);
        if (is_open(name)) {
            open_.erase(std::find(open_.rbegin(), open_.rend(), name).base() - 1);
            markup(Token::Kind::closes, i_ + marker.size(), name);
        } else {
            open_.push_back(name);
            markup(Token::Kind::opens, i_ + marker.size(), name, name);
        }
    }

    void html() {
        const char c = text_[i_];
        if (c == '<') {
            const auto close = text_.find('>', i_);
            const bool ending = i_ + 1 < text_.size() && text_[i_ + 1] == '/';
            std::size_t n = i_ + (ending ? 2 : 1);
            const std::size_t name_begin = n;
            while (n < text_.size() &&
                   (std::isalnum(static_cast<unsigned char>(text_[n])) || text_[n] == '-'))
                ++n;
            if (close != std::string_view::npos && n > name_begin) {
                std::string name(text_.substr(name_begin, n - name_begin));
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
                if (ending)
                    markup(Token::Kind::closes, close + 1, name);
                else
                    markup(Token::Kind::opens, close + 1, name, "</" + name + ">");
                return;
            }
        } else if (c == '&') {
            const auto semicolon = text_.find(';', i_);
            if (semicolon != std::string_view::npos && semicolon - i_ <= 10 && semicolon > i_ + 1) {
                const auto body = text_.substr(i_ + 1, semicolon - i_ - 1);
                if (std::all_of(body.begin(), body.end(), [](char ch) {
                        return std::isalnum(static_cast<unsigned char>(ch)) || ch == '#';
                    })) {
                    Token t;
                    t.begin = i_;
                    t.end = semicolon + 1;
                    t.units = static_cast<std::uint8_t>(
                        body.front() == '#' ? 2 : 1);  // a numbered one may be outside the BMP
                    tokens_.push_back(std::move(t));
                    i_ = semicolon + 1;
                    return;
                }
            }
        }
        shown(i_, i_);
    }

    bool at(std::string_view s) const { return text_.substr(i_, s.size()) == s; }

    void markdown() {
        const bool v2 = format_ == Format::markdown_v2;
        const bool in_pre = is_open("```");
        const bool in_code = is_open("`");
        const char c = text_[i_];
        if (c == '\\' && i_ + 1 < text_.size()) {
            const char next = text_[i_ + 1];
            // Legacy Markdown escapes only its own markers.
            if (v2 || next == '_' || next == '*' || next == '`' || next == '[') return shown(i_, i_ + 1);
        }
        if (at("```") && !in_code) {
            if (in_pre) return toggle("```");
            // The language, up to the line break, opens the block with it.
            std::size_t end = i_ + 3;
            const auto line = text_.find('\n', end);
            if (line != std::string_view::npos &&
                text_.substr(end, line - end).find_first_of(" `") == std::string_view::npos)
                end = line + 1;
            open_.emplace_back("```");
            return markup(Token::Kind::opens, end, "```", "```");
        }
        if (in_pre) return shown(i_, i_);
        if (c == '`') return toggle("`");
        if (in_code) return shown(i_, i_);
        if (v2 && (at("||") || at("__"))) return toggle(text_.substr(i_, 2));
        if (c == '*' || c == '_' || (v2 && c == '~')) return toggle(text_.substr(i_, 1));
        if (c == '[' && link()) return;
        if (c == ']' && !links_.empty() && links_.back().first == i_) {
            const auto end = links_.back().second;
            links_.pop_back();
            open_.erase(std::find(open_.rbegin(), open_.rend(), std::string("link")).base() - 1);
            return markup(Token::Kind::closes, end, "link");
        }
        shown(i_, i_);
    }

    // `[text](url)`: opened by "[", closed by "](url)", which a part cut
    // inside the text needs to close it.
    bool link() {
        std::size_t j = i_ + 1;
        while (j < text_.size() && text_[j] != ']') j += text_[j] == '\\' ? 2 : 1;
        if (j + 1 >= text_.size() || text_[j + 1] != '(') return false;
        std::size_t k = j + 2;
        while (k < text_.size() && text_[k] != ')') k += text_[k] == '\\' ? 2 : 1;
        if (k >= text_.size()) return false;
        links_.emplace_back(j, k + 1);
        open_.emplace_back("link");
        markup(Token::Kind::opens, i_ + 1, "link", std::string(text_.substr(j, k + 1 - j)));
        return true;
    }

    std::string_view text_;
    Format format_;
    std::size_t i_ = 0;
    std::vector<Token> tokens_;
    std::vector<Markup> markups_;
    std::vector<std::string> open_;                           // markdown markers open now
    std::vector<std::pair<std::size_t, std::size_t>> links_;  // "](url)" of open links: where, end
};

// Where a part may end: before the separator at token `at`, going on at
// `resume`, with `open` (token indexes) still open there.
struct Cut {
    std::size_t at = 0;
    std::size_t resume = 0;
    std::vector<std::size_t> open;
};

bool is_white(const Token& t) {
    return t.kind == Token::Kind::shown &&
           (t.character == ' ' || t.character == '\n' || t.character == '\r' || t.character == '\t');
}

void close_in(std::vector<std::size_t>& open, const Tokens& tokens, const std::string& name) {
    for (auto it = open.rbegin(); it != open.rend(); ++it)
        if (tokens.markups[tokens.list[*it].markup].name == name) {
            open.erase(std::next(it).base());
            return;
        }
}

}  // namespace

std::vector<std::string> split_formatted_text(std::string_view text, std::string_view parse_mode,
                                              std::size_t limit) {
    const auto tokenized = Tokenizer(text, format_of(parse_mode)).run();
    const auto& tokens = tokenized.list;
    std::vector<std::string> parts;
    auto trimmed_end = [](std::string s) {
        while (!s.empty() && (s.back() == ' ' || s.back() == '\n' || s.back() == '\r' || s.back() == '\t'))
            s.pop_back();
        return s;
    };
    std::size_t shown_units = 0;
    for (const auto& t : tokens) shown_units += t.units;
    // A text that fits goes as it is, white space and all.
    if (shown_units <= limit) {
        if (!trimmed_end(std::string(text)).empty()) parts.emplace_back(text);
        return parts;
    }
    // White space alone is no message: Telegram refuses an empty text.
    auto shows_something = [&](std::size_t from, std::size_t to) {
        for (std::size_t k = from; k < to; ++k)
            if (tokens[k].kind == Token::Kind::shown && !is_white(tokens[k])) return true;
        return false;
    };
    std::size_t start = 0;            // first token of the part
    std::vector<std::size_t> opened;  // open at the part's start: reopened first
    for (;;) {
        std::vector<std::size_t> open = opened;
        std::size_t units = 0;
        std::optional<Cut> cuts[3];  // paragraph, line, space
        std::optional<Cut> chosen;
        std::size_t i = start;
        for (; i < tokens.size(); ++i) {
            const auto& t = tokens[i];
            if (t.kind == Token::Kind::opens) {
                open.push_back(i);
                continue;
            }
            if (t.kind == Token::Kind::closes) {
                close_in(open, tokenized, tokenized.markups[t.markup].name);
                continue;
            }
            if (units > 0 && is_white(t) && t.character != '\t' && t.character != '\r') {
                const bool paragraph = t.character == '\n' && i + 1 < tokens.size() &&
                                       tokens[i + 1].kind == Token::Kind::shown &&
                                       tokens[i + 1].character == '\n';
                Cut cut{i, i, open};
                while (cut.resume < tokens.size() && is_white(tokens[cut.resume])) ++cut.resume;
                cuts[paragraph ? 0 : t.character == '\n' ? 1 : 2] = std::move(cut);
            }
            if (units > 0 && units + t.units > limit) {
                for (auto& c : cuts)
                    if (c) {
                        chosen = std::move(c);
                        break;
                    }
                if (!chosen) chosen = Cut{i, i, open};
                break;
            }
            units += t.units;
        }
        std::string part;
        for (const auto o : opened) part += text.substr(tokens[o].begin, tokens[o].end - tokens[o].begin);
        const std::size_t from = start < tokens.size() ? tokens[start].begin : text.size();
        if (!chosen) {
            part += text.substr(from);
            if (shows_something(start, tokens.size())) parts.push_back(std::move(part));
            return parts;
        }
        const std::size_t to = tokens[chosen->at].begin;
        part = trimmed_end(part + std::string(text.substr(from, to - from)));
        for (auto o = chosen->open.rbegin(); o != chosen->open.rend(); ++o)
            part += tokenized.markups[tokens[*o].markup].closing;
        if (shows_something(start, chosen->at)) parts.push_back(std::move(part));
        start = chosen->resume;
        opened = std::move(chosen->open);
    }
}

}  // namespace profo::host
