#include "miniapp_question.hpp"

#include <profo/sdk/json_input.hpp>
#include <profo/sdk/text.hpp>

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <stdexcept>

namespace profo::elements::miniapp {

namespace {

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

constexpr std::size_t kNonceBytes = 16;

bool is_nonce(std::string_view text) {
    return text.size() == 2 * kNonceBytes && std::all_of(text.begin(), text.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
           });
}

std::string new_nonce() {
    unsigned char bytes[kNonceBytes];
    if (RAND_bytes(bytes, sizeof bytes) != 1)
        throw std::runtime_error("no secure random bytes for a question ref");
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : bytes) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xF];
    }
    return out;
}

std::string to_string(const QuestionRef& ref) {
    return std::to_string(ref.account_id) + "." + std::to_string(ref.run_id) + "." +
           std::to_string(ref.attempt) + "." + ref.nonce + "." + ref.element_id;
}

std::optional<QuestionRef> parse_question_ref(std::string_view text) {
    QuestionRef ref;
    std::string_view parts[4];
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
    if (!account || !run || !attempt || *account == 0 || *run == 0 || !is_nonce(parts[3]))
        return std::nullopt;
    if (rest.empty() || rest.size() > 128 || !std::all_of(rest.begin(), rest.end(), is_id_char))
        return std::nullopt;
    ref.account_id = *account;
    ref.run_id = *run;
    ref.attempt = *attempt;
    ref.nonce = std::string(parts[3]);
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
    const auto json = sdk::parse_json_input(data);
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

bool answer_matches(std::string_view given, std::string_view actual, std::string_view question_type) {
    if (question_type == "typein") return sdk::same_answer(given, actual);
    return sdk::trim(given) == sdk::trim(actual);
}

}  // namespace profo::elements::miniapp
