// The `engine:` section of the config: defaults, the file, PROFO_ENGINE_*.
#include "config/config.hpp"

#include <gtest/gtest.h>

namespace profo::host {
namespace {

TEST(EngineConfig, DefaultsMatchTheRuntimeContract) {
    const auto c = parse_config("", "profo.yaml", {});
    EXPECT_EQ(c.engine.hints.use_buttons, "Please use the buttons above 👆");
    EXPECT_EQ(c.engine.hints.run_finished, "");
    EXPECT_EQ(c.engine.max_steps_per_event, 1000);
}

TEST(EngineConfig, ReadsTheSection) {
    const auto c = parse_config(
        "engine:\n  hints:\n    use_buttons: Жми кнопки\n    run_finished: Курс окончен\n  "
        "max_steps_per_event: 50\n",
        "profo.yaml", {});
    EXPECT_EQ(c.engine.hints.use_buttons, "Жми кнопки");
    EXPECT_EQ(c.engine.hints.run_finished, "Курс окончен");
    EXPECT_EQ(c.engine.max_steps_per_event, 50);
}

TEST(EngineConfig, AnEmptyHintSendsNothing) {
    const auto c =
        parse_config("engine:\n  hints:\n    use_buttons:\n    run_finished: ''\n", "profo.yaml", {});
    EXPECT_EQ(c.engine.hints.use_buttons, "");
    EXPECT_EQ(c.engine.hints.run_finished, "");
}

TEST(EngineConfig, EnvironmentOverridesTheFile) {
    const auto c = parse_config("engine:\n  max_steps_per_event: 50\n", "profo.yaml",
                                {{"PROFO_ENGINE_MAX_STEPS_PER_EVENT", "200"},
                                 {"PROFO_ENGINE_HINTS_USE_BUTTONS", "Use the buttons"},
                                 {"PROFO_ENGINE_HINTS_RUN_FINISHED", "Done"}});
    EXPECT_EQ(c.engine.max_steps_per_event, 200);
    EXPECT_EQ(c.engine.hints.use_buttons, "Use the buttons");
    EXPECT_EQ(c.engine.hints.run_finished, "Done");
}

TEST(EngineConfig, DeferredWorkHasItsOwnPoolAndADeadline) {
    const auto defaults = parse_config("", "profo.yaml", {});
    EXPECT_EQ(defaults.engine.deferred.threads, 4);
    EXPECT_EQ(defaults.engine.deferred.max_queued, 256);
    EXPECT_EQ(defaults.engine.deferred.deadline_ms, 180000);
    EXPECT_EQ(defaults.engine.deferred.delivery_retries, 5);
    EXPECT_EQ(defaults.engine.deferred.delivery_backoff_ms, 200);

    const auto c = parse_config(
        "engine:\n  deferred:\n    threads: 2\n    max_queued: 8\n    deadline_ms: 1500\n"
        "    delivery_retries: 1\n",
        "profo.yaml", {{"PROFO_ENGINE_DEFERRED_DELIVERY_BACKOFF_MS", "20"}});
    EXPECT_EQ(c.engine.deferred.threads, 2);
    EXPECT_EQ(c.engine.deferred.max_queued, 8);
    EXPECT_EQ(c.engine.deferred.deadline_ms, 1500);
    EXPECT_EQ(c.engine.deferred.delivery_retries, 1);
    EXPECT_EQ(c.engine.deferred.delivery_backoff_ms, 20);

    EXPECT_THROW(parse_config("engine:\n  deferred:\n    threads: 0\n", "profo.yaml", {}), ConfigError);
    EXPECT_THROW(parse_config("engine:\n  deferred:\n    deadline: 5\n", "profo.yaml", {}), ConfigError);
}

TEST(EngineConfig, UnknownKeysAndBadValuesAreErrorsWithTheirPlace) {
    try {
        parse_config("engine:\n  hint:\n    x: 1\n  hints:\n    use_button: x\n  max_steps_per_event: 0\n",
                     "profo.yaml", {{"PROFO_ENGINE_MAX_STEPS_PER_EVENT", "many"}});
        FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
        ASSERT_EQ(e.problems().size(), 4u) << e.what();
        EXPECT_NE(e.problems()[0].find("profo.yaml:2: engine.hint: unknown key"), std::string::npos)
            << e.what();
        EXPECT_NE(e.problems()[1].find("profo.yaml:5: engine.hints.use_button: unknown key"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(e.problems()[2].find("profo.yaml:6: engine.max_steps_per_event: must be between 1"),
                  std::string::npos)
            << e.what();
        EXPECT_NE(e.problems()[3].find("PROFO_ENGINE_MAX_STEPS_PER_EVENT"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace profo::host
