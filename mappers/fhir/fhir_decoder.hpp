#pragma once
// The FHIR decoder's working state: one document, its index, and the record
// being built. Split over several files by resource family:
//   fhir_decoder.cpp     document, Bundle, dispatch, organisations and people
//   decode_patient.cpp   Patient
//   decode_referral.cpp  ServiceRequest, Task, Consent, Flag, RiskAssessment, CareTeam
//   decode_care.cpp      CarePlan, Goal, QuestionnaireResponse, Condition, Encounter
//   person_identity.cpp  references (reference_resolver.hpp), contained resources,
//                        and who the record is about

#include <rapidjson/document.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/bundle_index.hpp"
#include "fhir/object_reader.hpp"
#include "fhir/reference_resolver.hpp"
#include "model/record.hpp"
#include "model/source_paths.hpp"

namespace carebridge::fhir {

// What the record takes from a resource that others point at: an organisation
// (ODS code), a practitioner (name), a role (name, organisation, phone), a
// healthcare service (its name and provider), a location or related person.
struct Actor {
    std::string_view type;
    std::string name;
    std::string ods;
    std::string phone;
    std::size_t parts[2] = {no_entry, no_entry};  // the practitioner and organisation a role points at
};

// `Bundle.entry[i].resource`, or the bare resource's root, kept in one place so
// the frames outlive the readers built on them.
class ResourcePath {
public:
    ResourcePath(bool in_bundle, std::size_t entry, std::string_view type)
        : root_(in_bundle ? std::string_view("Bundle") : type),
          entries_(root_.child("entry")),
          entry_(entries_.at(entry)),
          resource_(entry_.child("resource")),
          in_bundle_(in_bundle) {}
    // The resource's own path; a contained resource's is `<container>.contained[k]`.
    ResourcePath(bool in_bundle, const IndexedResource& res)
        : root_(in_bundle ? std::string_view("Bundle") : res.container == no_entry ? res.type : res.container_type),
          entries_(root_.child("entry")),
          entry_(entries_.at(res.entry)),
          resource_(entry_.child("resource")),
          contained_list_((in_bundle ? resource_ : root_).child("contained")),
          contained_(contained_list_.at(res.contained == no_entry ? 0 : res.contained)),
          in_bundle_(in_bundle),
          is_contained_(res.container != no_entry) {}
    ResourcePath(const ResourcePath&) = delete;
    ResourcePath& operator=(const ResourcePath&) = delete;
    const ElementPath& get() const { return is_contained_ ? contained_ : in_bundle_ ? resource_ : root_; }

private:
    ElementPath root_;
    ElementPath entries_;
    ElementPath entry_;
    ElementPath resource_;
    ElementPath contained_list_{root_};
    ElementPath contained_{root_};
    bool in_bundle_;
    bool is_contained_ = false;
};

class Decoder {
public:
    Decoder(DecodeContext& context, const rapidjson::Value& document, model::SourcePaths* source_paths)
        : ctx_(context), document_(document), source_paths_(source_paths) {}
    std::optional<model::PersonRecord> run();

private:
    // fhir_decoder.cpp
    bool index_document(const ElementPath& root);
    bool index_bundle(ObjectReader& bundle);
    void note_message_id();
    void choose_person();
    void decode_rest(std::size_t i);
    void decode_message_header(std::size_t i);
    void decode_actor(std::size_t i);
    void read_single_identifier(ObjectReader& r, std::string_view own_system, std::string& out,
                                std::string_view what);
    void link_organisation(ObjectReader& r, std::string_view name, Actor& actor, std::string_view wrong_type);
    void report_unused_actors();
    void not_carried_resource(std::size_t i, std::string_view why);
    void read_common(ObjectReader& r, std::string* last_updated = nullptr);
    std::size_t resolve(const Ref& ref, const ElementPath& path);
    const Actor* actor_for(const Ref& ref, const ElementPath& path);
    void mark_used(std::size_t i);
    // False when parent.<name> points at someone other than the person (the
    // caller then does not carry the resource); reports a missing required subject.
    bool about_person(ObjectReader& parent, std::string_view name, bool required);

