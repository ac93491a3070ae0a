// profo-fake-llm: an OpenAI-compatible chat completions endpoint for tests.
// It answers POST /v1/chat/completions from a script and writes every request
// it receives as one JSON line, so a test can check what the platform sent
// (model, messages, Authorization) and make the provider fail or stall.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <deque>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using nlohmann::json;

namespace {

constexpr const char* kUsage =
    "Usage: profo-fake-llm [--host ADDR] [--port N] [--script FILE] [--log FILE]\n\n"
    "Serves POST /v1/chat/completions (and /chat/completions) on ADDR:N\n"
    "(127.0.0.1, port 0 = any free one) and prints \"listening on ADDR:PORT\" to\n"
    "stderr once it accepts connections. See tools/fake_llm/README.md for the\n"
    "script format.\n";

// One scripted answer.
struct Step {
    int status = 200;
    std::string reply;
    std::optional<std::string> raw_body;  // sent as it is instead of a completion
    std::chrono::milliseconds delay{0};
};

struct Rule {
    std::vector<std::string> contains;  // any of them in the last user message
    Step step;
};

Step step_from(const json& item) {
    Step s;
    if (item.is_string()) {
        s.reply = item.get<std::string>();
        return s;
    }
    if (!item.is_object()) throw std::runtime_error("a script step must be a string or an object");
    s.status = item.value("status", 200);
    s.reply = item.value("reply", "");
    if (item.contains("body"))
        s.raw_body = item["body"].is_string() ? item["body"].get<std::string>() : item["body"].dump();
    s.delay = std::chrono::milliseconds(item.value("delay_ms", 0));
    return s;
}

// ASCII and Cyrillic lower case: rules are written by test authors in both.
std::string folded(std::string s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (c >= 'A' && c <= 'Z') {
            out += static_cast<char>(c + 32);
        } else if ((c == 0xD0) && i + 1 < s.size()) {
            const auto d = static_cast<unsigned char>(s[i + 1]);
            if (d >= 0x90 && d <= 0x9F) {  // А-П -> а-п
                out += static_cast<char>(0xD0);
                out += static_cast<char>(d + 0x20);
            } else if (d >= 0xA0 && d <= 0xAF) {  // Р-Я -> р-я
                out += static_cast<char>(0xD1);
                out += static_cast<char>(d - 0x20);
            } else {
                out += static_cast<char>(c);
                out += static_cast<char>(d);
            }
            ++i;
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

class Script {
public:
    explicit Script(const json& script) {
        if (script.contains("replies"))
            for (const auto& item : script.at("replies")) queue_.push_back(step_from(item));
        if (script.contains("rules"))
            for (const auto& r : script.at("rules")) {
                Rule rule;
                const auto& when = r.at("when_last_user_contains");
                if (when.is_array())
                    for (const auto& w : when) rule.contains.push_back(folded(w.get<std::string>()));
                else
                    rule.contains.push_back(folded(when.get<std::string>()));
                rule.step = step_from(r);
                rules_.push_back(std::move(rule));
            }
        if (script.contains("default")) default_ = step_from(script["default"]);
    }

    // Rules first (never used up), then the queue in order, then the default
    // (echoing the last user message when the script names none).
    Step next(const std::string& last_user) {
        std::lock_guard lock(mutex_);
        const std::string text = folded(last_user);
        for (const auto& rule : rules_)
            for (const auto& needle : rule.contains)
                if (text.find(needle) != std::string::npos) return rule.step;
        if (!queue_.empty()) {
            Step s = queue_.front();
            queue_.pop_front();
            return s;
        }
        if (default_) return *default_;
        Step echo;
        echo.reply = "You said: " + last_user;
        return echo;
    }

private:
    std::mutex mutex_;
    std::deque<Step> queue_;
    std::vector<Rule> rules_;
    std::optional<Step> default_;
};

class RequestLog {
public:
    explicit RequestLog(const std::string& path) {
        if (path.empty()) return;
        out_.open(path, std::ios::app);
        if (!out_) throw std::runtime_error("cannot open the log file " + path);
    }
    void write(const json& line) {
        std::lock_guard lock(mutex_);
        if (!out_.is_open()) return;
        out_ << line.dump(-1, ' ', false, json::error_handler_t::replace) << '\n';
        out_.flush();  // tests read the log while the server runs
    }

private:
    std::mutex mutex_;
    std::ofstream out_;
};

std::string last_user_message(const json& body) {
    if (!body.is_object() || !body.contains("messages") || !body["messages"].is_array()) return {};
    const auto& messages = body["messages"];
    for (auto it = messages.rbegin(); it != messages.rend(); ++it)
        if (it->is_object() && it->value("role", "") == "user" && (*it)["content"].is_string())
            return (*it)["content"].get<std::string>();
    return {};
}

http::response<http::string_body> answer(const http::request<http::string_body>& req, Script& script,
                                         RequestLog& log, std::atomic<int>& counter) {
    const int number = ++counter;
    const json body = json::parse(req.body(), nullptr, /*allow_exceptions=*/false);
    json headers = json::object();
    for (const auto& f : req) {
        std::string name(f.name_string());
        std::transform(name.begin(), name.end(), name.begin(),
                       [](unsigned char c) { return std::tolower(c); });
        headers[name] = std::string(f.value());
    }
    log.write({{"n", number},
               {"method", std::string(req.method_string())},
               {"target", std::string(req.target())},
               {"authorization", std::string(req[http::field::authorization])},
               {"headers", headers},
               {"body", body.is_discarded() ? json(req.body()) : body}});

    http::response<http::string_body> res;
    res.version(11);
    res.set(http::field::content_type, "application/json");
    res.keep_alive(req.keep_alive());
    const std::string target(req.target());
    const bool completions = target == "/v1/chat/completions" || target == "/chat/completions";
    if (req.method() != http::verb::post || !completions) {
        res.result(http::status::not_found);
        res.body() =
            json{{"error", {{"message", "not found: " + target}, {"type", "invalid_request_error"}}}}.dump();
        res.prepare_payload();
        return res;
    }
    if (body.is_discarded() || !body.is_object() || !body.contains("messages")) {
        res.result(http::status::bad_request);
        res.body() = json{{"error", {{"message", "body must be JSON with messages"}}}}.dump();
        res.prepare_payload();
        return res;
    }
    const Step step = script.next(last_user_message(body));
    if (step.delay.count() > 0) std::this_thread::sleep_for(step.delay);
    res.result(static_cast<http::status>(step.status));
    if (step.raw_body) {
        res.body() = *step.raw_body;
    } else if (step.status != 200) {
        res.body() =
            json{{"error",
                  {{"message", "scripted failure " + std::to_string(step.status)}, {"type", "server_error"}}}}
                .dump();
    } else {
        res.body() = json{{"id", "chatcmpl-fake-" + std::to_string(number)},
                          {"object", "chat.completion"},
                          {"created", 0},
                          {"model", body.value("model", "")},
                          {"choices",
                           {{{"index", 0},
                             {"message", {{"role", "assistant"}, {"content", step.reply}}},
                             {"finish_reason", "stop"}}}},
                          {"usage", {{"prompt_tokens", 0}, {"completion_tokens", 0}, {"total_tokens", 0}}}}
                         .dump();
    }
    res.prepare_payload();
    return res;
}

void serve_connection(tcp::socket socket, Script& script, RequestLog& log, std::atomic<int>& counter) {
    beast::flat_buffer buffer;
    boost::system::error_code ec;
    while (true) {
        http::request<http::string_body> req;
        http::read(socket, buffer, req, ec);
        if (ec) return;
        auto res = answer(req, script, log, counter);
        http::write(socket, res, ec);
        if (ec || !res.keep_alive()) break;
    }
    socket.shutdown(tcp::socket::shutdown_send, ec);
}

}  // namespace

int main(int argc, char** argv) {
    std::string host = "127.0.0.1", script_file, log_file;
    unsigned short port = 0;
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::cerr << arg << " needs a value\n" << kUsage;
                std::exit(2);
            }
            return argv[++i];
        };
        if (arg == "--host")
            host = value();
        else if (arg == "--port")
            port = static_cast<unsigned short>(std::stoi(value()));
        else if (arg == "--script")
            script_file = value();
        else if (arg == "--log")
            log_file = value();
        else if (arg == "--help" || arg == "-h") {
            std::cout << kUsage;
            return 0;
        } else {
            std::cerr << "unknown argument " << arg << "\n" << kUsage;
            return 2;
        }
    }
    try {
        json script_json = json::object();
        if (!script_file.empty()) {
            std::ifstream in(script_file);
            if (!in) throw std::runtime_error("cannot read the script " + script_file);
            script_json = json::parse(in);
        }
        Script script(script_json);
        RequestLog log(log_file);
        std::atomic<int> counter{0};

        asio::io_context io;
        tcp::acceptor acceptor(io, {asio::ip::make_address(host), port});
        // One write: tests read the port from this line as soon as it appears.
        const std::string ready =
            "listening on " + host + ":" + std::to_string(acceptor.local_endpoint().port()) + "\n";
        std::cerr << ready << std::flush;
        while (true) {
            tcp::socket socket(io);
            acceptor.accept(socket);
            // A thread per connection: a scripted delay must not hold up the others.
            std::thread(serve_connection, std::move(socket), std::ref(script), std::ref(log),
                        std::ref(counter))
                .detach();
        }
    } catch (const std::exception& e) {
        std::cerr << "profo-fake-llm: " << e.what() << "\n";
        return 1;
    }
}
