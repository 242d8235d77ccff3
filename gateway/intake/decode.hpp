#pragma once
// Decode, the first intake stage: one arriving document in any supported
// format → the canonical record (model::PersonRecord) and its issues. The
// care-notes export, many clients in one file, has its own stream
// (export_stream.hpp); everything after decoding is the same for both.

#include <optional>
#include <string>
#include <string_view>

#include "codec/options.hpp"
#include "issues/issue.hpp"
#include "model/record.hpp"
#include "model/source_paths.hpp"
#include "translation/format.hpp"

namespace carebridge::gateway::intake {

// What the caller asked for besides the bytes: the format, the resource type a
// typed endpoint (POST /fhir/{type}) expects, and whether a referral is required.
struct DecodeRequest {
    translation::Format format = translation::Format::fhir;  // fhir: R4, unless the document declares STU3
    std::string expected_type;     // non-empty: the document must be this resource type
    bool require_referral = true;  // a Bundle or a partnership document must carry a referral
    codec::DecodeOptions options;
};

enum class DecodeStatus {
    // `record` holds the canonical record; `issues` holds what was not carried (warnings).
    decoded,
    // The bytes are not a document of the format (a fatal issue in `issues`):
    // nothing may be stored. The api answers 400.
    unreadable,
    // Readable but against the format's rules (an error in `issues`, e.g. an
    // NHS number failing mod-11): nothing may be stored. The api answers 422.
    invalid,
    // A well-formed document of another resource type than DecodeRequest::expected_type.
    wrong_type,
    // A well-formed document without a referral where DecodeRequest::require_referral asked for one.
    no_referral,
};

struct Decoded {
    DecodeStatus status = DecodeStatus::unreadable;
    std::optional<model::PersonRecord> record;  // set for decoded, wrong_type and no_referral
    issues::IssueSink issues;
    std::string document_type;  // what the document says it is ("Bundle", "Patient", …)
    // The format it was read as: DecodeRequest::format, except that a FHIR
    // document whose profiles declare STU3 is read as fhir_stu3.
    translation::Format format = translation::Format::fhir;
    // The name the sender gave this message, which makes a resend recognisable
    // when it comes without an Idempotency-Key: the FHIR Bundle's identifier or
    // MessageHeader id, or the partnership referral's id and version.
    std::string sender_key;
};

Decoded decode_document(std::string_view body, const DecodeRequest& request);

}  // namespace carebridge::gateway::intake
