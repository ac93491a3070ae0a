// The preview chat (preview/preview_chat.hpp) as operations: the panel's
// web chat calls these, and so may a script trying a course.
#include "admin/admin_catalogue.hpp"

namespace profo::host {

using nlohmann::json;
using Type = ArgumentSpec::Type;
using sdk::AdminRole;

namespace {

// A creator signed in with Telegram previews in their own chat; an operator
// who came by login link, or a script with an API key, in chat 1.
PreviewSeat seat_of(const AdminCall& call) {
    const auto user = call.caller.telegram_user_id;
    return {call.caller.account_id, user > 0 ? user : 1};
}

json chat_schema() {
    return {{"type", "object"},
            {"properties",
             {{"run",
               {{"type", {"object", "null"}},
                {"properties",
                 {{"id", {{"type", "integer"}}},
                  {"version_id", {{"type", "integer"}}},
                  {"status", {{"type", "string"}}},
                  {"active", {{"type", "boolean"}}},
                  {"cursor", {{"type", "string"}}},
                  {"timer_due_at", {{"type", {"integer", "null"}}}}}}}},
              {"messages",
               {{"type", "array"},
                {"description",
                 "what was sent since the last read: outbox payloads with their id (and a "
                 "poll's poll_id)"},
                {"items", {{"type", "object"}}}}}}},
            {"required", {"run", "messages"}}};
}

}  // namespace

void add_preview_operations(AdminCatalogue& c) {
    c.add({"preview.start",
           "play a course version in the preview chat (no Telegram bot; kept out of analytics)", "POST",
           "/preview", AdminRole::admin},
          {{"version_id", Type::id, "the version to play from its start", true}}, chat_schema(),
          [&c](const AdminCall& call) {
              return c.preview().start(seat_of(call), call.arguments.id("version_id"));
          });
    c.add({"preview.read", "what the preview chat was sent since the last read", "GET", "/preview",
           AdminRole::admin},
          {{"run_id", Type::id, "the run the page plays: reported even once it is over"}}, chat_schema(),
          [&c](const AdminCall& call) {
              return c.preview().read(seat_of(call), call.arguments.optional_id("run_id"));
          });
    c.add({"preview.act", "the student's next move in the preview chat", "POST", "/preview/moves",
           AdminRole::admin},
          {{"text", Type::string, "a message"},
           {"callback_data", Type::string, "press the button with this callback_data"},
           {"poll_id", Type::string, "answer this poll (with options)"},
           {"options", Type::id_list, "the poll's chosen options, counted from 1"},
           {"web_app_data", Type::string, "answer a Mini App button with this data"},
           {"voice", Type::string, "send a voice message (its file id)"}},
          chat_schema(), [&c](const AdminCall& call) {
              const auto& a = call.arguments;
              json move = json::object();
              for (const char* field : {"text", "callback_data", "poll_id", "web_app_data", "voice"})
                  if (const auto value = a.string(field)) move[field] = *value;
              if (a.has("options")) {
                  move["options"] = json::array();
                  for (const auto n : a.id_list("options")) {
                      if (n > 10)
                          throw sdk::AdminError(sdk::AdminError::Code::invalid_argument,
                                                "options: counted from 1, and a poll has at most 10",
                                                "/options");
                      move["options"].push_back(n - 1);
                  }
              }
              return c.preview().act(seat_of(call), move);
          });
    c.add({"preview.skip", "fire the preview run's next timer now (skip a delay)", "POST", "/preview/skip",
           AdminRole::admin},
          {}, chat_schema(), [&c](const AdminCall& call) { return c.preview().skip(seat_of(call)); });
}

}  // namespace profo::host
