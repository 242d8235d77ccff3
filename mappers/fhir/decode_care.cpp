// CarePlan (with its crisis and contingency sub-plans), Goal, the DIALOG+
// QuestionnaireResponse, Condition, and Encounter (service contacts and admissions).
#include "fhir/fhir_decoder.hpp"
#include "fhir/uk_core.hpp"

namespace carebridge::fhir {
namespace {

std::string_view ends_after(std::string_view s, std::string_view prefix) {
    return s.size() > prefix.size() && s.substr(0, prefix.size()) == prefix ? s.substr(prefix.size())
                                                                             : std::string_view{};
}

}  // namespace

std::size_t Decoder::plan_for_unlinked(std::size_t i) {
    if (record_.care_plans.empty()) return no_entry;
    if (record_.care_plans.size() > 1) {
        const ResourcePath path(in_bundle_, index_[i].entry, index_[i].type);
        ctx_.warn(IssueType::invariant, path.get(), "no CarePlan refers to this resource; it is attached to the first plan");
    }
    return 0;
}

void Decoder::decode_care_plan(std::size_t i) {
    if (!begin(i)) return;
    const std::size_t index = record_.care_plans.size();
    record_.care_plans.emplace_back();
    note_source(&model::SourcePaths::care_plans, i);
    plan_of_[i] = index;
    std::vector<std::size_t> goals;
    std::vector<std::size_t> infos;
    const partnership::Systems& systems = ctx_.systems();

    with_resource(i, [&](ObjectReader& r) {
        model::CarePlan& plan = record_.care_plans[index];
        read_common(r);
        each_object(r, "extension", [&](ObjectReader& ext, std::size_t) {
            const auto url = required_string(ext, "url");
            if (!url) return;
            if (systems.is(*url, partnership::review_date_extension)) {
                read_date(ext, "valueDate", plan.review_date);
            } else {
                ext.drop();
                ctx_.not_carried(ext.path(), "extension " + std::string(*url));
            }
        });
        read_single_identifier(r, partnership::care_plan_id, plan.id, "care plan");
        if (plan.id.empty()) plan.id.assign(index_[i].id);

        if (const auto status = required_string(r, "status")) {
            if (auto s = uk_core::care_plan_status_from_code(*status))
                plan.status = *s;
            else {
                const ElementPath sp = r.child("status");
                ctx_.invalid(sp, quoted(*status) + " is not a care plan status the record can hold");
            }
        }
        required_string(r, "intent");  // a plan, proposal or order is carried alike
        read_text(r, "title", plan.title);
        if (!about_person(r, "subject", true)) {
            const ElementPath sp = r.child("subject");
            ctx_.sink().error(IssueType::invariant, sp.str(), "this care plan is about someone else");
        }
        with_object(r, "period", [&](ObjectReader& period) {
            read_date(period, "start", plan.period_start);
            read_date(period, "end", plan.period_end);
        });
        each(r, "goal", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Ref ref;
            if (!read_reference(ctx_, v, p, ref)) return;
            const std::size_t g = resolve(ref, p);
            if (g != no_entry) goals.push_back(g);
        });
        each(r, "supportingInfo", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Ref ref;
            if (!read_reference(ctx_, v, p, ref)) return;
            const std::size_t s = resolve(ref, p);
            if (s != no_entry) infos.push_back(s);
        });
        each_object(r, "activity", [&](ObjectReader& activity, std::size_t) {
            const rapidjson::Value* detail = activity.object("detail");
            if (!detail) {
                activity.drop();
                ctx_.not_carried(activity.path(), "only activities with a detail are carried");
                return;
            }
            const ElementPath dp = activity.child("detail");
            ObjectReader d(ctx_, *detail, dp);
            model::Activity out;
            read_text(d, "description", out.description);
            if (const auto status = d.string("status")) {
                if (!uk_core::is_care_plan_activity_status(*status)) {
                    const ElementPath sp = d.child("status");
                    ctx_.invalid(sp, quoted(*status) + " is not a care plan activity status");
                } else if (*status != "unknown") {  // unknown is how an empty status is written
                    out.status.assign(*status);
                }
            }
            each(d, "performer", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t k) {
                if (k > 0) {
                    ctx_.not_carried(p, "the record keeps one responsible organisation per activity");
                    return;
                }
                Ref ref;
                if (!read_reference(ctx_, v, p, ref)) return;
                const Actor* a = actor_for(ref, p);
                if (!a) return;
                if (a->ods.empty())
                    ctx_.not_carried(p, "the responsible organisation needs an ODS code");
                else
                    out.responsible_ods = a->ods;
            });
            plan.activities.push_back(std::move(out));
        });
    });

    for (std::size_t g : goals) {
        if (index_[g].type == "Goal") decode_goal(g, index);
    }
    for (std::size_t s : infos) {
        if (index_[s].type == "QuestionnaireResponse") decode_questionnaire_response(s, index);
    }
}

