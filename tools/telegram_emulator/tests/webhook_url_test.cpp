#include "webhook_deliverer.h"

#include <gtest/gtest.h>

namespace profo::telegram_emulator {
namespace {

TEST(WebhookUrl, Parses) {
    const auto u = parse_webhook_url("http://127.0.0.1:8080/hook?x=1");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "http");
    EXPECT_EQ(u->host, "127.0.0.1");
    EXPECT_EQ(u->port, 8080);
    EXPECT_EQ(u->target, "/hook?x=1");
    const auto s = parse_webhook_url("https://example.org");
    ASSERT_TRUE(s);
    EXPECT_EQ(s->port, 443);
    EXPECT_EQ(s->target, "/");
    const auto v6 = parse_webhook_url("http://[::1]:88/h");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
}

TEST(WebhookUrl, Rejects) {
    EXPECT_FALSE(parse_webhook_url("ftp://x/"));
    EXPECT_FALSE(parse_webhook_url("x.org/hook"));
    EXPECT_FALSE(parse_webhook_url("http://:80/"));
    EXPECT_FALSE(parse_webhook_url("http://h:99999/"));
}

}  // namespace
}  // namespace profo::telegram_emulator
