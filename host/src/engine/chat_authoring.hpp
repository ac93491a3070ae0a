// Course authors in the chat, as the legacy bot had them (`/create`, `/edit`):
// a member of the bot's account sends a course file, or its text, to the bot
// and it becomes a course of the account; `/edit COURSE` sends the course's
// file back, and a changed file sent in return is published as its next
// version. docs/chat-authoring.md is the user's side of it.
//
// Everything an author does is handled inside the event's transaction, like
// any student event: the course, its version and the answer commit together
// with the update's ledger mark. What is not an author's (a student's
// message, a member's ordinary answer to a course) is left to the engine.
#pragma once

#include "engine/chat_command.hpp"
#include "plugins/plugin_registry.hpp"

#include <profo/sdk/engine.hpp>
#include <profo/sdk/host.hpp>
#include <profo/sdk/outbound.hpp>
#include <profo/sdk/storage.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace profo::host {

// How long `/create` or `/edit` waits for the file.
inline constexpr std::chrono::minutes kAuthoringWait{60};

class ChatAuthoring {
public:
    ChatAuthoring(const PluginRegistry& plugins, const sdk::Clock& clock);

    // The answers to send when `event` is an author's, in order; nothing when
    // it is not, and the engine handles it as usual. Throws what storage
    // throws (the event's savepoint rolls back).
    std::optional<std::vector<sdk::OutboundMessage>> handle(sdk::StorageTx& tx, sdk::Id account_id,
                                                            const sdk::InboundEvent& event);

private:
    using Answers = std::vector<sdk::OutboundMessage>;
    Answers create(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                   const std::string& name, const std::optional<std::string>& content);
    Answers edit(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                 const std::string& course_ref, const std::optional<std::string>& content);
    // A course file (or text) for what the chat waits for.
    Answers receive(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                    const sdk::ChatAuthoring& waiting);
    Answers import_new(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                       std::string name, const std::string& content);
    Answers publish(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                    const sdk::Course& course, const std::string& content);
    void wait_for_file(sdk::StorageTx& tx, sdk::Id account_id, const sdk::InboundEvent& event,
                       const std::string& mode, const std::string& name, std::optional<sdk::Id> course_id);
    sdk::Millis now() const;

    const PluginRegistry& plugins_;
    const sdk::Clock& clock_;
};

}  // namespace profo::host
