#include "webdriver.hpp"

#include "loopback_http.hpp"

#include <fstream>
#include <stdexcept>
#include <string_view>
#include <thread>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace profo::testing {

using nlohmann::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChromium = "/usr/bin/chromium";
constexpr const char* kDriver = "/usr/bin/chromedriver";
// W3C's key for "an element" in answers.
constexpr const char* kElement = "element-6066-11e4-a52e-4f735466cecf";

unsigned short free_loopback_port() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    close(fd);
    return ntohs(addr.sin_port);
}

HttpReply webdriver_request(unsigned short port, const std::string& method, const std::string& path,
                            const std::string& body) {
    return http_request(port, method, path, body, {{"Content-Type", "application/json"}});
}

std::string base64_decode(const std::string& in) {
    static const std::string chars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    int value = 0, bits = -8;
    for (const char c : in) {
        const auto at = chars.find(c);
        if (at == std::string::npos) continue;
        value = (value << 6) + static_cast<int>(at);
        bits += 6;
        if (bits >= 0) {
            out.push_back(static_cast<char>((value >> bits) & 0xFF));
            bits -= 8;
        }
    }
    return out;
}

}  // namespace

std::optional<std::string> Browser::unavailable() {
    for (const char* program : {kChromium, kDriver})
        if (!std::filesystem::exists(program))
            return std::string(program) +
                   " is missing: install Debian's chromium and chromium-driver "
                   "(scripts/install-deps.sh --tests does)";
    return std::nullopt;
}

Browser::Browser() {
    port_ = free_loopback_port();
    driver_ = std::make_unique<RunningProcess>(
        std::vector<std::string>{kDriver, "--port=" + std::to_string(port_)});
    for (auto until = std::chrono::steady_clock::now() + 20s;; std::this_thread::sleep_for(100ms)) {
        try {
            if (webdriver_request(port_, "GET", "/status", "").status == 200) break;
        } catch (const std::runtime_error&) {
        }
        if (std::chrono::steady_clock::now() > until) throw std::runtime_error("chromedriver did not start");
    }
    const json capabilities = {
        {"capabilities",
         {{"alwaysMatch",
           {{"browserName", "chrome"},
            {"goog:chromeOptions",
             {{"binary", kChromium},
              {"args",
               {"--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--no-first-run", "--disable-extensions"}}}}}}}}};
    session_ = command("POST", "/session", capabilities)["sessionId"].get<std::string>();
}

Browser::~Browser() {
    try {
        if (!session_.empty()) command("DELETE", "/session/" + session_);
    } catch (...) {
    }
}

json Browser::command(const std::string& method, const std::string& path, const json& body) {
    const auto reply = webdriver_request(port_, method, path, body.is_null() ? "" : body.dump());
    const auto answer = json::parse(reply.body, nullptr, false);
    if (reply.status != 200 || answer.is_discarded())
        throw std::runtime_error("webdriver " + method + " " + path + ": " + std::to_string(reply.status) +
                                 " " + reply.body.substr(0, 500));
    return answer.contains("value") ? answer["value"] : answer;
}

void Browser::go(const std::string& url) {
    command("POST", "/session/" + session_ + "/url", {{"url", url}});
}

std::string Browser::find(const std::string& css, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    for (;; std::this_thread::sleep_for(100ms)) {
        const auto reply = webdriver_request(port_, "POST", "/session/" + session_ + "/elements",
                                             json{{"using", "css selector"}, {"value", css}}.dump());
        const auto found = json::parse(reply.body, nullptr, false);
        if (reply.status == 200 && found.contains("value") && found["value"].is_array() &&
            !found["value"].empty())
            return found["value"][0][kElement].get<std::string>();
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("no element '" + css + "' on the page; it shows:\n" +
                                     run_script("return document.body.innerText;").get<std::string>());
    }
}

// The panel re-renders parts of the page when its data arrives, so an element
// found a moment ago may be gone by the time it is used; such a step is redone
// on the element that replaced it.
json Browser::on_element(const std::string& css, const std::function<json(const std::string&)>& step) {
    const auto until = std::chrono::steady_clock::now() + 10s;
    for (;; std::this_thread::sleep_for(100ms)) {
        try {
            return step(find(css));
        } catch (const std::runtime_error& error) {
            if (std::string_view(error.what()).find("stale element reference") == std::string_view::npos ||
                std::chrono::steady_clock::now() > until)
                throw;
        }
    }
}

void Browser::click(const std::string& css) {
    on_element(css, [&](const std::string& element) {
        return command("POST", "/session/" + session_ + "/element/" + element + "/click", json::object());
    });
}

void Browser::type(const std::string& css, const std::string& text) {
    on_element(css, [&](const std::string& element) {
        command("POST", "/session/" + session_ + "/element/" + element + "/clear", json::object());
        return command("POST", "/session/" + session_ + "/element/" + element + "/value", {{"text", text}});
    });
}

std::string Browser::text(const std::string& css) {
    return on_element(css,
                      [&](const std::string& element) {
                          return command("GET", "/session/" + session_ + "/element/" + element + "/text");
                      })
        .get<std::string>();
}

void Browser::wait_for_text(const std::string& text, std::chrono::milliseconds timeout) {
    const auto until = std::chrono::steady_clock::now() + timeout;
    std::string shown;
    for (;; std::this_thread::sleep_for(150ms)) {
        shown = run_script("return document.body.innerText;").get<std::string>();
        if (shown.find(text) != std::string::npos) return;
        if (std::chrono::steady_clock::now() > until)
            throw std::runtime_error("the page never showed '" + text + "'; it shows:\n" + shown);
    }
}

json Browser::run_script(const std::string& script, const json& args) {
    return command("POST", "/session/" + session_ + "/execute/sync", {{"script", script}, {"args", args}});
}

void Browser::screenshot(const std::filesystem::path& png) {
    std::filesystem::create_directories(png.parent_path());
    std::ofstream(png, std::ios::binary)
        << base64_decode(command("GET", "/session/" + session_ + "/screenshot").get<std::string>());
}

}  // namespace profo::testing
