#include "enrollment/qr_code.hpp"

#include <gtest/gtest.h>

#include <cstdio>
#include <stdexcept>
#include <string>

namespace profo::host {
namespace {

// The 7x7 finder pattern: a dark ring, a light ring, a dark 3x3 core.
bool finder_at(const QrCode& code, int left, int top) {
    for (int y = 0; y < 7; ++y)
        for (int x = 0; x < 7; ++x) {
            const int ring = std::max(std::abs(x - 3), std::abs(y - 3));
            if (code.dark(left + x, top + y) != (ring != 2)) return false;
        }
    return true;
}

TEST(QrCode, StartLinkMakesAStandardCodeWithItsThreeFinders) {
    const QrCode code("https://t.me/profo_demo_bot?start=cd_3F_k9XwQ2mB");
    // Versions are 21 + 4 (v - 1) modules; at level M version 3 holds 42
    // bytes and version 4 holds 62, so this 48-byte link takes version 4.
    EXPECT_EQ(code.size(), 33);
    EXPECT_TRUE(finder_at(code, 0, 0));
    EXPECT_TRUE(finder_at(code, code.size() - 7, 0));
    EXPECT_TRUE(finder_at(code, 0, code.size() - 7));
    EXPECT_FALSE(finder_at(code, code.size() - 7, code.size() - 7)) << "the fourth corner has none";
    // Timing pattern: row 6 alternates between the finders.
    for (int x = 8; x < code.size() - 8; ++x) EXPECT_EQ(code.dark(x, 6), x % 2 == 0) << x;
}

TEST(QrCode, SvgDrawsEveryDarkModuleInsideAQuietZone) {
    const QrCode code("https://t.me/b_bot?start=cd_1_ABCD");
    const auto svg = code.svg();
    const std::string side = std::to_string(code.size() + 8);
    EXPECT_NE(svg.find("viewBox=\"0 0 " + side + " " + side + "\""), std::string::npos) << svg;
    EXPECT_EQ(svg.rfind("<svg", 0), 0u);
    // The top-left finder's first row is one run of 7 starting at the quiet zone.
    EXPECT_NE(svg.find("M4 4h7v1h-7z"), std::string::npos);
    // Each run "Mx yhNv1h-Nz" paints N modules; together, every dark one.
    int dark = 0, drawn = 0;
    for (int y = 0; y < code.size(); ++y)
        for (int x = 0; x < code.size(); ++x) dark += code.dark(x, y);
    const auto path = svg.substr(svg.find(" d=\"") + 4);
    for (std::size_t at = path.find('M'); at != std::string::npos; at = path.find('M', at + 1)) {
        int x = 0, y = 0, run = 0, back = 0;
        ASSERT_EQ(std::sscanf(path.c_str() + at, "M%d %dh%dv1h-%dz", &x, &y, &run, &back), 4);
        EXPECT_EQ(run, back);
        EXPECT_GE(x, 4);
        EXPECT_LE(x + run, code.size() + 4);
        EXPECT_TRUE(code.dark(x - 4, y - 4));
        drawn += run;
    }
    EXPECT_EQ(drawn, dark);
    EXPECT_EQ(svg.find("<script"), std::string::npos);
}

TEST(QrCode, RefusesWhatNoCodeHolds) {
    EXPECT_THROW(QrCode(""), std::invalid_argument);
    EXPECT_THROW(QrCode(std::string(3000, 'x')), std::invalid_argument);  // over 2331 bytes at level M
    EXPECT_NO_THROW(QrCode(std::string(2000, 'x')));
}

}  // namespace
}  // namespace profo::host
