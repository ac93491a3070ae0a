#include "plugins/plugin_loader.hpp"

#include <boost/dll/library_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <algorithm>
#include <array>
#include <fstream>
#include <istream>
#include <iterator>
#include <map>
#include <sstream>
#include <variant>

namespace profo::host {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kMetadataMarker = "PROFO-PLUGIN-METADATA\n";
constexpr const char* kEntrySymbol = "profo_plugin";
// The first minor version whose storage interfaces this host calls in full
// and whose records it exchanges with storage (2.1 added the retention
// deletes and Storage::durability(); 2.2 the AccountChanges role and
// CourseDeployment::archived_at, so an older module would hand back
// deployments of the wrong size; 2.3 the PanelAccessStore role; 2.4 the
// AnalyticsStore role and Run::version_id; 2.5 the BotHealthStore and
// RunTimerStore roles and Run::preview; 2.6 the EventIsolation and
// BotLeaseStore roles, which group commit and several processes need; 2.7
// the ChatAuthoringStore role; 2.8 Storage::begin_unsynced(), which the
// Telegram transport calls; 2.9 the rows-at-once appends of RunStore and
// OutboxStore, which the engine calls; 2.10 Storage::begin_read(), which the
// Telegram transport calls; 2.12 RunFilter's chat and order, which the engine
// uses to find a chat's last run: an older plugin would ignore them and
// answer with other chats' runs; 2.13 UpdateLedger::mark_updates_processed,
// which the engine's groups call).
constexpr std::uint32_t kStorageAbiMinor = 13;
// Transports hand the engine InboundEvents, which grew in 2.7 (documents):
// an older module would pass one of the wrong size.
constexpr std::uint32_t kTransportAbiMinor = 7;

// The toolchain this host was built with, in the same spelling plugins embed.
const std::string& host_toolchain() {
    static const std::string value = PROFO_SDK_TOOLCHAIN;
    return value;
}

std::optional<sdk::PluginKind> parse_kind(std::string_view name) {
    for (auto kind : {sdk::PluginKind::element, sdk::PluginKind::enrollment, sdk::PluginKind::storage,
                      sdk::PluginKind::transport})
        if (name == sdk::to_string(kind)) return kind;
    return std::nullopt;
}

// The record from its marker up to (not including) "\nend\n", or "" when there
// is none; `marker_seen` tells a truncated record from no record. The record is
// in .rodata, about a megabyte into the file, while a module with debug info is
// tens of MB: reading in chunks up to the record instead of the whole file takes
// every `profo` command's start from about a second of copying to milliseconds.
std::string metadata_record(std::istream& in, bool& marker_seen) {
    constexpr std::size_t kChunk = 256 * 1024;
    std::string window;  // unsearched bytes, plus what a marker split by a chunk boundary needs
    std::vector<char> chunk(kChunk);
    std::size_t at = std::string::npos;
    while (in) {
        in.read(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        const auto got = static_cast<std::size_t>(in.gcount());
        if (got == 0) break;
        window.append(chunk.data(), got);
        if (at == std::string::npos) {
            at = window.find(kMetadataMarker);
            if (at == std::string::npos) {
                window.erase(0, window.size() - std::min(window.size(), kMetadataMarker.size() - 1));
                continue;
            }
            window.erase(0, at);
            at = 0;
        }
        if (const auto end = window.find("\nend\n"); end != std::string::npos) {
            marker_seen = true;
            return window.substr(0, end);
        }
    }
    marker_seen = at != std::string::npos;
    return {};
}

// Finds the record PROFO_PLUGIN embeds and parses its `key=value` lines.
// Returns an error text instead when the record is missing or malformed.
std::variant<PluginMetadata, std::string> read_metadata(const fs::path& file) {
    std::ifstream in(file, std::ios::binary);
    if (!in) return std::string("cannot be read");
    bool marker_seen = false;
    const std::string record = metadata_record(in, marker_seen);
    if (!marker_seen)
        return std::string("not a ProfoChatBot plugin (no metadata record; declare it with PROFO_PLUGIN)");
    if (record.empty()) return std::string("metadata record is truncated");

    std::map<std::string, std::string> fields;
    std::istringstream lines(record.substr(kMetadataMarker.size()));
    for (std::string line; std::getline(lines, line);) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) return "malformed metadata line '" + line + "'";
        fields[line.substr(0, eq)] = line.substr(eq + 1);
    }
    for (const char* key : {"abi", "kind", "id", "version", "toolchain"})
        if (!fields.count(key)) return std::string("metadata record lacks '") + key + "'";

