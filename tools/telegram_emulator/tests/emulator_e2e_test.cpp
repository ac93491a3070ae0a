#include <gtest/gtest.h>
TEST(Placeholder, E2e) {}
