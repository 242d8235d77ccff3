// Which format a FHIR Content-Type names by its fhirVersion parameter: 3.0.x
// is STU3, 4.0.x (or none) R4, anything else a version the gateway does not read.
#include <gtest/gtest.h>

#include "http/negotiation.hpp"

namespace carebridge::gateway::http {
namespace {

using translation::Format;

TEST(Negotiation, FhirVersionNamesStu3OrR4) {
    EXPECT_EQ(fhir_version_of("application/fhir+json"), FhirVersion::unspecified);
    EXPECT_EQ(fhir_version_of("application/fhir+json; charset=utf-8"), FhirVersion::unspecified);
    for (const char* stu3 : {"application/fhir+json; fhirVersion=3.0", "application/fhir+json;fhirVersion=3.0.1",
                             "application/fhir+json; charset=utf-8; FHIRVERSION=3.0.2",
                             "application/fhir+json; fhirVersion=\"3.0\""})
        EXPECT_EQ(fhir_version_of(stu3), FhirVersion::stu3) << stu3;
    for (const char* r4 : {"application/fhir+json; fhirVersion=4.0", "application/fhir+json; fhirVersion=4.0.1"})
        EXPECT_EQ(fhir_version_of(r4), FhirVersion::r4) << r4;
    for (const char* other : {"application/fhir+json; fhirVersion=5.0", "application/fhir+json; fhirVersion=3.00",
                              "application/fhir+json; fhirVersion=4.3", "application/fhir+json; fhirVersion=",
                              "application/fhir+json; fhirVersion=1.0.2"})
        EXPECT_EQ(fhir_version_of(other), FhirVersion::unsupported) << other;
}

TEST(Negotiation, FhirContentTypeWithVersionGivesItsFormat) {
    EXPECT_EQ(format_of_content_type("application/fhir+json", Format::fhir), Format::fhir);
    EXPECT_EQ(format_of_content_type("application/fhir+json; fhirVersion=3.0", Format::fhir), Format::fhir_stu3);
    EXPECT_EQ(format_of_content_type("application/json; fhirVersion=3.0", Format::fhir), Format::fhir_stu3);
    EXPECT_EQ(format_of_content_type("application/fhir+json; fhirVersion=4.0.1", Format::fhir), Format::fhir);
    EXPECT_EQ(format_of_content_type("application/fhir+json; fhirVersion=5.0", Format::fhir), std::nullopt);
    // Partnership JSON knows no FHIR version.
    EXPECT_EQ(format_of_content_type("application/json; fhirVersion=3.0", Format::referral), Format::referral);
    EXPECT_EQ(media_type(Format::fhir_stu3), "application/fhir+json; fhirVersion=3.0");
    // An Accept header never chooses STU3: the gateway does not write it.
    EXPECT_EQ(negotiate("application/fhir+json; fhirVersion=3.0", Format::fhir), Format::fhir);
}

}  // namespace
}  // namespace carebridge::gateway::http
