#include "dialog_prompt.hpp"

#include <profo/sdk/toolkit/field_checks.hpp>

#include <profo/sdk/text.hpp>

#include <algorithm>

namespace profo::elements::dialog {

namespace {

bool is_id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

std::optional<std::size_t> count_of(std::string_view digits) {
    if (digits.empty() || digits.size() > 6) return std::nullopt;
    std::size_t n = 0;
    for (char c : digits) {
        if (c < '0' || c > '9') return std::nullopt;
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

// "3]Dialog_1", "Dialog_1[2", "Dialog_1", "2]Dialog_1[1".
std::optional<PromptVariable> parse_variable(std::string_view inner) {
    PromptVariable v;
    std::string_view rest = inner;
    if (const std::size_t bracket = rest.find(']'); bracket != std::string_view::npos) {
        v.first = count_of(rest.substr(0, bracket));
        if (!v.first) return std::nullopt;
        rest = rest.substr(bracket + 1);
    }
    if (const std::size_t bracket = rest.find('['); bracket != std::string_view::npos) {
        v.last = count_of(rest.substr(bracket + 1));
        if (!v.last) return std::nullopt;
        rest = rest.substr(0, bracket);
    }
    if (rest.empty() || rest.size() > 128 || !std::all_of(rest.begin(), rest.end(), is_id_char))
        return std::nullopt;
    v.element_id = std::string(rest);
    return v;
}

nlohmann::json payload_of(const sdk::ConversationEntry& row) {
    return nlohmann::json::parse(row.payload_json, nullptr, /*allow_exceptions=*/false);
}

std::optional<std::string> string_at(const nlohmann::json& payload, const char* key) {
    if (!payload.is_object()) return std::nullopt;
    auto it = payload.find(key);
    if (it == payload.end() || !it->is_string()) return std::nullopt;
    return it->get<std::string>();
}

// What the student saw of one bot action: the text, a caption, a poll question.
std::optional<std::string> bot_text(const nlohmann::json& payload) {
    const std::string kind = string_at(payload, "kind").value_or("text");
    if (kind == "text") return string_at(payload, "text");
    if (kind == "media" || kind == "audio") return string_at(payload, "caption");
    if (kind == "poll") return string_at(payload, "question");
    return std::nullopt;  // typing, callback answers
}

// What the student wrote: free text, or the answer a graded element recorded.
std::optional<std::string> user_text(const nlohmann::json& payload) {
    if (!payload.is_object()) return std::nullopt;
    if (payload.value("ignored", false)) return std::nullopt;
    if (auto text = string_at(payload, "text")) return text;
    return string_at(payload, "answer");
}

bool is_queued(const nlohmann::json& payload) {
    return payload.is_object() && payload.value("queued", false);
}

}  // namespace

std::string strip_html_comments(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("<!--", pos);
        if (open == std::string_view::npos) {
            out.append(text.substr(pos));
            break;
        }
        out.append(text.substr(pos, open - pos));
        const std::size_t close = text.find("-->", open + 4);
        if (close == std::string_view::npos) break;
        pos = close + 3;
    }
    return out;
}

std::vector<PromptVariable> prompt_variables(std::string_view prompt) {
    std::vector<PromptVariable> out;
    std::size_t pos = 0;
    while (true) {
        const std::size_t open = prompt.find("{{", pos);
        if (open == std::string_view::npos) break;
        const std::size_t close = prompt.find("}}", open + 2);
        if (close == std::string_view::npos) break;
        const std::string_view inner = sdk::trim(prompt.substr(open + 2, close - open - 2));
        if (auto v = parse_variable(inner)) {
            v->begin = open;
            v->end = close + 2;
            out.push_back(std::move(*v));
            pos = close + 2;
        } else {
            pos = open + 1;  // "{{{id}}" still finds the variable one brace later
        }
    }
    return out;
}

PromptTemplate compile_prompt(std::string_view prompt) {
    // Comments go first, so a variable inside one is never rendered and a
    // transcript that happens to contain "<!--" is never cut.
    PromptTemplate out;
    out.text = strip_html_comments(prompt);
    out.variables = prompt_variables(out.text);
    return out;
}

std::vector<std::string> element_messages(const std::string& element_id, const nlohmann::json& source,
                                          const std::vector<sdk::ConversationEntry>& history) {
    std::vector<std::string> out;
    const std::string own_text(sdk::trim(text_field(source, "text").value_or("")));
    if (!own_text.empty()) out.push_back(own_text);
    for (const auto& row : history) {
        if (row.element_id != element_id) continue;
        const nlohmann::json payload = payload_of(row);
        if (row.role == "bot") {
            const auto text = bot_text(payload);
            if (!text) continue;
            const std::string_view said = sdk::trim(*text);
            if (said.empty() || said == own_text) continue;
            out.push_back("Bot: " + std::string(said));
        } else if (row.role == "user") {
            const auto text = user_text(payload);
            if (!text) continue;
            const std::string_view said = sdk::trim(*text);
            if (said.empty()) continue;
            out.push_back("Student: " + std::string(said));
        }
    }
    return out;
}

std::string render_prompt(const PromptTemplate& prompt, const SourceLookup& source_of,
                          const std::vector<sdk::ConversationEntry>& history) {
    const std::string& source = prompt.text;
    std::string out;
    std::size_t pos = 0;
    for (const auto& v : prompt.variables) {
        out.append(source, pos, v.begin - pos);
        pos = v.end;
        const nlohmann::json* fields = source_of(v.element_id);
        if (fields == nullptr) {
            out.append(source, v.begin, v.end - v.begin);
            continue;
        }
        std::vector<std::string> messages = element_messages(v.element_id, *fields, history);
        if (v.first && messages.size() > *v.first) messages.resize(*v.first);
        if (v.last && messages.size() > *v.last) messages.erase(messages.begin(), messages.end() - *v.last);
        for (std::size_t i = 0; i < messages.size(); ++i) {
            if (i > 0) out += '\n';
            out += messages[i];
        }
    }
    out.append(source, pos, std::string::npos);
    return std::string(sdk::trim(out));
}

std::string seed_item_problem(const nlohmann::json& item) {
    if (!item.is_object()) return "must be a mapping such as {role: user, content: ...}";
    if (item.contains("role")) {
        const auto& role = item["role"];
        if (!role.is_string()) return "'role' must be system, user or assistant";
        const std::string r = role.get<std::string>();
        if (r != "system" && r != "user" && r != "assistant" && r != "bot")
            return "'role' must be system, user or assistant, not '" + r + "'";
        const nlohmann::json* content = field_value(item, "content");
        if (content == nullptr) content = field_value(item, "text");
        if (content == nullptr || !is_text(*content)) return "needs 'content' text";
        return {};
    }
    if (item.size() != 1) return "must be {role: ..., content: ...} or one of {user: ...}, {assistant: ...}";
    // Not `*item.items().begin()`: that names a proxy gone by the next line.
    const auto first = item.begin();
    const std::string& key = first.key();
    const nlohmann::json& value = first.value();
    if (key != "user" && key != "assistant" && key != "bot" && key != "system")
        return "must be {role: ..., content: ...} or one of {user: ...}, {assistant: ...}, not '" + key + "'";
    if (!is_text(value)) return "'" + key + "' must be text";
    return {};
}

std::vector<ChatTurn> seed_turns(const nlohmann::json& conversation) {
    std::vector<ChatTurn> out;
    if (!conversation.is_array()) return out;
    auto role_of = [](std::string r) { return r == "bot" ? std::string("assistant") : r; };
    for (const auto& item : conversation) {
        if (!seed_item_problem(item).empty()) continue;
        if (item.contains("role")) {
            auto content = text_field(item, "content");
            if (!content) content = text_field(item, "text");
            out.push_back({role_of(item["role"].get<std::string>()), *content});
        } else {
            const std::string key = item.begin().key();
            out.push_back({role_of(key), *text_field(item, key)});
        }
    }
    return out;
}

std::vector<ChatTurn> dialog_turns(const std::vector<sdk::ConversationEntry>& history,
                                   const std::string& element_id, int attempt,
                                   const std::set<std::string>& service_texts,
                                   const std::optional<std::string>& unrecorded_reply) {
    std::set<std::string, std::less<>> skipped;
    for (const auto& s : service_texts) skipped.emplace(sdk::trim(s));

    std::vector<ChatTurn> out;
    std::vector<ChatTurn> waiting;  // queued student messages, placed after the next answer
    std::optional<std::string> last_bot;
    for (const auto& row : history) {
        if (row.element_id != element_id || row.attempt != attempt) continue;
        const nlohmann::json payload = payload_of(row);
        if (row.role == "user") {
            const auto text = user_text(payload);
            if (!text) continue;
            const std::string_view said = sdk::trim(*text);
            if (said.empty()) continue;
            (is_queued(payload) ? waiting : out).push_back({"user", std::string(said)});
        } else if (row.role == "bot") {
            const auto text = bot_text(payload);
            if (!text) continue;
            const std::string_view said = sdk::trim(*text);
            if (said.empty() || skipped.contains(said)) continue;
            out.push_back({"assistant", std::string(said)});
            last_bot = std::string(said);
            out.insert(out.end(), waiting.begin(), waiting.end());
            waiting.clear();
        }
    }
    if (unrecorded_reply) {
        const std::string_view reply = sdk::trim(*unrecorded_reply);
        if (!reply.empty() && last_bot != reply) out.push_back({"assistant", std::string(reply)});
    }
    out.insert(out.end(), waiting.begin(), waiting.end());
    return out;
}

StopCheck check_stop(std::string_view reply) {
    StopCheck out;
    std::string text(reply);
    for (std::string_view marker : {std::string_view("{STOP}"), std::string_view("#конецдиалога")}) {
        for (std::size_t at = text.find(marker); at != std::string::npos; at = text.find(marker, at)) {
            out.stop = true;
            text.erase(at, marker.size());
        }
    }
    out.text = std::string(sdk::trim(text));
    return out;
}

}  // namespace profo::elements::dialog
