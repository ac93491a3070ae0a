// Transport plugins connect the platform to the outside world: the Telegram
// Bot API, the creators' panel. A transport starts serving in start() and
// stops, finishing what is in flight, in stop().
#pragma once

#include <profo/sdk/admin.hpp>
#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/storage.hpp>
#include <profo/sdk/telegram_auth.hpp>

namespace profo::sdk {

// What a transport may use: the common host services, the storage (bots,
// offsets, the outbox, polls), the engine it feeds events into, Telegram
// signature checks and (2.3) the platform's services for creators.
class PROFO_SDK_API TransportHost : public HostApi {
public:
    virtual Storage& storage() = 0;
    virtual CourseEngine& engine() = 0;
    virtual const TelegramSignatures& telegram() const = 0;
    // 2.3: accounts, bots, courses, deployments, tokens, runs, bans,
    // analytics, as the panel offers them (admin.hpp).
    virtual AdminServices& admin() = 0;
};

class PROFO_SDK_API TransportPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::transport;
    virtual void start(TransportHost& /*host*/) {}
    // Whether the transport is serving (for readiness probes).
    virtual bool ready() const { return true; }
};

}  // namespace profo::sdk
