// The reference resolver on its own (document, contained, identifier,
// display, in that order), and the identity rules the FHIR decoder keeps with
// it wherever a person is named.
#include "fhir/reference_resolver.hpp"

#include <gtest/gtest.h>
#include <rapidjson/document.h>

#include <string>

#include "fhir/fhir_codec.hpp"
#include "issues/operation_outcome.hpp"

namespace carebridge::fhir {
namespace {

// ---------------------------------------------------------------- resolver

class Resolver : public ::testing::Test {
protected:
    void SetUp() override {
        doc_.Parse(R"({"a": {"resourceType": "Patient", "id": "123"},
                       "b": {"resourceType": "Organization", "id": "o1"},
                       "c": {"resourceType": "Practitioner"},
                       "d": {"resourceType": "ServiceRequest", "id": "sr"},
                       "e": {"resourceType": "Patient", "id": "p1"}})");
        ASSERT_FALSE(doc_.HasParseError());
        add("a", "Patient", "123", "https://fhir.example.org/R4/Patient/123");
        add("b", "Organization", "o1", "urn:uuid:4f6a2b1c-0000-4000-8000-000000000001");
        add("c", "Practitioner", "", "https://fhir.example.org/R4/Practitioner/77");  // no id: the fullUrl gives it
        add("d", "ServiceRequest", "sr", "");
        IndexedResource contained;
        contained.resource = &doc_["e"];
        contained.type = "Patient";
        contained.id = "p1";
        contained.container = 3;
        contained.contained = 0;
        contained.container_type = "ServiceRequest";
        index_.add(contained);
        index_.seal();
    }
    void add(const char* key, std::string_view type, std::string_view id, std::string_view full_url) {
        IndexedResource r;
        r.resource = &doc_[key];
        r.type = type;
        r.id = id;
        r.full_url = full_url;
        r.entry = index_.size();
        index_.add(r);
    }
    static Ref ref(std::string_view reference, std::string_view system = {}, std::string_view value = {},
                   std::string_view display = {}) {
        Ref r;
        r.reference = reference;
        r.identifier_system = system;
        r.identifier_value = value;
        r.display = display;
        r.present = true;
        return r;
    }
    rapidjson::Document doc_;
    BundleIndex index_;
};

TEST_F(Resolver, FindsResourcesInTheDocumentInEveryForm) {
    const ReferenceResolver resolver(index_);
    for (std::string_view form : {"https://fhir.example.org/R4/Patient/123", "Patient/123", "Patient/123/_history/2",
                                  "https://fhir.example.org/R4/Patient/123/_history/2"}) {
        const Resolved r = resolver.resolve(ref(form), no_entry);
        EXPECT_EQ(r.how, Resolution::document) << form;
        EXPECT_EQ(r.index, 0u) << form;
        EXPECT_FALSE(r.outside);
    }
    EXPECT_EQ(resolver.resolve(ref("urn:uuid:4f6a2b1c-0000-4000-8000-000000000001"), no_entry).index, 1u);
    // A relative reference under an absolute fullUrl, for a resource without an id.
    EXPECT_EQ(resolver.resolve(ref("Practitioner/77"), no_entry).index, 2u);
    // The type must match, and a contained resource is never found from outside.
    EXPECT_EQ(resolver.resolve(ref("Organization/123"), no_entry).how, Resolution::none);
    EXPECT_EQ(resolver.resolve(ref("Patient/p1"), no_entry).index, no_entry);
}

TEST_F(Resolver, FindsContainedResourcesFromTheirContainerOnly) {
    const ReferenceResolver resolver(index_);
    const Resolved r = resolver.resolve(ref("#p1"), 3);
    EXPECT_EQ(r.how, Resolution::contained);
    EXPECT_EQ(r.index, 4u);
    // From a sibling (the contained resource itself), `#` is the container.
    EXPECT_EQ(resolver.resolve(ref("#"), 4).index, 3u);
    EXPECT_EQ(resolver.resolve(ref("#p1"), 0).index, no_entry);
    EXPECT_TRUE(resolver.resolve(ref("#p1"), 0).outside);
    EXPECT_EQ(resolver.resolve(ref("#p1"), no_entry).index, no_entry);
}

TEST_F(Resolver, FallsBackToAKnownIdentifierThenTheDisplay) {
    const ReferenceResolver resolver(index_);
    Resolved r = resolver.resolve(ref("Patient/999", "https://fhir.nhs.uk/Id/nhs-number", "9990000018"), no_entry);
    EXPECT_EQ(r.how, Resolution::identifier);
    EXPECT_TRUE(r.outside);
    EXPECT_EQ(r.kind, IdentifierKind::nhs_number);
    EXPECT_EQ(r.value, "9990000018");
    // In the document wins, and the identifier is still there to check against.
    r = resolver.resolve(ref("Patient/123", "https://fhir.nhs.uk/Id/nhs-number", "9990000018"), no_entry);
    EXPECT_EQ(r.how, Resolution::document);
    EXPECT_EQ(r.kind, IdentifierKind::nhs_number);
    r = resolver.resolve(ref("", "https://example.org/local", "42", "Dr Example"), no_entry);
    EXPECT_EQ(r.how, Resolution::display);
    EXPECT_EQ(r.kind, IdentifierKind::unknown);
    EXPECT_EQ(resolver.resolve(ref("", "https://example.org/local", "42"), no_entry).how, Resolution::none);
    EXPECT_EQ(resolver.resolve(ref(""), no_entry).how, Resolution::none);
    // An identifier without a value is no identifier.
    EXPECT_EQ(resolver.resolve(ref("", "https://fhir.nhs.uk/Id/nhs-number", ""), no_entry).how, Resolution::none);
}

TEST(IdentifierKinds, KnowsTheNhsSystems) {
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/nhs-number"), IdentifierKind::nhs_number);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/ods-organization-code"), IdentifierKind::ods_organisation);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/id/ods-organization-code"), IdentifierKind::ods_organisation);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/ods-site-code"), IdentifierKind::ods_site);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/sds-user-id"), IdentifierKind::sds_user);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/sds-role-profile-id"), IdentifierKind::sds_role);
    EXPECT_EQ(identifier_kind("https://fhir.hl7.org.uk/Id/gmc-number"), IdentifierKind::gmc);
    EXPECT_EQ(identifier_kind("https://fhir.hl7.org.uk/Id/gmp-number"), IdentifierKind::gmp);
    EXPECT_EQ(identifier_kind("https://fhir.hl7.org.uk/Id/nmc-number"), IdentifierKind::nmc);
    EXPECT_EQ(identifier_kind("https://fhir.hl7.org.uk/Id/hcpc-number"), IdentifierKind::hcpc);
    EXPECT_EQ(identifier_kind("https://fhir.nhs.uk/Id/NHS-number"), IdentifierKind::unknown);
    EXPECT_EQ(identifier_kind_name(IdentifierKind::ods_site), "ods-site-code");
    EXPECT_EQ(identifier_kind_name(IdentifierKind::unknown), "");
    EXPECT_TRUE(names_organisation(IdentifierKind::ods_site));
    EXPECT_TRUE(names_professional(IdentifierKind::gmc));
    EXPECT_FALSE(names_professional(IdentifierKind::nhs_number));
    EXPECT_EQ(nhs_number_digits("999 000 0018"), "9990000018");
    EXPECT_EQ(nhs_number_digits("9990000019"), "");
}

