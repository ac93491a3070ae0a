// ProfoChatBot SDK: the binary contract between the host and its plugins.
//
// A plugin is a shared module that exports exactly one symbol, `profo_plugin`,
// declared with PROFO_PLUGIN(...). The same macro embeds a metadata record in
// the module's read-only data, so the host can read the ABI version, kind, id,
// version and toolchain of a module from the file *before* it loads it: a module
// built against another ABI or toolchain is refused without running any of its
// code (static constructors included).
//
// Versioning: kAbiMajor changes on any incompatible change to an SDK header;
// kAbiMinor grows when something is only added (new virtual functions go at the
// end of an interface, new descriptor fields at the end of PluginDescriptor).
#pragma once

#include <boost/dll/alias.hpp>
#include <boost/version.hpp>
#include <nlohmann/json_fwd.hpp>

#include <cstdint>

#define PROFO_SDK_ABI_MAJOR 2
#define PROFO_SDK_ABI_MINOR 13

// SDK interfaces are shared between modules: their vtables and type info must be
// visible even though plugins are built with -fvisibility=hidden.
#define PROFO_SDK_API __attribute__((visibility("default")))

namespace profo::sdk {

inline constexpr std::uint32_t kAbiMajor = PROFO_SDK_ABI_MAJOR;
inline constexpr std::uint32_t kAbiMinor = PROFO_SDK_ABI_MINOR;

enum class PluginKind : std::uint32_t {
    element = 1,
    enrollment = 2,
    storage = 3,
    transport = 4,
};

constexpr const char* to_string(PluginKind kind) noexcept {
    switch (kind) {
        case PluginKind::element: return "element";
        case PluginKind::enrollment: return "enrollment";
        case PluginKind::storage: return "storage";
        case PluginKind::transport: return "transport";
    }
    return "unknown";
}

class Plugin;

// What a module exports. Plain data: readable without calling into the module.
struct PluginDescriptor {
    std::uint32_t struct_size;  // sizeof at build time; fields are only appended
    std::uint32_t abi_major;
    std::uint32_t abi_minor;
    PluginKind kind;
    const char* id;         // unique per kind, [a-z0-9_]+
    const char* version;    // the plugin's own semantic version
    const char* toolchain;  // PROFO_SDK_TOOLCHAIN of the plugin's build
    // Creates the plugin object. Never throws: on failure returns nullptr and
    // writes a NUL-terminated reason into `error` (at most error_size bytes).
    Plugin* (*create)(char* error, std::uint32_t error_size);
    void (*destroy)(Plugin*) noexcept;
};

}  // namespace profo::sdk

#define PROFO_SDK_STR2(x) #x
#define PROFO_SDK_STR(x) PROFO_SDK_STR2(x)

// clang defines __GNUC__ 4.2 too, so it is told apart by __clang__.
#if defined(__clang__)
#define PROFO_SDK_COMPILER "clang-" PROFO_SDK_STR(__clang_major__) "." PROFO_SDK_STR(__clang_minor__)
#else
#define PROFO_SDK_COMPILER "gcc-" PROFO_SDK_STR(__GNUC__) "." PROFO_SDK_STR(__GNUC_MINOR__)
#endif

// Everything that must match for C++ interfaces (std::string, vtables,
// exceptions, nlohmann::json) to be safe to share between host and plugin.
#define PROFO_SDK_TOOLCHAIN \
    PROFO_SDK_COMPILER ";libstdc++-" PROFO_SDK_STR( \
        _GLIBCXX_RELEASE) ";cxx-" PROFO_SDK_STR(__cplusplus) ";boost-" PROFO_SDK_STR(BOOST_VERSION) \
        ";json-" PROFO_SDK_STR(NLOHMANN_JSON_VERSION_MAJOR) "." PROFO_SDK_STR(NLOHMANN_JSON_VERSION_MINOR)

// The metadata record the host reads from the file before loading it.
#define PROFO_SDK_METADATA(kind_name, id, version)                               \
    "PROFO-PLUGIN-METADATA\n"                                                    \
    "abi=" PROFO_SDK_STR(PROFO_SDK_ABI_MAJOR) "." PROFO_SDK_STR(                 \
        PROFO_SDK_ABI_MINOR) "\nkind=" kind_name "\nid=" id "\nversion=" version \
                             "\ntoolchain=" PROFO_SDK_TOOLCHAIN "\nend\n"

// Declares the plugin implemented by CLASS, of kind KIND (one of the bare words
// element, enrollment, storage, transport; CLASS must derive from the matching
// ElementPlugin, EnrollmentPlugin, StoragePlugin or TransportPlugin and be
// default constructible). The id and version come from the build:
// profo_add_plugin(... ID <id> VERSION <version>) defines PROFO_PLUGIN_ID and
// PROFO_PLUGIN_VERSION, so the id is written once, in CMake. Use once per
// module, at namespace scope in one .cpp file.
#define PROFO_PLUGIN(CLASS, KIND) PROFO_PLUGIN_DECLARE(CLASS, KIND, PROFO_PLUGIN_ID, PROFO_PLUGIN_VERSION)

// PROFO_PLUGIN with the id and version spelled out: for the loader's own test
// fixtures, which need modules that lie about themselves.
#define PROFO_PLUGIN_DECLARE(CLASS, KIND, ID, VERSION)                                                   \
    static_assert(::profo::sdk::detail::implements_kind<CLASS, ::profo::sdk::PluginKind::KIND>,          \
                  #CLASS " must derive from the " #KIND " plugin interface");                            \
    namespace {                                                                                          \
    __attribute__((used)) const char profo_plugin_metadata[] = PROFO_SDK_METADATA(#KIND, ID, VERSION);   \
    ::profo::sdk::Plugin* profo_plugin_create(char* error, std::uint32_t error_size) {                   \
        return ::profo::sdk::detail::create_guarded<CLASS>(error, error_size);                           \
    }                                                                                                    \
    void profo_plugin_destroy(::profo::sdk::Plugin* plugin) noexcept {                                   \
        delete plugin;                                                                                   \
    }                                                                                                    \
    const ::profo::sdk::PluginDescriptor profo_plugin_descriptor{sizeof(::profo::sdk::PluginDescriptor), \
                                                                 PROFO_SDK_ABI_MAJOR,                    \
                                                                 PROFO_SDK_ABI_MINOR,                    \
                                                                 ::profo::sdk::PluginKind::KIND,         \
                                                                 ID,                                     \
                                                                 VERSION,                                \
                                                                 PROFO_SDK_TOOLCHAIN,                    \
                                                                 &profo_plugin_create,                   \
                                                                 &profo_plugin_destroy};                 \
    }                                                                                                    \
    BOOST_DLL_ALIAS(profo_plugin_descriptor, profo_plugin)
