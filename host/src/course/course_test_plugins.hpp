// The plugins the course tests run against: every element module the build
// produced plus the `probe` element of tests/course_fixtures,
// which reports whatever issues a course asks it to.
#pragma once

#include "build_tree.hpp"
#include "config/config.hpp"
#include "plugins/plugin_loader.hpp"
#include "plugins/plugin_registry.hpp"

#include <filesystem>
#include <memory>
#include <string>

namespace profo::host::course_test {

inline const std::filesystem::path kPluginDir = profo::build_tree::plugin_dir();
inline const std::filesystem::path kFixtureDir = profo::build_tree::root() / "tests" / "course_fixtures";
inline const std::filesystem::path kCoursesDir = PROFO_LEGACY_COURSES_DIR;

inline std::unique_ptr<PluginRegistry> element_plugins() {
    Config config;
    config.plugin_search_paths = {kPluginDir.string(), kFixtureDir.string()};
    auto candidates = discover_plugins(config.resolved_search_paths());
    for (const auto& c : candidates)
        if (c.metadata && c.metadata->kind == sdk::PluginKind::element)
            config.plugins[c.metadata->qualified_id()].enabled = true;
    return std::make_unique<PluginRegistry>(config, std::move(candidates));
}

// The element types the real element plugins must provide for the legacy courses.
inline const std::vector<std::string> kLegacyTypes{"audio", "delay",    "dialog",  "end",          "input",
                                                   "jump",  "message",  "miniapp", "multi_choice", "question",
                                                   "quiz",  "revision", "section", "test"};

}  // namespace profo::host::course_test