// ---------------------------------------------------------------- identity rules

struct Decoded {
    std::optional<model::PersonRecord> record;
    issues::IssueSink sink;
    model::SourcePaths paths;
    bool error_at(const std::string& path) const {
        for (const auto& i : sink.issues())
            if (i.severity == issues::Severity::error && i.path == path) return true;
        return false;
    }
    bool warning_at(const std::string& path, const std::string& words) const {
        for (const auto& i : sink.issues())
            if (i.severity == issues::Severity::warning && i.path == path && i.message.find(words) != std::string::npos)
                return true;
        return false;
    }
    std::string outcome() const { return issues::to_operation_outcome_json(sink, true); }
};

Decoded decode_text(const std::string& json) {
    Decoded d;
    d.record = fhir::decode(json, codec::DecodeOptions{}, default_partnership_base, d.sink, &d.paths);
    return d;
}

const std::string nhs = R"("system": "https://fhir.nhs.uk/Id/nhs-number")";
const std::string ods = R"("system": "https://fhir.nhs.uk/Id/ods-organization-code")";

std::string request(const std::string& subject, const std::string& more = "") {
    return R"({"resourceType": "ServiceRequest", "id": "r1", "status": "active", "intent": "order", )" + more +
           R"("subject": )" + subject + "}";
}

