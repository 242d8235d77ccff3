#include "model/validate.hpp"

#include <gtest/gtest.h>

#include "model/codes.hpp"

namespace {

using namespace carebridge::model;

TEST(NhsNumber, AcceptsTestRangeNumbersThatPassModulus11) {
    for (const char* n : {"9990000018", "9990000026", "9990000085", "9990000123"}) EXPECT_TRUE(is_valid_nhs_number(n)) << n;
}

TEST(NhsNumber, RejectsAWrongCheckDigit) {
    EXPECT_FALSE(is_valid_nhs_number("9990000086"));
    EXPECT_FALSE(is_valid_nhs_number("9990000019"));
}

TEST(NhsNumber, RejectsNumbersWhoseCheckDigitWouldBeTen) {
    // 999000001x: weights give a remainder for which 11 - r == 10 for one prefix; find one and check.
    bool found = false;
    for (int prefix = 0; prefix < 1000 && !found; ++prefix) {
        std::string s = "999000" + std::string(3 - std::to_string(prefix).size(), '0') + std::to_string(prefix);
        int sum = 0;
        for (int i = 0; i < 9; ++i) sum += (s[i] - '0') * (10 - i);
        if (11 - sum % 11 != 10) continue;
        found = true;
        for (char d = '0'; d <= '9'; ++d) EXPECT_FALSE(is_valid_nhs_number(s + d)) << s + d;
    }
    EXPECT_TRUE(found);
}

TEST(NhsNumber, RejectsWrongShapes) {
    for (const char* n : {"", "999000008", "99900000850", "999 000 0085", "99900000a5", "-990000085"})
        EXPECT_FALSE(is_valid_nhs_number(n)) << n;
}

TEST(Dates, AcceptsFhirPartialAndFullDates) {
    for (const char* d : {"1978", "1978-03", "1978-03-14", "2024-02-29", "2000-02-29"}) EXPECT_TRUE(is_valid_date(d)) << d;
}

TEST(Dates, RejectsImpossibleOrMisshapenDates) {
    for (const char* d : {"", "78", "1978-3-14", "1978-13-01", "1978-00-10", "2026-02-30", "2023-02-29", "1900-02-29",
                          "1978-03-14T10:00:00Z", "0000", "1978/03/14"})
        EXPECT_FALSE(is_valid_date(d)) << d;
}

TEST(Instants, AcceptsZuluOffsetsAndFractions) {
    for (const char* t : {"2026-10-05T09:30:00Z", "2026-10-05T09:30:00+01:00", "2026-10-05T09:30:00.123Z",
                          "2021-11-26T15:00:00+00:00", "2026-10-05T23:59:60Z"})
        EXPECT_TRUE(is_valid_instant(t)) << t;
}

TEST(Instants, RejectsMissingZoneAndBadClockValues) {
    for (const char* t : {"2026-10-05T09:30:00", "2026-10-05", "2026-10-05T24:00:00Z", "2026-10-05T09:60:00Z",
                          "2026-10-05T09:30Z", "2026-10-05T09:30:00.Z", "2026-10-05T09:30:00+1:00",
                          "2026-10-05T09:30:00Zjunk", "2026-02-30T09:30:00Z"})
        EXPECT_FALSE(is_valid_instant(t)) << t;
    EXPECT_TRUE(is_valid_date_time("2026-10-05"));
    EXPECT_TRUE(is_valid_date_time("2026-10-05T09:30:00Z"));
}

TEST(OdsCodes, AcceptsTrustPracticeAndVcseShapes) {
    for (const char* c : {"RZZ", "Y99001", "DBF01", "8JK12"}) EXPECT_TRUE(is_valid_ods_code(c)) << c;
    for (const char* c : {"", "RZ", "rzz", "R Z Z", "ABCDEFGHIJKLM"}) EXPECT_FALSE(is_valid_ods_code(c)) << c;
}

TEST(Codes, EverySpellingParsesBackToItsValue) {
    for (int i = 0; i <= static_cast<int>(ReferralStatus::withdrawn); ++i) {
        const auto v = static_cast<ReferralStatus>(i);
        EXPECT_EQ(parse_code<ReferralStatus>(to_string(v)), v);
    }
    for (int i = 0; i < dialog_domain_count; ++i) {
        const auto v = static_cast<DialogDomain>(i);
        EXPECT_EQ(parse_code<DialogDomain>(to_string(v)), v);
    }
    EXPECT_EQ(parse_code<Priority>("amber"), Priority::amber);
    EXPECT_FALSE(parse_code<Priority>("purple").has_value());
    EXPECT_FALSE(parse_code<Priority>("Amber").has_value());
}

TEST(Codes, EthnicCategoryKeepsGranularCodesAndNotStated) {
    for (const char* c : {"A", "H", "M", "S", "Z", "99"}) EXPECT_TRUE(is_ethnic_category_code(c)) << c;
    for (const char* c : {"I", "O", "Q", "T", "", "a"}) EXPECT_FALSE(is_ethnic_category_code(c)) << c;
    EXPECT_EQ(ethnic_category_display("Z"), "Not stated");
    EXPECT_TRUE(is_nhs_number_verification_code("01"));
    EXPECT_FALSE(is_nhs_number_verification_code("09"));
}

}  // namespace
