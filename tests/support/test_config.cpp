#include "test_config.hpp"
#include "build_tree.hpp"

#include <algorithm>
#include <fstream>
#include <regex>

namespace profo::testing {

namespace fs = std::filesystem;

std::vector<std::string> built_plugins() {
    return plugins_in(build_tree::plugin_dir());
}

std::vector<std::string> plugins_in(const fs::path& folder) {
    static const std::regex name(R"(profo_(element|enrollment|storage|transport)_([a-z0-9_]+)\.so)");
    std::vector<std::string> out;
    for (const auto& entry : fs::directory_iterator(folder)) {
        std::smatch m;
        const std::string file = entry.path().filename().string();
        if (std::regex_match(file, m, name)) out.push_back(m[1].str() + "/" + m[2].str());
    }
    std::sort(out.begin(), out.end());
    return out;
}

fs::path write_test_config(const TempDir& dir, const TestConfig& config) {
    const fs::path file = dir / "profo.yaml";
    const fs::path examples_dir = build_tree::root() / "examples/plugins";
    std::ofstream out(file);
    out << "http: {listen: \"" << config.listen << "\", threads: 2}\n"
        << "log: {level: info, format: text}\n"
        << "storage: {plugin: " << config.storage_plugin << ", dsn: \""
        << (config.dsn.empty() ? (dir / "profo.db").string() : config.dsn) << "\"}\n"
        << "secrets: {key_file: \"" << (dir / "secret.key").string() << "\"}\n"
        << "plugins:\n  search_paths: [\"" << build_tree::plugin_dir().string() << "\""
        << (config.with_sdk_examples ? ", \"" + examples_dir.string() + "\"" : std::string()) << "]\n";
    std::vector<std::string> plugins = built_plugins();
    if (config.with_sdk_examples) {
        const auto examples = plugins_in(examples_dir);
        plugins.insert(plugins.end(), examples.begin(), examples.end());
        std::sort(plugins.begin(), plugins.end());
    }
    std::string current_kind;
    for (const auto& plugin : plugins) {
        if (std::find(config.disabled.begin(), config.disabled.end(), plugin) != config.disabled.end())
            continue;
        const auto slash = plugin.find('/');
        const std::string kind = plugin.substr(0, slash);
        if (kind != current_kind) out << "  " << kind << ":\n", current_kind = kind;
        auto s = config.settings.find(plugin);
        out << "    " << plugin.substr(slash + 1) << ": "
            << (s == config.settings.end() ? "{}" : "{settings: " + s->second + "}") << "\n";
    }
    out << config.extra_yaml;
    return file;
}

std::vector<std::string> profo_command(const fs::path& config, std::vector<std::string> args) {
    std::vector<std::string> argv{build_tree::executable("profo"), "--config", config.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
}

}  // namespace profo::testing
