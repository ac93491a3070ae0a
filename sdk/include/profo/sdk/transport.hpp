// Transport plugins connect the platform to the outside world: the Telegram
// Bot API, the creators' panel. A transport starts serving in start() and
// stops, finishing what is in flight, in stop().
#pragma once

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/telegram_auth.hpp>

namespace profo::sdk {

// What a transport may use: the common host services, the storage (bots,
// offsets, the outbox, polls), the engine it feeds events into, and Telegram
// signature checks.
class PROFO_SDK_API TransportHost : public HostApi {
public:
    virtual Storage& storage() = 0;
    virtual CourseEngine& engine() = 0;
    virtual const TelegramSignatures& telegram() const = 0;
};

class PROFO_SDK_API TransportPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::transport;
    virtual void start(TransportHost& /*host*/) {}
    // Whether the transport is serving (for readiness probes).
    virtual bool ready() const { return true; }
};

}  // namespace profo::sdk
