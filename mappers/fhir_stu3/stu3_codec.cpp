#include "fhir_stu3/stu3_codec.hpp"

#include <cstring>

#include "fhir/fhir_codec.hpp"
#include "fhir/fhir_decoder.hpp"
#include "fhir_stu3/rewrite.hpp"
#include "json/bounded_json.hpp"

namespace carebridge::fhir_stu3 {
namespace {

constexpr std::string_view stu3_profile_bases[] = {
    "https://fhir.nhs.uk/STU3/",      // NHS Digital's STU3 profiles, e-RS among them
    "https://fhir.hl7.org.uk/STU3/",  // HL7 UK CareConnect
};

bool is_stu3_profile(const rapidjson::Value& profile) {
    if (!profile.IsString()) return false;
    const std::string_view p(profile.GetString(), profile.GetStringLength());
    for (std::string_view base : stu3_profile_bases)
        if (p.starts_with(base)) return true;
    return false;
}

bool resource_declares_stu3(const rapidjson::Value& resource) {
    if (!resource.IsObject()) return false;
    const auto type = resource.FindMember("resourceType");
    if (type != resource.MemberEnd() && type->value.IsString() &&
        std::string_view(type->value.GetString(), type->value.GetStringLength()) == "ReferralRequest")
        return true;
    const auto meta = resource.FindMember("meta");
    if (meta == resource.MemberEnd() || !meta->value.IsObject()) return false;
    const auto profiles = meta->value.FindMember("profile");
    if (profiles == meta->value.MemberEnd() || !profiles->value.IsArray()) return false;
    for (const auto& p : profiles->value.GetArray())
        if (is_stu3_profile(p)) return true;
    return false;
}

// The R4 decoder speaks of ServiceRequests; the sender wrote a ReferralRequest.
std::string in_stu3_terms(std::string message) {
    constexpr std::string_view r4 = "ServiceRequest";
    constexpr std::string_view stu3 = "ReferralRequest";
    for (std::size_t at = message.find(r4); at != std::string::npos; at = message.find(r4, at + stu3.size()))
        message.replace(at, r4.size(), stu3);
    return message;
}

}  // namespace

std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink, model::SourcePaths* source_paths) {
    if (source_paths) source_paths->clear();
    std::string buffer;  // the STU3 document's strings live here
    rapidjson::Document stu3;
    if (!json::parse_bounded(json, options.limits, buffer, stu3, sink)) return std::nullopt;
    Rewritten r4;
    if (!rewrite(stu3, options.strictness == codec::Strictness::strict, sink, r4)) return std::nullopt;

    // The R4 decoder reports at R4 paths; each issue is told at its STU3 path.
    issues::IssueSink r4_issues;
    fhir::DecodeContext context(r4_issues, options.strictness, fhir::default_partnership_base);
    fhir::Decoder decoder(context, r4.r4, source_paths);
    auto record = decoder.run();
    for (const issues::Issue& issue : r4_issues.issues())
        sink.add(issue.severity, issue.type, r4.paths.to_stu3(issue.path), in_stu3_terms(issue.message));
    if (r4_issues.omitted() > 0)
        sink.warning(issues::IssueType::too_long, "",
                     std::to_string(r4_issues.omitted()) + " more issues were found and left out");
    if (!record || sink.failed()) return std::nullopt;
    if (source_paths) {
        source_paths->document_type = r4.root_type;
        for (auto* list : {&source_paths->referrals, &source_paths->care_plans, &source_paths->contacts,
                           &source_paths->admissions})
            for (std::string& path : *list) path = r4.paths.to_stu3(path);
    }
    return record;
}

bool declares_stu3(std::string_view json, const codec::Limits& limits) {
    // Most documents are R4: a look for the STU3 words spares them a second parse.
    if (json.find("/STU3/") == std::string_view::npos && json.find("ReferralRequest") == std::string_view::npos)
        return false;
    std::string buffer;
    rapidjson::Document document;
    issues::IssueSink ignored;
    if (!json::parse_bounded(json, limits, buffer, document, ignored)) return false;
    if (resource_declares_stu3(document)) return true;
    if (!document.IsObject()) return false;
    const auto entries = document.FindMember("entry");
    if (entries == document.MemberEnd() || !entries->value.IsArray()) return false;
    for (const auto& entry : entries->value.GetArray()) {
        if (!entry.IsObject()) continue;
        const auto resource = entry.FindMember("resource");
        if (resource != entry.MemberEnd() && resource_declares_stu3(resource->value)) return true;
    }
    return false;
}

}  // namespace carebridge::fhir_stu3
