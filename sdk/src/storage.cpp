#include <profo/sdk/storage.hpp>

namespace profo::sdk {

void RunStore::append_conversation_rows(Id account_id, const std::vector<ConversationEntry>& entries) {
    for (const auto& entry : entries) append_conversation(account_id, entry);
}

void OutboxStore::enqueue_outbox_rows(Id account_id, const std::vector<OutboxMessage>& messages) {
    for (const auto& message : messages) enqueue_outbox(account_id, message);
}

std::unique_ptr<StorageTx> Storage::begin_read() {
    return begin();
}

}  // namespace profo::sdk
