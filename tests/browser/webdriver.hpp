// Headless Chromium driven over the W3C WebDriver protocol by Debian's
// chromedriver: the browser tests' only dependency besides the browser.
#pragma once

#include "process.hpp"

#include <nlohmann/json.hpp>

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

namespace profo::testing {

class Browser {
public:
    // Why browser tests cannot run here (no chromium or chromedriver), or nothing.
    static std::optional<std::string> unavailable();
    Browser();
    ~Browser();
    Browser(const Browser&) = delete;
    Browser& operator=(const Browser&) = delete;

    void go(const std::string& url);
    // The first element matching `css`, waiting up to `timeout` for it.
    std::string find(const std::string& css, std::chrono::milliseconds timeout = std::chrono::seconds(10));
    void click(const std::string& css);
    void type(const std::string& css, const std::string& text);
    std::string text(const std::string& css);
    // Waits until the page's visible text contains `text`; throws with the page's text otherwise.
    void wait_for_text(const std::string& text, std::chrono::milliseconds timeout = std::chrono::seconds(15));
    nlohmann::json run_script(const std::string& script,
                              const nlohmann::json& args = nlohmann::json::array());
    void screenshot(const std::filesystem::path& png);

private:
    nlohmann::json command(const std::string& method, const std::string& path,
                           const nlohmann::json& body = nullptr);
    // Runs `step` on the element matching `css`, finding it again while it goes stale.
    nlohmann::json on_element(const std::string& css,
                              const std::function<nlohmann::json(const std::string&)>& step);

    std::unique_ptr<RunningProcess> driver_;
    unsigned short port_ = 0;
    std::string session_;
};

}  // namespace profo::testing