void Decoder::decode_sub_plan(std::size_t i) {
    if (!begin(i)) return;
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        std::string_view kind;
        each(r, "category", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept category;
            if (!read_concept(ctx_, v, p, category)) return;
            if (const Coding* c = category.find(systems, partnership::care_plan_category))
                kind = c->code;
            else
                ctx_.not_carried(p);
        });
        std::size_t plan = no_entry;
        each(r, "partOf", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Ref ref;
            if (!read_reference(ctx_, v, p, ref)) return;
            const std::size_t target = resolve(ref, p);
            if (target != no_entry && plan_of_[target] != no_entry) plan = plan_of_[target];
        });
        if (plan == no_entry) plan = plan_for_unlinked(i);
        if (plan == no_entry) {
            r.drop();
            ctx_.not_carried(r.path(), "a crisis or contingency plan is carried with a care plan and there is none");
            return;
        }
        std::string& text = kind == partnership::crisis_plan_code ? record_.care_plans[plan].crisis_plan
                                                                   : record_.care_plans[plan].contingency_plan;
        if (!text.empty()) {
            r.drop();
            ctx_.not_carried(r.path(), "the care plan already has this section");
            return;
        }
        if (!about_person(r, "subject", true)) {
            r.drop();
            ctx_.not_carried(r.path(), "the plan is about someone else");
            return;
        }
        // The section shares its parent's status and intent.
        required_string(r, "status");
        required_string(r, "intent");
        read_text(r, "description", text);
    });
}

void Decoder::decode_goal(std::size_t i, std::size_t plan) {
    if (!begin(i)) return;
    if (plan == no_entry) {
        not_carried_resource(i, "goals are carried with a care plan and this document has none");
        return;
    }
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        if (!about_person(r, "subject", true)) {
            r.drop();
            ctx_.not_carried(r.path(), "the goal is someone else's");
            return;
        }
        model::Goal goal;
        if (const auto status = r.string("lifecycleStatus")) {
            if (uk_core::is_goal_lifecycle_status(*status))
                goal.status.assign(*status);
            else {
                const ElementPath sp = r.child("lifecycleStatus");
                ctx_.invalid(sp, quoted(*status) + " is not a goal lifecycle status");
            }
        }
        Concept description;
        if (read_concept(r, "description", description)) {
            goal.description.assign(description.words());
            if (description.count > 0 && description.text.empty()) {
                const ElementPath dp = r.child("description");
                ctx_.not_carried(dp, "the goal is kept by its words; its coding is not carried");
            }
        }
        each_object(r, "target", [&](ObjectReader& target, std::size_t k) {
            if (k > 0) {
                target.drop();
                ctx_.not_carried(target.path(), "the record keeps one target date per goal");
                return;
            }
            read_date(target, "dueDate", goal.target_date);
        });
        record_.care_plans[plan].goals.push_back(std::move(goal));
    });
}