TEST(Identity, APersonNamedOnlyByNhsNumberIsCarriedWithAWarning) {
    const Decoded d = decode_text(request(R"({"identifier": {)" + nhs + R"(, "value": "999 000 0018"}})"));
    ASSERT_TRUE(d.record) << d.outcome();
    EXPECT_EQ(d.record->person.nhs_number, "9990000018");
    EXPECT_TRUE(d.warning_at("ServiceRequest.subject", "demographics not in the document: only the NHS number is carried"))
        << d.outcome();
    ASSERT_EQ(d.paths.references.size(), 1u);
    EXPECT_EQ(d.paths.references[0].path, "ServiceRequest.subject");
    EXPECT_EQ(d.paths.references[0].how, "identifier");
    EXPECT_EQ(d.paths.references[0].system, "nhs-number");
    EXPECT_FALSE(d.paths.references[0].outside);
}

TEST(Identity, AReferenceOutsideTheDocumentWithAnNhsNumberKeepsTheNumber) {
    const Decoded d = decode_text(
        request(R"({"reference": "https://pds.example.org/Patient/9990000018", "identifier": {)" + nhs +
                R"(, "value": "9990000018"}})"));
    ASSERT_TRUE(d.record) << d.outcome();
    EXPECT_EQ(d.record->person.nhs_number, "9990000018");
    EXPECT_TRUE(d.warning_at("ServiceRequest.subject.reference", "points outside the document")) << d.outcome();
    ASSERT_EQ(d.paths.references.size(), 1u);
    EXPECT_TRUE(d.paths.references[0].outside);
}

TEST(Identity, AContainedPatientIsThePerson) {
    const Decoded d = decode_text(request(
        R"({"reference": "#p1"})",
        R"("contained": [{"resourceType": "Patient", "id": "p1", "identifier": [{)" + nhs +
            R"(, "value": "9990000026"}], "name": [{"family": "Example"}]}], )"));
    ASSERT_TRUE(d.record) << d.outcome();
    EXPECT_EQ(d.record->person.nhs_number, "9990000026");
    ASSERT_EQ(d.record->person.names.size(), 1u);
    EXPECT_EQ(d.record->person.names[0].family, "Example");
    ASSERT_FALSE(d.paths.references.empty());
    EXPECT_EQ(d.paths.references[0].how, "contained");
    // Its elements are reported on its own path.
    const Decoded bad = decode_text(request(
        R"({"reference": "#p1"})", R"("contained": [{"resourceType": "Patient", "id": "p1", "identifier": [{)" + nhs +
                                       R"(, "value": "9990000019"}]}], )"));
    EXPECT_FALSE(bad.record);
    EXPECT_TRUE(bad.error_at("ServiceRequest.contained[0].identifier[0].value")) << bad.outcome();
}

TEST(Identity, OtherContainedResourcesAreReported) {
    const Decoded d = decode_text(request(R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})",
                                          R"("contained": [{"resourceType": "Specimen", "id": "s1"}], )"));
    ASSERT_TRUE(d.record) << d.outcome();
    EXPECT_TRUE(d.warning_at("ServiceRequest.contained[0]", "contained")) << d.outcome();
}

