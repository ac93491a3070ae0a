#include "cli/platform_session.hpp"

#include "logging/logging.hpp"
#include "runtime/platform.hpp"

#include <spdlog/spdlog.h>

#include <filesystem>
#include <ostream>

namespace profo::host {

std::optional<Config> load_command_config(CommandIo& io, const std::vector<std::string>& args) {
    std::vector<std::string> warnings;
    try {
        const auto named = config_path_from(args, io.env);
        const std::filesystem::path file = named ? std::filesystem::path(*named)
                                                 : find_default_config(default_config_locations(
                                                       std::filesystem::current_path(), executable_dir()));
        Config config = load_config(file, io.env, &warnings);
        configure_logging(config.log);
        if (!config.secrets.key.empty()) register_secret(config.secrets.key);
        for (const auto& w : warnings) spdlog::warn("{}", w);
        return config;
    } catch (const ConfigError& e) {
        for (const auto& p : e.problems()) io.err << p << "\n";
        return std::nullopt;
    }
}

int report_command_failure(CommandIo& io, const std::exception& e) {
    if (const auto* failures = dynamic_cast<const PluginFailures*>(&e)) {
        for (const auto& f : failures->failures()) io.err << "plugin refused: " << f << "\n";
        return 1;
    }
    io.err << "profo: " << e.what() << "\n";
    return 1;
}

}  // namespace profo::host