void Decoder::decode_questionnaire_response(std::size_t i, std::size_t plan) {
    if (!begin(i)) return;
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        const std::string_view questionnaire = r.string("questionnaire").value_or("");
        if (!systems.is(questionnaire, partnership::dialog_questionnaire)) {
            r.drop();
            ctx_.not_carried(r.path(), "only DIALOG+ responses are carried");
            return;
        }
        if (plan == no_entry) {
            r.drop();
            ctx_.not_carried(r.path(), "DIALOG+ scores are carried with a care plan and this document has none");
            return;
        }
        model::CarePlan& target = record_.care_plans[plan];
        if (!target.dialog.empty() || !target.dialog_date.empty()) {
            r.drop();
            ctx_.not_carried(r.path(), "the care plan already has DIALOG+ scores");
            return;
        }
        if (!about_person(r, "subject", false)) {
            r.drop();
            ctx_.not_carried(r.path(), "the scores are someone else's");
            return;
        }
        if (const auto status = required_string(r, "status"); status && *status == "entered-in-error") {
            r.drop();
            ctx_.not_carried(r.path(), "a response entered in error is not carried");
            return;
        }
        read_date(r, "authored", target.dialog_date);
        bool seen[model::dialog_domain_count] = {};
        each_object(r, "item", [&](ObjectReader& item, std::size_t) {
            const auto link = required_string(item, "linkId");
            if (!link) return;
            const ElementPath lp = item.child("linkId");
            const auto domain = model::parse_code<model::DialogDomain>(*link);
            if (!domain) {
                ctx_.invalid(lp, quoted(*link) + " is not a DIALOG+ domain");
                return;
            }
            if (seen[static_cast<int>(*domain)]) {
                ctx_.invalid(lp, "DIALOG+ domain '" + std::string(*link) + "' is scored twice");
                return;
            }
            seen[static_cast<int>(*domain)] = true;
            item.ignore("text");  // the domain's label
            model::DialogScore score;
            score.domain = *domain;
            bool scored = false;
            bool score_item = false;  // present but invalid is reported where it is
            each_object(item, "item", [&](ObjectReader& part, std::size_t) {
                const auto part_link = required_string(part, "linkId");
                if (!part_link) return;
                const std::string_view suffix = ends_after(*part_link, *link);
                part.ignore("text");
                const rapidjson::Value* answers = part.array("answer");
                const ElementPath ap = part.child("answer");
                if (!answers || answers->Empty()) {
                    ctx_.missing(ap);
                    return;
                }
                const ElementPath first = ap.at(0);
                if (!expect_object(ctx_, (*answers)[0], first)) return;
                ObjectReader answer(ctx_, (*answers)[0], first);
                for (rapidjson::SizeType k = 1; k < answers->Size(); ++k) {
                    const ElementPath extra = ap.at(k);
                    ctx_.invalid(extra, "a DIALOG+ item has one answer");
                }
                if (suffix == ".score") {
                    score_item = true;
                    const auto value = answer.integer("valueInteger");
                    const ElementPath vp = answer.child("valueInteger");
                    if (!value) {
                        if (!answer.take("valueInteger")) ctx_.missing(vp);
                        return;
                    }
                    if (*value < 1 || *value > 7) {
                        ctx_.invalid(vp, "a DIALOG+ score is 1 to 7, not " + std::to_string(*value));
                        return;
                    }
                    score.score = static_cast<int>(*value);
                    scored = true;
                } else if (suffix == ".more-help") {
                    if (const auto value = answer.boolean("valueBoolean")) score.wants_more_help = *value;
                } else {
                    const ElementPath pp = part.child("linkId");
                    ctx_.invalid(pp, quoted(*part_link) + " is not a DIALOG+ score or help item");
                }
            });
            if (!scored) {
                if (score_item) return;
                const ElementPath ip = item.child("item");
                ctx_.sink().error(IssueType::required, ip.str(), "the DIALOG+ domain has no score");
                return;
            }
            target.dialog.push_back(score);
        });
    });
}

