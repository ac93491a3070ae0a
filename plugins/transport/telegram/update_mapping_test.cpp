#include "update_mapping.hpp"

#include <gtest/gtest.h>

using namespace profo::telegram;
using nlohmann::json;
using Kind = profo::sdk::InboundEvent::Kind;

namespace {

json message(const json& extra) {
    json m{{"message_id", 5},
           {"from", {{"id", 42}, {"is_bot", false}, {"first_name", "Ann"}, {"username", "ann"}}},
           {"chat", {{"id", 42}, {"type", "private"}}},
           {"date", 1700000000}};
    m.update(extra);
    return {{"update_id", 100}, {"message", m}};
}

}  // namespace

TEST(UpdateMapping, TextMessage) {
    auto m = map_update(message({{"text", "hello"}}), 7);
    ASSERT_EQ(m.outcome, MappedUpdate::Outcome::event);
    EXPECT_EQ(m.event.kind, Kind::text);
    EXPECT_EQ(m.event.bot_id, 7);
    EXPECT_EQ(m.event.chat_id, 42);
    EXPECT_EQ(m.event.user_id, 42);
    EXPECT_EQ(m.event.username, "ann");
    EXPECT_EQ(m.event.text, "hello");
    EXPECT_EQ(m.event.update_id, 100);
    EXPECT_EQ(m.update_id, 100);
}

TEST(UpdateMapping, StartWithAndWithoutPayload) {
    auto bare = map_update(message({{"text", "/start"}}), 7);
    EXPECT_EQ(bare.event.kind, Kind::start);
    EXPECT_EQ(bare.start_payload, "");
    auto payload = map_update(message({{"text", "/start cd_12"}}), 7);
    EXPECT_EQ(payload.event.kind, Kind::start);
    EXPECT_EQ(payload.start_payload, "cd_12");
    EXPECT_EQ(map_update(message({{"text", "/start@course_bot x"}}), 7).start_payload, "x");
    EXPECT_EQ(map_update(message({{"text", "/startle"}}), 7).event.kind, Kind::text);
    EXPECT_EQ(map_update(message({{"text", "say /start"}}), 7).event.kind, Kind::text);
}

TEST(UpdateMapping, StartAsPeopleAndTheirPhonesTypeIt) {
    for (const char* typed : {"/Start cd_1_x", "/START cd_1_x", "/start\tcd_1_x", "/start\ncd_1_x",
                              "/start   cd_1_x  ", "/start@Course_Bot cd_1_x"}) {
        const auto m = map_update(message({{"text", typed}}), 7, "course_bot");
        EXPECT_EQ(m.event.kind, Kind::start) << typed;
        EXPECT_EQ(m.start_payload, "cd_1_x") << typed;
    }
    // A command to another bot is text for this one.
    const auto other = map_update(message({{"text", "/start@other_bot cd_1_x"}}), 7, "course_bot");
    EXPECT_EQ(other.event.kind, Kind::text);
    EXPECT_EQ(map_update(message({{"text", "/start@course_bot"}}), 7, "course_bot").event.kind, Kind::start);
}

TEST(UpdateMapping, VoiceAndWebAppData) {
    auto voice = map_update(message({{"voice", {{"file_id", "AwAD"}, {"duration", 3}}}}), 7);
    EXPECT_EQ(voice.event.kind, Kind::voice);
    EXPECT_EQ(voice.event.text, "AwAD");
    auto data = map_update(message({{"web_app_data", {{"data", "{\"a\":1}"}, {"button_text", "Open"}}}}), 7);
    EXPECT_EQ(data.event.kind, Kind::web_app_data);
    EXPECT_EQ(data.event.text, "{\"a\":1}");
    auto sticker = map_update(message({{"sticker", {{"file_id", "x"}}}}), 7);
    EXPECT_EQ(sticker.outcome, MappedUpdate::Outcome::skipped);
    EXPECT_EQ(sticker.update_id, 100);
}

TEST(UpdateMapping, AContactAnswersAsItsPhoneNumber) {
    auto m = map_update(
        message({{"contact", {{"phone_number", "+447700900123"}, {"first_name", "Ann"}, {"user_id", 42}}}}),
        7);
    ASSERT_EQ(m.outcome, MappedUpdate::Outcome::event);
    EXPECT_EQ(m.event.kind, Kind::text);
    EXPECT_EQ(m.event.text, "+447700900123");
    EXPECT_EQ(map_update(message({{"contact", {{"first_name", "Ann"}}}}), 7).outcome,
              MappedUpdate::Outcome::malformed);
}

TEST(UpdateMapping, AMessageSentViaABotIsNoAnswer) {
    // A Mini App's answerWebAppQuery comes back as the user's message via the bot.
    auto m = map_update(
        message({{"text", "done"}, {"via_bot", {{"id", 7000000001}, {"is_bot", true}, {"first_name", "B"}}}}),
        7);
    EXPECT_EQ(m.outcome, MappedUpdate::Outcome::skipped);
    EXPECT_EQ(m.update_id, 100);
}

TEST(UpdateMapping, CallbackQuery) {
    json update{{"update_id", 3},
                {"callback_query",
                 {{"id", "cb1"},
                  {"from", {{"id", 42}, {"username", "ann"}}},
                  {"message", {{"message_id", 9}, {"chat", {{"id", 42}}}}},
                  {"data", "a17:0"}}}};
    auto m = map_update(update, 7);
    ASSERT_EQ(m.outcome, MappedUpdate::Outcome::event);
    EXPECT_EQ(m.event.kind, Kind::callback);
    EXPECT_EQ(m.event.callback_id, "cb1");
    EXPECT_EQ(m.event.callback_data, "a17:0");
    EXPECT_EQ(m.event.chat_id, 42);
}

