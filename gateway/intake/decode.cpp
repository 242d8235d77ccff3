#include "intake/decode.hpp"

#include "fhir_stu3/stu3_codec.hpp"
#include "translation/translator.hpp"

namespace carebridge::gateway::intake {

Decoded decode_document(std::string_view body, const DecodeRequest& request) {
    Decoded out;
    model::SourcePaths paths;
    // A FHIR body sent without fhirVersion may still say it is STU3 by its profiles.
    out.format = request.format;
    if (out.format == translation::Format::fhir && fhir_stu3::declares_stu3(body, request.options.limits))
        out.format = translation::Format::fhir_stu3;
    out.record = translation::decode_document(out.format, body, request.options, out.issues, &paths);
    if (!out.record) {
        out.status = out.issues.count(issues::Severity::fatal) > 0 ? DecodeStatus::unreadable : DecodeStatus::invalid;
        return out;
    }
    out.document_type = paths.document_type;
    if (!request.expected_type.empty() && paths.document_type != request.expected_type) {
        out.status = DecodeStatus::wrong_type;
        return out;
    }
    if (request.require_referral && out.record->referrals.empty()) {
        out.status = DecodeStatus::no_referral;
        return out;
    }
    if (out.format == translation::Format::fhir || out.format == translation::Format::fhir_stu3)
        out.sender_key = paths.message_id;
    else if (out.format == translation::Format::referral && !out.record->referrals.empty())
        out.sender_key = "referral|" + out.record->referrals.front().id + "|" +
                         std::to_string(out.record->referrals.front().version);
    out.status = DecodeStatus::decoded;
    return out;
}

}  // namespace carebridge::gateway::intake