TEST(Identity, AFailingNhsNumberIsAnErrorAtItsPathInEveryPlaceAPersonIsNamed) {
    const std::string failing = R"({"identifier": {)" + nhs + R"(, "value": "9990000019"}})";
    const std::string good = R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})";
    const struct {
        std::string resource;
        std::string path;
    } places[] = {
        {request(failing), "Bundle.entry[0].resource.subject.identifier.value"},
        {R"({"resourceType": "Consent", "status": "active", "patient": )" + failing + "}",
         "Bundle.entry[1].resource.patient.identifier.value"},
        {R"({"resourceType": "Task", "status": "requested", "intent": "order", "for": )" + failing + "}",
         "Bundle.entry[1].resource.for.identifier.value"},
        {R"({"resourceType": "CarePlan", "status": "active", "intent": "plan", "subject": )" + failing + "}",
         "Bundle.entry[1].resource.subject.identifier.value"},
        {R"({"resourceType": "Flag", "status": "active", "code": {"text": "x"}, "subject": )" + failing + "}",
         "Bundle.entry[1].resource.subject.identifier.value"},
        {R"({"resourceType": "Condition", "code": {"text": "x"}, "subject": )" + failing + "}",
         "Bundle.entry[1].resource.subject.identifier.value"},
        {R"({"resourceType": "Encounter", "status": "finished", "class": {"code": "AMB"}, "subject": )" + failing + "}",
         "Bundle.entry[1].resource.subject.identifier.value"},
        {R"({"resourceType": "AuditEvent", "entity": [{"what": {"reference": "Patient/x"}}, {"what": )" + failing + "}]}",
         "Bundle.entry[1].resource.entity[1].what.identifier.value"},
    };
    for (const auto& place : places) {
        SCOPED_TRACE(place.path);
        const std::string first = place.path.rfind("Bundle.entry[0]", 0) == 0 ? place.resource : request(good);
        std::string bundle = R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": )" + first + "}";
        if (first != place.resource) bundle += R"(, {"resource": )" + place.resource + "}";
        bundle += "]}";
        const Decoded d = decode_text(bundle);
        EXPECT_FALSE(d.record);
        EXPECT_TRUE(d.error_at(place.path)) << d.outcome();
        // The number itself is never echoed.
        EXPECT_EQ(d.outcome().find("9990000019"), std::string::npos);
    }
}

TEST(Identity, TwoNhsNumbersForTheReferralsSubjectAreAnError) {
    const std::string patient = R"({"fullUrl": "urn:uuid:00000000-0000-4000-8000-000000000001", "resource": {"resourceType": "Patient", "identifier": [{)" +
                                nhs + R"(, "value": "9990000018"}]}})";
    // The identifier beside the reference contradicts the Patient it points at.
    const Decoded contradicts = decode_text(
        R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": )" +
        request(R"({"reference": "urn:uuid:00000000-0000-4000-8000-000000000001", "identifier": {)" + nhs +
                R"(, "value": "9990000026"}})") +
        "}, " + patient + "]}");
    EXPECT_FALSE(contradicts.record);
    EXPECT_TRUE(contradicts.error_at("Bundle.entry[0].resource.subject.identifier.value")) << contradicts.outcome();
    EXPECT_EQ(contradicts.outcome().find("9990000026"), std::string::npos);
    // The referral names a different NHS number from the document's Patient.
    const Decoded other = decode_text(R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": )" +
                                      request(R"({"identifier": {)" + nhs + R"(, "value": "9990000026"}})") + "}, " +
                                      patient + "]}");
    EXPECT_FALSE(other.record);
    EXPECT_TRUE(other.error_at("Bundle.entry[0].resource.subject")) << other.outcome();
    // The same number agrees.
    const Decoded same = decode_text(R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": )" +
                                     request(R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})") + "}, " +
                                     patient + "]}");
    EXPECT_TRUE(same.record) << same.outcome();
}