TEST(UpdateMapping, PollAnswer) {
    json update{{"update_id", 4},
                {"poll_answer", {{"poll_id", "P1"}, {"user", {{"id", 42}}}, {"option_ids", {0, 2}}}}};
    auto m = map_update(update, 7);
    ASSERT_EQ(m.outcome, MappedUpdate::Outcome::event);
    EXPECT_EQ(m.event.kind, Kind::poll_answer);
    EXPECT_EQ(m.event.poll_id, "P1");
    EXPECT_EQ(m.event.options, (std::vector<int>{0, 2}));
    EXPECT_EQ(m.event.chat_id, 42);
}

TEST(UpdateMapping, BlockedAndUnblocked) {
    auto member = [](const char* status) {
        return json{{"update_id", 5},
                    {"my_chat_member",
                     {{"chat", {{"id", 42}}},
                      {"from", {{"id", 42}}},
                      {"new_chat_member", {{"status", status}, {"user", {{"id", 1}}}}}}}};
    };
    EXPECT_EQ(map_update(member("kicked"), 7).event.kind, Kind::blocked);
    EXPECT_EQ(map_update(member("member"), 7).event.kind, Kind::unblocked);
    EXPECT_EQ(map_update(member("administrator"), 7).outcome, MappedUpdate::Outcome::skipped);
}

TEST(UpdateMapping, UnknownKindsAreSkippedWithTheirId) {
    auto m = map_update(json{{"update_id", 6}, {"edited_message", {{"text", "x"}}}}, 7);
    EXPECT_EQ(m.outcome, MappedUpdate::Outcome::skipped);
    EXPECT_EQ(m.update_id, 6);
}

TEST(UpdateMapping, HostileJsonIsMalformedNeverAThrow) {
    for (const auto& update :
         {json(nullptr), json::array(), json("x"), json{{"update_id", "1"}},
          json{{"update_id", 1}, {"message", 5}},
          json{{"update_id", 1}, {"message", {{"chat", {{"id", "42"}}}, {"text", "x"}}}},
          json{{"update_id", 1}, {"message", {{"chat", {{"id", 42}}}, {"text", 5}}}},
          json{{"update_id", 1}, {"callback_query", {{"id", 5}}}},
          json{{"update_id", 1},
               {"poll_answer", {{"poll_id", "p"}, {"user", {{"id", 1}}}, {"option_ids", {-1}}}}},
          json{{"update_id", 1},
               {"poll_answer", {{"poll_id", "p"}, {"user", {{"id", 1}}}, {"option_ids", "0"}}}},
          json{{"update_id", 1}, {"my_chat_member", {{"chat", {{"id", 1}}}}}}}) {
        MappedUpdate m;
        EXPECT_NO_THROW(m = map_update(update, 7)) << update.dump();
        EXPECT_EQ(m.outcome, MappedUpdate::Outcome::malformed) << update.dump();
        EXPECT_FALSE(m.reason.empty());
    }
    // The id is kept when it is readable, so the offset moves past the update.
    EXPECT_EQ(map_update(json{{"update_id", 9}, {"message", 5}}, 7).update_id, 9);
}

TEST(UpdateMapping, DocumentWithCaption) {
    auto m = map_update(message({{"document",
                                  {{"file_name", "course.yml"},
                                   {"mime_type", "application/x-yaml"},
                                   {"file_id", "BQAC1"},
                                   {"file_unique_id", "AgAD1"},
                                   {"file_size", 120}}},
                                 {"caption", "/create Intro"}}),
                        7);
    ASSERT_EQ(m.outcome, MappedUpdate::Outcome::event);
    EXPECT_EQ(m.event.kind, Kind::document);
    EXPECT_EQ(m.event.file_name, "course.yml");
    EXPECT_EQ(m.event.file_size, 120);
    EXPECT_EQ(m.event.caption, "/create Intro");
    EXPECT_EQ(m.event.text, "");  // fetched by the transport, not here
    EXPECT_EQ(m.file_id, "BQAC1");
    EXPECT_TRUE(wants_document_content(m, 4096));
    EXPECT_FALSE(wants_document_content(m, 100));  // larger than allowed

    auto pdf = map_update(message({{"document",
                                    {{"file_name", "scan.pdf"},
                                     {"mime_type", "application/pdf"},
                                     {"file_id", "BQAC2"},
                                     {"file_size", 120}}}}),
                          7);
    EXPECT_EQ(pdf.event.kind, Kind::document);
    EXPECT_FALSE(wants_document_content(pdf, 4096));  // not text: name and size only
    auto text = map_update(
        message({{"document", {{"file_name", "COURSE.YAML"}, {"file_id", "BQAC3"}, {"file_size", 5}}}}), 7);
    EXPECT_TRUE(wants_document_content(text, 4096));

    auto broken = map_update(message({{"document", {{"file_name", "x.yml"}}}}), 7);
    EXPECT_EQ(broken.outcome, MappedUpdate::Outcome::malformed);
    EXPECT_NE(broken.reason.find("message.document.file_id"), std::string::npos);
}