    PluginMetadata meta;
    unsigned major = 0, minor = 0;
    char dot = 0;
    std::istringstream abi(fields["abi"]);
    if (!(abi >> major >> dot >> minor) || dot != '.') return "malformed ABI version '" + fields["abi"] + "'";
    meta.abi_major = major;
    meta.abi_minor = minor;
    auto kind = parse_kind(fields["kind"]);
    if (!kind) return "unknown plugin kind '" + fields["kind"] + "'";
    meta.kind = *kind;
    meta.id = fields["id"];
    meta.version = fields["version"];
    meta.toolchain = fields["toolchain"];
    if (meta.id.empty()) return std::string("empty plugin id");
    return meta;
}

bool exports_entry_symbol(const fs::path& file, std::string& error) {
    try {
        boost::dll::library_info info(file);
        const auto symbols = info.symbols();
        return std::find(symbols.begin(), symbols.end(), kEntrySymbol) != symbols.end();
    } catch (const std::exception& e) {
        error = std::string("not a loadable module: ") + e.what();
        return false;
    }
}

}  // namespace

std::string PluginMetadata::qualified_id() const {
    return std::string(sdk::to_string(kind)) + "/" + id;
}

PluginLoadError::PluginLoadError(const fs::path& path, const std::string& reason)
    : std::runtime_error(path.string() + ": " + reason), path_(path), reason_(reason) {}

LoadedPlugin::LoadedPlugin(PluginCandidate candidate, std::unique_ptr<boost::dll::shared_library> library,
                           sdk::Plugin* object, void (*destroy)(sdk::Plugin*) noexcept)
    : candidate_(std::move(candidate)), library_(std::move(library)), object_(object), destroy_(destroy) {}

LoadedPlugin::~LoadedPlugin() {
    // The object's code lives in the module: destroy it before unloading.
    destroy_(object_);
    library_.reset();
}

PluginCandidate inspect_plugin(const fs::path& file) {
    PluginCandidate candidate{file, std::nullopt, {}};
    auto meta = read_metadata(file);
    if (auto* error = std::get_if<std::string>(&meta)) {
        candidate.refusal = *error;
        return candidate;
    }
    candidate.metadata = std::get<PluginMetadata>(meta);
    const PluginMetadata& m = *candidate.metadata;
    if (m.abi_major != sdk::kAbiMajor) {
        candidate.refusal = "SDK ABI " + std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor) +
                            " is incompatible with the host's " + std::to_string(sdk::kAbiMajor) + "." +
                            std::to_string(sdk::kAbiMinor) + " (major versions differ)";
    } else if (m.abi_minor > sdk::kAbiMinor) {
        candidate.refusal = "built for SDK ABI " + std::to_string(m.abi_major) + "." +
                            std::to_string(m.abi_minor) + ", newer than the host's " +
                            std::to_string(sdk::kAbiMajor) + "." + std::to_string(sdk::kAbiMinor);
    } else if (m.kind == sdk::PluginKind::storage && m.abi_minor < kStorageAbiMinor) {
        // The host calls what a storage plugin implements: an older one lacks
        // the methods added since and would crash on the first such call.
        candidate.refusal = "storage plugin built for SDK ABI " + std::to_string(m.abi_major) + "." +
                            std::to_string(m.abi_minor) + "; storage plugins need " +
                            std::to_string(sdk::kAbiMajor) + "." + std::to_string(kStorageAbiMinor) +
                            " or newer (the storage interfaces grew): rebuild it against this SDK";
    } else if (m.kind == sdk::PluginKind::transport && m.abi_minor < kTransportAbiMinor) {
        candidate.refusal = "transport plugin built for SDK ABI " + std::to_string(m.abi_major) + "." +
                            std::to_string(m.abi_minor) + "; transport plugins need " +
                            std::to_string(sdk::kAbiMajor) + "." + std::to_string(kTransportAbiMinor) +
                            " or newer (InboundEvent grew): rebuild it against this SDK";
    } else if (m.toolchain != host_toolchain()) {
        candidate.refusal = "toolchain mismatch: plugin built with '" + m.toolchain + "', host with '" +
                            host_toolchain() + "'";
    } else {
        std::string error;
        if (!exports_entry_symbol(file, error))
            candidate.refusal =
                error.empty() ? std::string("missing entry symbol '") + kEntrySymbol + "'" : error;
    }
    return candidate;
}

