// Finding, checking and loading plugin modules.
//
// inspect_plugin() reads a module's metadata record and symbol table from the
// file without loading it, so a module built for another ABI or toolchain, or
// one without the entry symbol, is refused before any of its code runs.
// load_plugin() then loads an accepted module and creates its plugin object.
#pragma once

#include <profo/sdk/plugin.hpp>

#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace boost::dll {
class shared_library;
}

namespace profo::host {

struct PluginMetadata {
    std::uint32_t abi_major = 0;
    std::uint32_t abi_minor = 0;
    sdk::PluginKind kind = sdk::PluginKind::element;
    std::string id;
    std::string version;
    std::string toolchain;

    std::string qualified_id() const;  // "<kind>/<id>", e.g. "storage/sqlite"
};

struct PluginCandidate {
    std::filesystem::path path;
    std::optional<PluginMetadata> metadata;  // empty when the file has none
    std::string refusal;                     // why it cannot be loaded; empty when it can
};

class PluginLoadError : public std::runtime_error {
public:
    PluginLoadError(const std::filesystem::path& path, const std::string& reason);
    const std::filesystem::path& path() const noexcept { return path_; }
    const std::string& reason() const noexcept { return reason_; }

private:
    std::filesystem::path path_;
    std::string reason_;
};

// A loaded module and the plugin object it created. The object is destroyed
// (by the module's own destroy function) before the module is unloaded; objects
// the plugin hands out must be kept with keep_alive() so the module outlives
// them as well.
class LoadedPlugin : public std::enable_shared_from_this<LoadedPlugin> {
public:
    LoadedPlugin(PluginCandidate candidate, std::unique_ptr<boost::dll::shared_library> library,
                 sdk::Plugin* object, void (*destroy)(sdk::Plugin*) noexcept);
    ~LoadedPlugin();
    LoadedPlugin(const LoadedPlugin&) = delete;
    LoadedPlugin& operator=(const LoadedPlugin&) = delete;

    const PluginMetadata& metadata() const { return *candidate_.metadata; }
    const std::filesystem::path& path() const { return candidate_.path; }
    sdk::Plugin& object() { return *object_; }

    // The plugin object as its kind's interface (checked against the metadata).
    template <class Interface>
    Interface& as() {
        if (metadata().kind != Interface::kKind)
            throw PluginLoadError(path(),
                                  "plugin is not of kind " + std::string(sdk::to_string(Interface::kKind)));
        return static_cast<Interface&>(*object_);
    }

    // Wraps an object the plugin created so that this module stays loaded for
    // as long as the object lives.
    template <class T>
    std::shared_ptr<T> keep_alive(std::unique_ptr<T> made_by_plugin) {
        auto self = shared_from_this();
        return std::shared_ptr<T>(made_by_plugin.release(), [self](T* p) { delete p; });
    }

private:
    PluginCandidate candidate_;
    std::unique_ptr<boost::dll::shared_library> library_;
    sdk::Plugin* object_;
    void (*destroy_)(sdk::Plugin*) noexcept;
};

// Reads the module's metadata and checks ABI, toolchain and entry symbol.
PluginCandidate inspect_plugin(const std::filesystem::path& file);

// Every `profo_*.so` below the search paths (not recursive), inspected, sorted
// by path; a second module with the same kind and id is refused as duplicate.
std::vector<PluginCandidate> discover_plugins(const std::vector<std::filesystem::path>& search_paths);

// Loads an accepted candidate. Throws PluginLoadError naming the file and the
// reason (refused candidate, dlopen failure, descriptor mismatch, factory error).
std::shared_ptr<LoadedPlugin> load_plugin(const PluginCandidate& candidate);

// inspect + load in one step, for tests and tools.
std::shared_ptr<LoadedPlugin> load_plugin_file(const std::filesystem::path& file);

}  // namespace profo::host
