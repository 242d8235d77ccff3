#pragma once
// STU3 → R4, element by element, for the resources the gateway reads from
// STU3 (see MAPPING.md): ReferralRequest → ServiceRequest, Patient,
// Consent, Practitioner, PractitionerRole, Organization, HealthcareService, Location
// and a message's MessageHeader. The R4 document is always a Bundle (a bare
// STU3 resource becomes its first entry), because two STU3 shapes need
// resources of their own in R4: a subject known only by NHS number becomes a
// Patient, and a requester agent acting on behalf of an organisation becomes a
// PractitionerRole.
//
// What has no R4 home is reported here, at its STU3 path; what is renamed or
// moved is written into the PathMap so the R4 decoder's own issues are told
// at STU3 paths too. Unknown members are copied unchanged for the R4 decoder
// to report as not carried.

#include <rapidjson/document.h>

#include <string>

#include "fhir_stu3/path_map.hpp"
#include "issues/issue.hpp"

namespace carebridge::fhir_stu3 {

struct Rewritten {
    rapidjson::Document r4;  // owns its strings: independent of the STU3 document
    PathMap paths;
    std::string root_type;   // the STU3 document's resourceType
};

// False (with an error in `sink`) when `stu3` is no FHIR resource at all.
bool rewrite(const rapidjson::Value& stu3, bool strict, issues::IssueSink& sink, Rewritten& out);

}  // namespace carebridge::fhir_stu3