void Decoder::decode_condition(std::size_t i) {
    if (!begin(i)) return;
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        if (!about_person(r, "subject", true)) {
            r.drop();
            ctx_.not_carried(r.path(), "the condition is someone else's");
            return;
        }
        Concept verification;
        if (read_concept(r, "verificationStatus", verification)) {
            for (std::size_t k = 0; k < verification.count; ++k) {
                if (verification.codings[k].code == "entered-in-error" || verification.codings[k].code == "refuted") {
                    r.drop();
                    ctx_.not_carried(r.path(), "a refuted or mistaken diagnosis is not carried");
                    return;
                }
            }
        }
        Concept clinical;
        if (read_concept(r, "clinicalStatus", clinical)) {
            const bool current = clinical.count > 0 && is_one_of(clinical.codings[0].code, {"active", "recurrence", "relapse"});
            if (!current) {
                const ElementPath cp = r.child("clinicalStatus");
                ctx_.not_carried(cp, "the record lists diagnoses without their clinical status");
            }
        }
        // Problem-list item or encounter diagnosis: the record lists both alike.
        r.ignore("category");
        Concept code;
        if (!read_concept(r, "code", code)) {
            r.drop();
            ctx_.not_carried(r.path(), "a condition without a code is not a diagnosis");
            return;
        }
        model::Diagnosis diagnosis;
        const Coding* c = code.find(uk_core::icd10_system);
        if (c) {
            diagnosis.system = "icd-10";
        } else if ((c = code.find(uk_core::snomed_system))) {
            diagnosis.system = "snomed";
        } else {
            r.drop();
            ctx_.not_carried(r.path(), "the diagnosis is coded in neither ICD-10 nor SNOMED CT");
            return;
        }
        diagnosis.code.assign(c->code);
        diagnosis.display.assign(c->display.empty() ? code.text : c->display);
        read_date(r, "recordedDate", diagnosis.recorded);
        record_.diagnoses.push_back(std::move(diagnosis));
    });
}

