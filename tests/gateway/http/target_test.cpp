// A request target read once for every endpoint: counts and cursors in a query.

#include "http/target.hpp"

#include <gtest/gtest.h>

namespace carebridge::gateway::http {
namespace {

TEST(QueryCount, IsDigitsThatFitASigned64BitPosition) {
    EXPECT_EQ(parse_count("0"), 0u);
    EXPECT_EQ(parse_count("9223372036854775807"), 9223372036854775807u);
    for (const char* bad : {"", "-1", "+1", " 1", "1 ", "1e3", "0x10", "9223372036854775808", "18446744073709551616"})
        EXPECT_FALSE(parse_count(bad)) << bad;
}

TEST(QueryCount, AMalformedEscapeMakesTheWholeQueryUnreadable) {
    EXPECT_FALSE(query_parameters("/audit/events?after=%zz"));
    const auto ok = query_parameters("/audit/events?nhs=999%20000%200018&limit=5");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->front().second, "999 000 0018");
}

}  // namespace
}  // namespace carebridge::gateway::http
