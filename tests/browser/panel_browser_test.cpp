#include "build_tree.hpp"
#include "emulated_telegram.hpp"
#include "loopback_http.hpp"
#include "process.hpp"
#include "test_config.hpp"
#include "webdriver.hpp"

#include <nlohmann/json.hpp>

#include <gtest/gtest.h>

#include <regex>
#include <thread>

using namespace profo::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

const std::string kCourse = R"(hello:
  type: message
  text: Hello from the panel
ready:
  type: quiz
  text: Ready for physics?
  answers:
    - text: "Yes"
      correct: yes
    - text: "No"
)";

unsigned short port_in(const std::string& log) {
    std::smatch m;
    if (!std::regex_search(log, m, std::regex(R"(serving on [0-9.]+:([0-9]+))")))
        throw std::runtime_error("no 'serving on' in:\n" + log);
    return static_cast<unsigned short>(std::stoi(m[1]));
}

// Sets a textarea's text the way typing would, so its input handlers run.
void set_yaml(Browser& b, const std::string& yaml) {
    b.run_script(
        "const a = document.getElementById('course-yaml'); a.value = arguments[0];"
        "a.dispatchEvent(new Event('input'));",
        json::array({yaml}));
}

}  // namespace

TEST(PanelInBrowser, ACreatorBringsACourseToStudentsAndSeesTheirRuns) {
    if (auto reason = Browser::unavailable()) GTEST_SKIP() << *reason;
    Emulator e;
    TempDir dir;
    TestConfig c;
    c.settings["transport/telegram"] =
        "{\"base_url\": \"" + e.url() + "\", \"poll_timeout_s\": 1, \"bots_refresh_ms\": 200}";
    const auto config = write_test_config(dir, c);
    RunningProcess serve(profo_command(config, {"serve"}));
    const auto port = port_in(serve.wait_for_stderr("serving on", 60s));
    const auto link = run_process(profo_command(config, {"admin", "login-link", "--account", "1"}));
    ASSERT_EQ(link.exit_code, 0) << link.err;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(link.out, m, std::regex(R"(/login/link\?token=[0-9A-Za-z]+)"))) << link.out;
    const std::string base = "http://127.0.0.1:" + std::to_string(port);
    const std::filesystem::path shots = profo::build_tree::root() / "Testing/screenshots";

    Browser b;
    // Sign in with the one-time link.
    b.go(base + m[0].str());
    b.screenshot(shots / "01-login-link.png");
    b.click("button[type=submit]");
    b.wait_for_text("No courses yet");
    b.screenshot(shots / "02-courses.png");

    // Bring a course: problems show with their lines as it is typed; then create it.
    b.type("#course-name", "Physics");
    set_yaml(b, "hello:\n  type: message\n  text: Hi\nbroken:\n  type: mesage\n  text: Hi\n");
    b.wait_for_text("line 5: broken: unknown type 'mesage'");
    b.screenshot(shots / "03-course-problems.png");
    set_yaml(b, kCourse);
    b.wait_for_text("No problems.");
    // The fields of the element under the cursor, from the course JSON Schema.
    b.run_script(
        "const a = document.getElementById('course-yaml'); a.focus();"
        "a.selectionStart = a.selectionEnd = a.value.indexOf('Ready for physics');"
        "a.dispatchEvent(new Event('click'));");
    b.wait_for_text("ready (quiz)");
    b.wait_for_text("answers (required)");
    b.screenshot(shots / "03b-course-fields.png");
    b.click("#course-save");
    b.wait_for_text("Course 1");
    b.wait_for_text("Outline of version 1");
    b.screenshot(shots / "04-course.png");
    // Publish a second version from the editor.
    std::string second = kCourse;
    second.replace(second.find("Hello from the panel"), 20, "Hello again, version 2");
    set_yaml(b, second);
    b.wait_for_text("No problems.");
    b.click("#course-save");
    b.wait_for_text("Published version 2");

    // Tried in the preview chat: the real engine, no bot, the creator as the student.
    b.go(base + "/#/preview/2");
    b.wait_for_text("Hello again, version 2");
    b.wait_for_text("Ready for physics?");
    b.click(".buttons.live button");  // "Yes"
    b.wait_for_text("Run completed.");
    b.screenshot(shots / "04b-preview.png");

    // A bot, by its token.
    const auto bot = e.post("/_emulator/bots", {{"username", "physics_class_bot"}});
    b.go(base + "/#/bots");
    b.type("input[name=token]", bot["token"].get<std::string>());
    b.click("form.inline button[type=submit]");
    b.wait_for_text("@physics_class_bot");
    // The transport reports how it serves the bot; the screen shows it.
    for (int i = 0; i < 50 && b.text("span.health").find("polling") == std::string::npos; ++i) {
        std::this_thread::sleep_for(200ms);
        b.go(base + "/#/courses");
        b.go(base + "/#/bots");
        b.wait_for_text("@physics_class_bot");
    }
    EXPECT_EQ(b.text("span.health"), "polling");
    b.screenshot(shots / "05-bots.png");

    // Deployed in test, then promoted to prod.
    b.go(base + "/#/deployments");
    b.wait_for_text("Deploy a course");
    b.click("form.inline button[type=submit]");
    b.wait_for_text("Promote to prod");
    b.click("td button");
    b.wait_for_text("prod");
    b.screenshot(shots / "06-deployments.png");

    // A public link on the prod deployment (the second).
    b.go(base + "/#/tokens");
    b.wait_for_text("New token");
    b.run_script("document.querySelector('select[name=deployment_id]').value = '2';");
    b.click("form.inline button[type=submit]");
    b.wait_for_text("t.me/physics_class_bot");
    b.screenshot(shots / "07-tokens.png");
    const auto shown = b.text("code.link");
    b.click(".qr-button");
    b.find("#qr-box img");
    b.screenshot(shots / "07b-token-qr.png");
    const auto payload = shown.substr(shown.find("start=") + 6);

    // A student takes it in Telegram.
    const std::int64_t student = 7001;
    e.post("/_emulator/start", {{"bot_id", bot["id"]}, {"user_id", student}, {"payload", payload}});
    const auto transcript = e.wait(bot["id"].get<std::int64_t>(), student, 2);
    EXPECT_NE(transcript.dump().find("Hello again, version 2"), std::string::npos) << transcript.dump(2);

    // The run, and the whole conversation drawn as a chat.
    b.go(base + "/#/runs");
    b.wait_for_text("7001");
    b.screenshot(shots / "08-runs.png");
    b.click("tbody a");
    b.wait_for_text("Hello again, version 2");
    b.wait_for_text("Ready for physics?");
    b.screenshot(shots / "09-conversation.png");

    // The funnel counts the student at the elements they reached.
    b.go(base + "/#/analytics");
    b.wait_for_text("Funnel, version 2");
    const auto reached = b.run_script(
        "return Array.from(document.querySelectorAll('table')[0].querySelectorAll('tbody tr'))"
        ".map(tr => Array.from(tr.cells).map(td => td.innerText));");
    ASSERT_EQ(reached.size(), 2u) << reached.dump();
    EXPECT_EQ(reached[0][0], "hello");
    EXPECT_EQ(reached[0][2], "1") << reached.dump();
    EXPECT_EQ(reached[1][0], "ready");
    EXPECT_EQ(reached[1][2], "1") << reached.dump();
    b.find("#funnel-chart");
    b.screenshot(shots / "10-analytics.png");
    EXPECT_EQ(serve.err().find(bot["token"].get<std::string>()), std::string::npos)
        << "a bot token was logged";
}