std::vector<PluginCandidate> discover_plugins(const std::vector<fs::path>& search_paths) {
    std::vector<fs::path> files;
    for (const auto& dir : search_paths) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) continue;
        for (const auto& entry : fs::directory_iterator(dir, ec)) {
            const auto name = entry.path().filename().string();
            if (entry.is_regular_file() && name.rfind("profo_", 0) == 0 && entry.path().extension() == ".so")
                files.push_back(fs::weakly_canonical(entry.path()));
        }
    }
    std::sort(files.begin(), files.end());
    files.erase(std::unique(files.begin(), files.end()), files.end());

    std::vector<PluginCandidate> found;
    std::map<std::string, fs::path> first_provider;
    for (const auto& file : files) {
        auto candidate = inspect_plugin(file);
        if (candidate.metadata) {
            const auto key = candidate.metadata->qualified_id();
            auto [it, inserted] = first_provider.emplace(key, file);
            if (!inserted && candidate.refusal.empty())
                candidate.refusal = "duplicate id '" + key + "', already provided by " + it->second.string();
        }
        found.push_back(std::move(candidate));
    }
    return found;
}

std::shared_ptr<LoadedPlugin> load_plugin(const PluginCandidate& candidate) {
    if (!candidate.refusal.empty()) throw PluginLoadError(candidate.path, candidate.refusal);
    if (!candidate.metadata) throw PluginLoadError(candidate.path, "no metadata");
    const PluginMetadata& meta = *candidate.metadata;

    auto library = std::make_unique<boost::dll::shared_library>();
    boost::dll::fs::error_code ec;
    // RTLD_LOCAL: two plugins may carry different copies of the same static code.
    library->load(candidate.path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
    if (ec) throw PluginLoadError(candidate.path, "cannot be loaded: " + ec.message());
    if (!library->has(kEntrySymbol))
        throw PluginLoadError(candidate.path, std::string("missing entry symbol '") + kEntrySymbol + "'");

    const auto& descriptor = library->get_alias<const sdk::PluginDescriptor>(kEntrySymbol);
    if (descriptor.struct_size < sizeof(sdk::PluginDescriptor) || descriptor.abi_major != meta.abi_major ||
        descriptor.kind != meta.kind || meta.id != descriptor.id || meta.toolchain != descriptor.toolchain)
        throw PluginLoadError(candidate.path, "descriptor does not match the module's metadata record");
    if (descriptor.create == nullptr || descriptor.destroy == nullptr)
        throw PluginLoadError(candidate.path, "descriptor has no factory");

    std::array<char, 512> error{};
    sdk::Plugin* object = descriptor.create(error.data(), static_cast<std::uint32_t>(error.size()));
    if (object == nullptr)
        throw PluginLoadError(candidate.path, std::string("factory failed: ") +
                                                  (error[0] != '\0' ? error.data() : "no reason given"));
    return std::make_shared<LoadedPlugin>(candidate, std::move(library), object, descriptor.destroy);
}

std::shared_ptr<LoadedPlugin> load_plugin_file(const fs::path& file) {
    return load_plugin(inspect_plugin(file));
}

}  // namespace profo::host
