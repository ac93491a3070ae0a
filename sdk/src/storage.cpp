#include <profo/sdk/storage.hpp>

namespace profo::sdk {

void RunStore::append_conversation_rows(Id account_id, const std::vector<ConversationEntry>& entries) {
    for (const auto& entry : entries) append_conversation(account_id, entry);
}

void OutboxStore::enqueue_outbox_rows(Id account_id, const std::vector<OutboxMessage>& messages) {
    for (const auto& message : messages) enqueue_outbox(account_id, message);
}

std::vector<bool> UpdateLedger::mark_updates_processed(const std::vector<Update>& updates) {
    std::vector<bool> fresh;
    fresh.reserve(updates.size());
    for (const auto& u : updates) fresh.push_back(mark_update_processed(u.account_id, u.bot_id, u.update_id));
    return fresh;
}

std::unique_ptr<StorageTx> Storage::begin_read() {
    return begin();
}

}  // namespace profo::sdk
