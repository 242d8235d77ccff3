#pragma once
// Where the parts of a decoded record stand in the source document, index
// for index with the record's lists (source_paths.contacts[1] is where
// record.contacts[1] came from). A target format that cannot carry a part
// reports it at its source path, e.g. `Bundle.entry[21].resource`, so the
// sender can find what was left behind.

#include <string>
#include <vector>

namespace carebridge::model {

// How one reference in the source found what it names (FHIR: each Reference
// the decoder followed), so a reader can tell a person known only by NHS
// number from one whose demographics came in the document.
struct ReferenceSource {
    std::string path;    // the reference's element path, e.g. `Bundle.entry[1].resource.subject`
    std::string how;     // "document", "contained", "identifier", "display" or "none"
    std::string system;  // for "identifier": which, e.g. "nhs-number", "ods-organization-code"
    bool outside = false;  // a literal reference to a resource not in the document
};

struct SourcePaths {
    // What the document says of itself: its resource type (FHIR: "Bundle",
    // "ServiceRequest", …) and the sender's id for this message (FHIR:
    // Bundle.identifier as "system|value", else "MessageHeader/<id>"), which
    // the gateway uses as the idempotency key. Empty when absent.
    std::string document_type;
    std::string message_id;

    std::vector<std::string> referrals;
    std::vector<std::string> care_plans;
    std::vector<std::string> contacts;
    std::vector<std::string> admissions;
    std::vector<ReferenceSource> references;  // in the order the decoder followed them

    void clear() {
        document_type.clear();
        message_id.clear();
        referrals.clear();
        care_plans.clear();
        contacts.clear();
        admissions.clear();
        references.clear();
    }
};

}  // namespace carebridge::model
