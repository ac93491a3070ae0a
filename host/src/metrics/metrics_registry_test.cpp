#include "metrics/metrics_registry.hpp"

#include <gtest/gtest.h>

using profo::host::MetricsRegistry;

TEST(MetricsRegistry, RendersCountersGaugesAndHistogramsAsPrometheusReadsThem) {
    MetricsRegistry m;
    m.describe("profo_sends_total", "messages sent");
    m.add("profo_sends_total", {{"result", "ok"}});
    m.add("profo_sends_total", {{"result", "ok"}}, 2);
    m.add("profo_sends_total", {{"result", "say \"hi\"\n"}});
    m.set("profo_outbox_due", {}, 7);
    m.set("profo_outbox_due", {}, 3);
    m.observe("profo_http_seconds", {{"route", "GET /x"}}, 0.02);
    m.observe("profo_http_seconds", {{"route", "GET /x"}}, 3);
    m.observe("profo_http_seconds", {{"route", "GET /x"}}, 30);
    const auto text = m.render();
    EXPECT_NE(text.find("# HELP profo_sends_total messages sent\n# TYPE profo_sends_total counter\n"),
              std::string::npos)
        << text;
    EXPECT_NE(text.find("profo_sends_total{result=\"ok\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("profo_sends_total{result=\"say \\\"hi\\\"\\n\"} 1\n"), std::string::npos) << text;
    EXPECT_NE(text.find("# TYPE profo_outbox_due gauge\nprofo_outbox_due 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("profo_http_seconds_bucket{route=\"GET /x\",le=\"0.01\"} 0\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("profo_http_seconds_bucket{route=\"GET /x\",le=\"0.025\"} 1\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("profo_http_seconds_bucket{route=\"GET /x\",le=\"5\"} 2\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("profo_http_seconds_bucket{route=\"GET /x\",le=\"+Inf\"} 3\n"), std::string::npos)
        << text;
    EXPECT_NE(text.find("profo_http_seconds_count{route=\"GET /x\"} 3\n"), std::string::npos) << text;
    EXPECT_NE(text.find("profo_http_seconds_sum{route=\"GET /x\"} 33.02"), std::string::npos) << text;
}

TEST(MetricsRegistry, DescribedButUnusedMetricsAreLeftOut) {
    MetricsRegistry m;
    m.describe("profo_nothing_total", "never counted");
    EXPECT_EQ(m.render(), "");
}
