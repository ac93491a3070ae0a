// The base of every plugin object and the declaration macro's helpers.
#pragma once

#include <profo/sdk/abi.hpp>

#include <cstdint>
#include <cstring>
#include <exception>
#include <type_traits>

namespace profo::sdk {

class HostApi;

// A plugin object lives from load to shutdown. The host calls its kind's
// start() once, after every enabled plugin is loaded and the storage is open,
// with the host interface that kind may use (ElementHost, HostApi,
// TransportHost), and stop() once before unloading; neither is called
// concurrently with the other. Exceptions thrown from any plugin call are
// caught by the host and reported with the plugin's id; they never unwind
// through the host's own frames unhandled.
class PROFO_SDK_API Plugin {
public:
    virtual ~Plugin() = default;
    Plugin() = default;
    Plugin(const Plugin&) = delete;
    Plugin& operator=(const Plugin&) = delete;

    virtual void stop() {}
};

class ElementPlugin;
class EnrollmentPlugin;
class StoragePlugin;
class TransportPlugin;

namespace detail {

template <PluginKind K>
struct kind_interface;
template <>
struct kind_interface<PluginKind::element> {
    using type = ElementPlugin;
};
template <>
struct kind_interface<PluginKind::enrollment> {
    using type = EnrollmentPlugin;
};
template <>
struct kind_interface<PluginKind::storage> {
    using type = StoragePlugin;
};
template <>
struct kind_interface<PluginKind::transport> {
    using type = TransportPlugin;
};

template <class T, PluginKind K>
inline constexpr bool implements_kind =
    std::is_base_of_v<typename kind_interface<K>::type, T>&& std::is_default_constructible_v<T>;

inline void copy_error(char* error, std::uint32_t size, const char* what) noexcept {
    if (error == nullptr || size == 0) return;
    std::strncpy(error, what, size - 1);
    error[size - 1] = '\0';
}

// The host receives Plugin*; it converts to the kind's interface with a
// static_cast, which is valid because implements_kind<> was checked.
template <class T>
Plugin* create_guarded(char* error, std::uint32_t error_size) noexcept {
    try {
        return static_cast<Plugin*>(new T());
    } catch (const std::exception& e) {
        copy_error(error, error_size, e.what());
    } catch (...) {
        copy_error(error, error_size, "unknown exception");
    }
    return nullptr;
}

}  // namespace detail
}  // namespace profo::sdk