void Decoder::decode_encounter(std::size_t i) {
    if (!begin(i)) return;
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        const rapidjson::Value* class_value = r.take("class");
        const ElementPath class_path = r.child("class");
        Coding klass;
        if (!class_value) {
            ctx_.missing(class_path);
            return;
        }
        if (!read_coding(ctx_, *class_value, class_path, klass)) return;
        const bool admission = is_one_of(klass.code, {"IMP", "ACUTE", "NONAC"});
        const bool contact = is_one_of(klass.code, {"AMB", "HH", "VR"});
        if (!admission && !contact) {
            r.drop();
            ctx_.not_carried(r.path(), "an encounter of class '" + std::string(klass.code) +
                                           "' is neither a service contact nor an admission");
            return;
        }
        const auto status = required_string(r, "status");
        if (!status) return;
        if (*status == "entered-in-error" || (admission && (*status == "planned" || *status == "cancelled"))) {
            r.drop();
            ctx_.not_carried(r.path(), "an encounter with status '" + std::string(*status) + "' did not happen");
            return;
        }
        if (!about_person(r, "subject", false)) {
            r.drop();
            ctx_.not_carried(r.path(), "the encounter is someone else's");
            return;
        }

        const std::string_view id_system = admission ? partnership::admission_id : partnership::contact_id;
        std::string id;
        read_single_identifier(r, id_system, id, "encounter");
        if (id.empty()) id.assign(index_[i].id);
        std::string start, end;
        with_object(r, "period", [&](ObjectReader& period) {
            read_instant(period, "start", start);
            read_instant(period, "end", end);
        });

        if (admission) {
            model::Admission out;
            out.id = std::move(id);
            out.admitted = std::move(start);
            out.discharged = std::move(end);
            each_object(r, "extension", [&](ObjectReader& ext, std::size_t) {
                const auto url = required_string(ext, "url");
                if (!url) return;
                if (*url != uk_core::legal_status_extension || !out.legal_status.empty()) {
                    ext.drop();
                    ctx_.not_carried(ext.path(), *url == uk_core::legal_status_extension
                                                     ? "the record keeps the legal status on admission"
                                                     : "extension " + std::string(*url));
                    return;
                }
                each_object(ext, "extension", [&](ObjectReader& sub, std::size_t) {
                    const std::string_view part = required_string(sub, "url").value_or("");
                    Concept codeable;
                    if (part == "legalStatusContext") {
                        read_concept(sub, "valueCodeableConcept", codeable);  // admission or discharge
                    } else if (part == "legalStatusClassification") {
                        if (!read_concept(sub, "valueCodeableConcept", codeable)) return;
                        const ElementPath vp = sub.child("valueCodeableConcept");
                        const Coding* c = codeable.find(uk_core::legal_status_classification_system);
                        if (!c) {
                            ctx_.not_carried(vp, "no England legal status classification in it");
                        } else if (!uk_core::is_legal_status_code(c->code)) {
                            ctx_.invalid(vp, quoted(c->code) + " is not a Mental Health Act legal status");
                        } else {
                            out.legal_status.assign(c->code);
                        }
                    } else {
                        sub.drop();
                        ctx_.not_carried(sub.path());
                    }
                });
            });
            Ref provider;
            if (read_reference(r, "serviceProvider", provider)) {
                const ElementPath pp = r.child("serviceProvider");
                if (const Actor* a = actor_for(provider, pp)) {
                    if (a->ods.empty())
                        ctx_.not_carried(pp, "the hospital needs an ODS code");
                    else
                        out.hospital_ods = a->ods;
                }
            }
            each_object(r, "location", [&](ObjectReader& location, std::size_t k) {
                if (k > 0) {
                    location.drop();
                    ctx_.not_carried(location.path(), "the record keeps the ward admitted to");
                    return;
                }
                Ref ref;
                if (!read_reference(location, "location", ref)) return;
                const ElementPath lp = location.child("location");
                if (const Actor* a = actor_for(ref, lp)) out.ward = a->name;
            });
            record_.admissions.push_back(std::move(out));
            note_source(&model::SourcePaths::admissions, i);
            return;
        }

        model::ServiceContact out;
        out.id = std::move(id);
        out.start = std::move(start);
        out.end = std::move(end);
        std::optional<model::ContactType> type;
        each(r, "type", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept codeable;
            if (!read_concept(ctx_, v, p, codeable)) return;
            const Coding* c = codeable.find(systems, partnership::contact_type);
            if (!c) {
                ctx_.not_carried(p, "the contact's type is read from its class");
                return;
            }
            type = model::parse_code<model::ContactType>(c->code);
            if (!type) ctx_.invalid(p, quoted(c->code) + " is not a partnership contact type");
        });
        if (*status == "cancelled") {
            type = model::ContactType::did_not_attend;
        } else if (*status != "finished") {
            const ElementPath sp = r.child("status");
            ctx_.not_carried(sp, "the record tells attended contacts from did-not-attend ones only");
        }
        if (!type) type = klass.code == "VR" ? model::ContactType::telephone : model::ContactType::face_to_face;
        out.type = *type;
        Concept service;
        if (read_concept(r, "serviceType", service)) out.service.assign(service.words());
        each_object(r, "participant", [&](ObjectReader& participant, std::size_t k) {
            if (k > 0) {
                participant.drop();
                ctx_.not_carried(participant.path(), "the record keeps one practitioner per contact");
                return;
            }
            Ref ref;
            if (!read_reference(participant, "individual", ref)) return;
            const ElementPath ip = participant.child("individual");
            if (const Actor* a = actor_for(ref, ip)) out.practitioner = a->name;
        });
        record_.contacts.push_back(std::move(out));
        note_source(&model::SourcePaths::contacts, i);
    });
}

}  // namespace carebridge::fhir
