// A plugin whose version is longer than any column width a table could guess.
#include "fixture_transport.hpp"

namespace {
class LongVersion : public profo::fixtures::FixtureTransport {};
}  // namespace

PROFO_PLUGIN_DECLARE(LongVersion, transport, "a_rather_long_plugin_identifier",
                     "12.345.6789-beta.42+build.20250101")