    // person_identity.cpp: references, and who the record is about.
    // Follows a reference (reference_resolver.hpp), notes how in the source
    // paths and reports one that points outside the document.
    Resolved follow(const Ref& ref, const ElementPath& path);
    // An organisation or professional named by identifier or display alone.
    const Actor* logical_actor(const Ref& ref, const Resolved& found, const ElementPath& path);
    void index_contained(std::size_t container);
    bool is_indexed_contained(std::size_t k) const;  // contained[k] of the current resource
    // Every NHS number where a person is named passes the modulus 11 check,
    // or is an error at its element path.
    void check_person_identifiers();
    void choose_person_by_identifier();
    std::string patient_nhs_number(std::size_t i) const;  // "" when none valid
    enum class Subject { person, someone_else, nobody };
    // Whom parent.<name> names: the record's person, someone else, or nobody
    // the record can identify. `present` says whether the member is there.
    Subject subject_of(ObjectReader& parent, std::string_view name, bool& present);
    bool has_category(std::size_t i, std::string_view suffix, std::string_view code) const;
    std::string name_of(const rapidjson::Value& names, const ElementPath& path);
    bool begin(std::size_t i);  // false when already decoded
    template <typename Fn> void with_resource(std::size_t i, Fn&& fn);

    // decode_patient.cpp
    void decode_patient(std::size_t i);

    // decode_referral.cpp
    void decode_service_request(std::size_t i);
    void decode_supporting_info(std::size_t i, std::size_t referral);
    void decode_task(std::size_t i);
    void decode_consent(std::size_t i, std::size_t referral);
    void decode_flag(std::size_t i, std::size_t referral);
    void decode_risk_assessment(std::size_t i, std::size_t referral);
    void decode_care_team(std::size_t i, std::size_t referral);
    std::size_t referral_for_unlinked(std::size_t i);

    // decode_care.cpp
    void decode_care_plan(std::size_t i);
    void decode_sub_plan(std::size_t i);
    void decode_goal(std::size_t i, std::size_t plan);
    void decode_questionnaire_response(std::size_t i, std::size_t plan);
    void decode_condition(std::size_t i);
    void decode_encounter(std::size_t i);
    std::size_t plan_for_unlinked(std::size_t i);

    DecodeContext& ctx_;
    const rapidjson::Value& document_;
    BundleIndex index_;
    bool in_bundle_ = false;
    std::vector<bool> decoded_;
    std::vector<bool> used_;
    std::vector<Actor> actors_;
    std::vector<std::size_t> referral_of_;  // resource → its referral, for ServiceRequests
    std::vector<std::size_t> plan_of_;      // resource → its care plan, for main CarePlans
    std::vector<bool> status_task_seen_;    // referral → a status Task set its status
    std::size_t person_ = no_entry;
    Actor logical_;  // scratch for references by identifier or display only
    ReferenceResolver resolver_{index_};
    std::size_t current_ = no_entry;  // the resource being read, for `#id` references
    bool identity_only_reported_ = false;
    model::PersonRecord record_;
    model::SourcePaths* source_paths_;  // null when the caller does not ask
    // Notes where resource i became the last element of `list`.
    void note_source(std::vector<std::string> model::SourcePaths::*list, std::size_t i) {
        if (!source_paths_) return;
        const ResourcePath path(in_bundle_, index_[i]);
        (source_paths_->*list).push_back(path.get().str());
    }
};

template <typename Fn> void Decoder::with_resource(std::size_t i, Fn&& fn) {
    const IndexedResource& res = index_[i];
    const ResourcePath path(in_bundle_, res);
    const std::size_t outer = current_;
    current_ = i;
    {
        ObjectReader r(ctx_, *res.resource, path.get());
        fn(r);
    }
    current_ = outer;
}

}  // namespace carebridge::fhir
