// Transport plugins connect the platform to the outside world: the Telegram
// Bot API, the creators' panel. A transport starts serving in start() and
// stops, finishing what is in flight, in stop().
#pragma once

#include <profo/sdk/host.hpp>

namespace profo::sdk {

class PROFO_SDK_API TransportPlugin : public Plugin {
public:
    static constexpr PluginKind kKind = PluginKind::transport;
    // Whether the transport is serving (for readiness probes).
    virtual bool ready() const { return true; }
};

}  // namespace profo::sdk
