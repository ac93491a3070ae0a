#include "reflection_template.hpp"

#include <gtest/gtest.h>

using profo::examples::fill_reply;

TEST(ReflectionReply, FillsEveryMarker) {
    EXPECT_EQ(fill_reply("You said: {answer}. {answer}!", "hi"), "You said: hi. hi!");
    EXPECT_EQ(fill_reply("no marker", "hi"), "no marker");
    // An answer that itself contains the marker is not expanded again.
    EXPECT_EQ(fill_reply("{answer}", "{answer}"), "{answer}");
}
