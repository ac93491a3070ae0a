#include "legacy_fixture.hpp"

#include <chrono>
#include <ctime>

namespace profo::testing {

const char* const kLegacySchema = R"(
CREATE TABLE course (course_id text, bot_name text, creator_id int8, date_created timestamp, yaml text);
CREATE TABLE course_element (course_element_id int8, bot_name text, course_id text, element_id text,
                             json text, element_type text);
CREATE TABLE run (run_id serial, chat_id int8, username text, botname text, course_id text,
                  date_inserted timestamp, utm_source text, utm_campaign text, is_ended bool);
CREATE TABLE conversation (conversation_id serial, chat_id int8, username text, course_id text,
                           element_id text, element_type text, role text, json text, report text,
                           score float4, maxscore float4, date_inserted timestamp, run_id int4);
CREATE TABLE waiting_element (waiting_element_id serial, chat_id int8, waiting_till_date timestamp,
                              is_waiting bool, element_id text, course_id text, botname text);
CREATE TABLE bannedparticipants (botname text, chat_id int8, banned_at timestamp, ban_reason text,
                                 excluded int);
CREATE TABLE courseparticipants (course_id text, username text);
CREATE TABLE gen_settings (bot_name text, s_key text, s_value text);
)";

LegacyDatabaseFixture::LegacyDatabaseFixture() {
    execute(kLegacySchema);
}

std::string LegacyDatabaseFixture::value(const std::string& sql) const {
    const auto rows = schema_.rows(sql);
    return rows.empty() || rows[0].empty() ? std::string() : rows[0][0];
}

std::string legacy_time_from_now(long long seconds) {
    const std::time_t t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now()) + seconds;
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "'%Y-%m-%d %H:%M:%S'", &utc);
    return text;
}

}  // namespace profo::testing
