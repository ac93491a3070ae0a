#include "miniapp_question.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

namespace profo::elements::miniapp {

namespace {

constexpr std::string_view kSpace = " \t\r\n";

std::string trimmed(std::string_view s) {
    const std::size_t b = s.find_first_not_of(kSpace);
    if (b == std::string_view::npos) return {};
    return std::string(s.substr(b, s.find_last_not_of(kSpace) - b + 1));
}

template <class T>
std::optional<T> number(std::string_view text) {
    T value{};
    if (text.empty() || text.size() > 18) return std::nullopt;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
    return value;
}

bool is_id_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

std::string url_encode(std::string_view s) {
    static constexpr char kHex[] = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xF];
        }
    }
    return out;
}

void append_utf8(std::string& out, char32_t cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

char32_t lower(char32_t cp) {
    if (cp >= 'A' && cp <= 'Z') return cp + 32;
    if (cp >= 0xC0 && cp <= 0xDE && cp != 0xD7) return cp + 32;     // Latin-1
    if (cp >= 0x391 && cp <= 0x3A9 && cp != 0x3A2) return cp + 32;  // Greek
    if (cp >= 0x410 && cp <= 0x42F) return cp + 32;                 // Cyrillic А-Я
    if (cp >= 0x400 && cp <= 0x40F) return cp + 80;                 // Ё, Ђ, ...
    return cp;
}

nlohmann::json without_answers(nlohmann::json value) {
    if (value.is_object()) {
        for (const char* key : {"answer", "correct", "actual", "correct_answer"}) value.erase(key);
        for (auto& [k, v] : value.items()) v = without_answers(std::move(v));
    } else if (value.is_array()) {
        for (auto& v : value) v = without_answers(std::move(v));
    }
    return value;
}

}  // namespace

std::string to_string(const QuestionRef& ref) {
    return std::to_string(ref.account_id) + "." + std::to_string(ref.run_id) + "." +
           std::to_string(ref.attempt) + "." + ref.element_id;
}

std::optional<QuestionRef> parse_question_ref(std::string_view text) {
    QuestionRef ref;
    std::string_view parts[3];
    std::string_view rest = text;
    for (auto& part : parts) {
        const std::size_t dot = rest.find('.');
        if (dot == std::string_view::npos) return std::nullopt;
        part = rest.substr(0, dot);
        rest = rest.substr(dot + 1);
    }
    auto account = number<sdk::Id>(parts[0]);
    auto run = number<sdk::Id>(parts[1]);
    auto attempt = number<int>(parts[2]);
    if (!account || !run || !attempt || *account == 0 || *run == 0) return std::nullopt;
    if (rest.empty() || rest.size() > 128 || !std::all_of(rest.begin(), rest.end(), is_id_char))
        return std::nullopt;
    ref.account_id = *account;
    ref.run_id = *run;
    ref.attempt = *attempt;
    ref.element_id = std::string(rest);
    return ref;
}

std::string app_link(const std::string& app_url, const QuestionRef& ref, const std::string& public_url) {
    std::string base = app_url;
    std::string fragment;
    if (const std::size_t hash = base.find('#'); hash != std::string::npos) {
        fragment = base.substr(hash);
        base.resize(hash);
    }
    std::string link =
        base + (base.find('?') == std::string::npos ? "?" : "&") + "q=" + url_encode(to_string(ref));
    if (!public_url.empty()) link += "&api=" + url_encode(public_url);
    return link + fragment;
}

nlohmann::json question_for_app(const nlohmann::json& spec) {
    if (!spec.is_object() || !spec.contains("question") || !spec["question"].is_object())
        return nlohmann::json::object();
    return without_answers(spec["question"]);
}

SubmittedAnswer read_submitted(const std::string& data) {
    SubmittedAnswer out;
    const auto json = nlohmann::json::parse(data, nullptr, /*allow_exceptions=*/false);
    if (json.is_object() && json.contains("answer")) {
        const auto& answer = json["answer"];
        out.answer = answer.is_string() ? answer.get<std::string>() : answer.dump();
        if (json.contains("ref") && json["ref"].is_string())
            out.ref = parse_question_ref(json["ref"].get<std::string>());
    } else if (json.is_string()) {
        out.answer = json.get<std::string>();
    } else if (json.is_number()) {
        out.answer = json.dump();
    } else {
        out.answer = data;
    }
    return out;
}

std::string fold_case(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            append_utf8(out, lower(c));
            ++i;
        } else if ((c & 0xE0) == 0xC0 && i + 1 < s.size()) {
            const char32_t cp = ((c & 0x1F) << 6) | (static_cast<unsigned char>(s[i + 1]) & 0x3F);
            append_utf8(out, lower(cp));
            i += 2;
        } else {
            out += static_cast<char>(c);  // 3- and 4-byte sequences: no case to fold here
            ++i;
        }
    }
    return out;
}

bool answer_matches(std::string_view given, std::string_view actual, std::string_view question_type) {
    const std::string a = trimmed(given), b = trimmed(actual);
    if (question_type == "typein") return fold_case(a) == fold_case(b);
    return a == b;
}

}  // namespace profo::elements::miniapp
