// A config for the real binary in a temporary folder: every plugin the build
// produced enabled, SQLite and the secrets key inside the folder.
#pragma once

#include "process.hpp"

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace profo::testing {

struct TestConfig {
    std::string listen = "127.0.0.1:0";
    std::string storage_plugin = "sqlite";
    std::string dsn;                    // empty: <dir>/profo.db
    std::vector<std::string> disabled;  // "<kind>/<id>" left out
    // "<kind>/<id>" -> settings as a YAML/JSON flow mapping, e.g. {"base_url": "http://..."}
    std::map<std::string, std::string> settings;
    std::string extra_yaml;  // appended verbatim (e.g. an engine: section)
    // The SDK's example plugins (built apart, in <build>/examples/plugins)
    // found and enabled as well.
    bool with_sdk_examples = false;
};

// Writes <dir>/profo.yaml and returns its path.
std::filesystem::path write_test_config(const TempDir& dir, const TestConfig& config = {});

// "<kind>/<id>" of every module in the build's plugins folder (or another).
std::vector<std::string> built_plugins();
std::vector<std::string> plugins_in(const std::filesystem::path& folder);

// The `profo` binary of this build with `--config FILE` and the arguments.
std::vector<std::string> profo_command(const std::filesystem::path& config, std::vector<std::string> args);

}  // namespace profo::testing