TEST(Identity, AReferralThatNamesNoPersonIsAnError) {
    for (const std::string& subject : {std::string(R"({"reference": "Patient/example"})"),
                                       std::string(R"({"display": "A Person"})"),
                                       std::string(R"({"identifier": {"system": "https://example.org/mrn", "value": "1"}})")}) {
        SCOPED_TRACE(subject);
        const Decoded d = decode_text(request(subject));
        EXPECT_FALSE(d.record);
        EXPECT_TRUE(d.error_at("ServiceRequest.subject")) << d.outcome();
        EXPECT_NE(d.outcome().find("the referral names no person"), std::string::npos);
    }
    const Decoded none = decode_text(
        R"({"resourceType": "ServiceRequest", "id": "r1", "status": "active", "intent": "order"})");
    EXPECT_FALSE(none.record);
    EXPECT_TRUE(none.error_at("ServiceRequest.subject"));
    EXPECT_NE(none.outcome().find("the referral names no person"), std::string::npos);
}

TEST(Identity, OrganisationsByOdsCodeResolveAsAnOrganizationResourceDoes) {
    const std::string subject = R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})";
    const Decoded by_identifier = decode_text(request(
        subject, R"("requester": {"identifier": {)" + ods + R"(, "value": "A81001"}}, "performer": [{"reference": "https://ods.example.org/Organization/RX4", "identifier": {)" +
                     ods + R"(, "value": "RX4"}}, {"identifier": {"system": "https://fhir.nhs.uk/Id/ods-site-code", "value": "RX401"}}], )"));
    ASSERT_TRUE(by_identifier.record) << by_identifier.outcome();
    const model::Referral& r = by_identifier.record->referrals.at(0);
    EXPECT_EQ(r.referrer_ods, "A81001");
    ASSERT_EQ(r.targets.size(), 2u);
    EXPECT_EQ(r.targets[0].organisation_ods, "RX4");
    EXPECT_EQ(r.targets[1].organisation_ods, "RX401");
    EXPECT_TRUE(by_identifier.warning_at("ServiceRequest.performer[0].reference", "points outside the document"));

    const Decoded by_resource = decode_text(
        R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": )" +
        request(subject, R"("requester": {"reference": "Organization/gp"}, "performer": [{"reference": "Organization/t"}], )") +
        R"(}, {"resource": {"resourceType": "Organization", "id": "gp", "identifier": [{)" + ods +
        R"(, "value": "A81001"}]}}, {"resource": {"resourceType": "Organization", "id": "t", "identifier": [{)" + ods +
        R"(, "value": "RX4"}]}}]})");
    ASSERT_TRUE(by_resource.record) << by_resource.outcome();
    EXPECT_EQ(by_resource.record->referrals.at(0).referrer_ods, r.referrer_ods);
    EXPECT_EQ(by_resource.record->referrals.at(0).targets.at(0), r.targets.at(0));
}

TEST(Identity, AProfessionalByIdentifierKeepsTheDisplayedNameAndSaysTheCodeIsNotCarried) {
    const Decoded d = decode_text(request(
        R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})",
        R"("requester": {"identifier": {"system": "https://fhir.hl7.org.uk/Id/gmc-number", "value": "C1234567"}, "display": "Dr Example"}, )"));
    ASSERT_TRUE(d.record) << d.outcome();
    EXPECT_EQ(d.record->referrals.at(0).referrer_name, "Dr Example");
    EXPECT_TRUE(d.warning_at("ServiceRequest.requester.identifier", "gmc-number")) << d.outcome();
}

TEST(Identity, ADisplayOnlyReferenceIsALastResort) {
    const Decoded d = decode_text(request(R"({"identifier": {)" + nhs + R"(, "value": "9990000018"}})",
                                          R"("requester": {"display": "Dr Example"}, "performer": [{"display": "A Team"}], )"));
    ASSERT_TRUE(d.record) << d.outcome();
    // A name is kept as a name. A target named only by display is kept by that
    // name, for the directory to resolve through its aliases (or to triage).
    EXPECT_EQ(d.record->referrals.at(0).referrer_name, "Dr Example");
    ASSERT_EQ(d.record->referrals.at(0).targets.size(), 1u) << d.outcome();
    EXPECT_EQ(d.record->referrals.at(0).targets[0].organisation_ods, "A Team") << d.outcome();
    ASSERT_EQ(d.paths.references.size(), 3u);
    EXPECT_EQ(d.paths.references[1].path, "ServiceRequest.requester");
    EXPECT_EQ(d.paths.references[1].how, "display");
    // A person by display alone is warned about, and names nobody the record can identify.
    const Decoded person = decode_text(request(R"({"display": "A Person"})"));
    EXPECT_TRUE(person.warning_at("ServiceRequest.subject.display", "display alone")) << person.outcome();
}

}  // namespace
}  // namespace carebridge::fhir
