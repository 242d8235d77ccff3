// ServiceRequest and what travels with it: Task (status and history), Consent,
// Flag (shielded, risk, complexity), RiskAssessment, CareTeam.
#include "fhir/fhir_decoder.hpp"
#include "fhir/uk_core.hpp"

namespace carebridge::fhir {
namespace {

// The sender's own coding of a need, kept for the gateway's terminology
// table: SNOMED CT first (what EPRs send), else the first coding that is not
// the partnership's. nullptr when it has none.
const Coding* sender_coding(const Concept& c, const partnership::Systems& systems) {
    if (const Coding* sct = c.find(uk_core::snomed_system)) return sct;
    for (std::size_t i = 0; i < c.count; ++i)
        if (!c.codings[i].system.starts_with(systems.base()) && !c.codings[i].code.empty()) return &c.codings[i];
    return nullptr;
}

// A need the partnership's CodeSystem does not name: kept as 'other' with the
// sender's words and coding, so the gateway can map it (gateway/policy/terminology.hpp).
model::NeedItem sender_need(const Concept& c, const partnership::Systems& systems) {
    model::NeedItem need;
    need.code = model::Need::other;
    need.text.assign(c.words());
    if (const Coding* coding = sender_coding(c, systems))
        need.coding = {std::string(coding->system), std::string(coding->code), std::string(coding->display)};
    return need;
}

bool has_need(const Concept& c, const partnership::Systems& systems) {
    return !c.words().empty() || sender_coding(c, systems) != nullptr;
}

}  // namespace

std::size_t Decoder::referral_for_unlinked(std::size_t i) {
    if (record_.referrals.empty()) return no_entry;
    if (record_.referrals.size() > 1) {
        const ResourcePath path(in_bundle_, index_[i].entry, index_[i].type);
        ctx_.warn(IssueType::invariant, path.get(),
                  "no ServiceRequest lists this resource in supportingInfo; it is attached to the first referral");
    }
    return 0;
}

void Decoder::decode_service_request(std::size_t i) {
    if (!begin(i)) return;
    const std::size_t index = record_.referrals.size();
    record_.referrals.emplace_back();
    note_source(&model::SourcePaths::referrals, i);
    status_task_seen_.push_back(false);
    referral_of_[i] = index;
    std::vector<std::size_t> linked;
    const partnership::Systems& systems = ctx_.systems();

    with_resource(i, [&](ObjectReader& r) {
        model::Referral& ref = record_.referrals[index];
        read_common(r, &ref.updated);

        each_object(r, "extension", [&](ObjectReader& ext, std::size_t) {
            const auto url = required_string(ext, "url");
            if (!url) return;
            if (*url == uk_core::source_of_service_request_extension) {
                Concept codeable;
                if (!read_concept(ext, "valueCodeableConcept", codeable)) return;
                const ElementPath vp = ext.child("valueCodeableConcept");
                if (const Coding* c = codeable.find(systems, partnership::referral_source)) {
                    if (auto s = model::parse_code<model::ReferralSource>(c->code))
                        ref.source = s;
                    else
                        ctx_.invalid(vp, quoted(c->code) + " is not a partnership referral source");
                } else if (const Coding* sct = codeable.find(uk_core::snomed_system);
                           sct && uk_core::source_from_snomed(sct->code)) {
                    ref.source = uk_core::source_from_snomed(sct->code);
                } else {
                    ctx_.not_carried(vp, "no referral source in the record matches this code");
                }
            } else if (systems.is(*url, partnership::referral_version_extension)) {
                if (auto v = ext.integer("valuePositiveInt")) {
                    if (*v < 1 || *v > 1'000'000) {
                        const ElementPath vp = ext.child("valuePositiveInt");
                        ctx_.invalid(vp, "a referral version is a positive integer");
                    } else {
                        ref.version = static_cast<int>(*v);
                    }
                }
            } else if (systems.is(*url, partnership::lawful_basis_extension)) {
                each_object(ext, "extension", [&](ObjectReader& sub, std::size_t) {
                    const std::string_view part = required_string(sub, "url").value_or("");
                    if (part == "article6")
                        read_text(sub, "valueCode", ref.lawful_basis.article6);
                    else if (part == "article9")
                        read_text(sub, "valueCode", ref.lawful_basis.article9);
                    else {
                        sub.drop();
                        ctx_.not_carried(sub.path());
                    }
                });
            } else {
                ext.drop();
                ctx_.not_carried(ext.path(), "extension " + std::string(*url));
            }
        });

        bool partnership_id = false;
        each_object(r, "identifier", [&](ObjectReader& id, std::size_t) {
            const std::string_view system = id.string("system").value_or("");
            id.ignore("use");
            if (systems.is(system, partnership::referral_id) && !partnership_id) {
                partnership_id = true;
                read_text(id, "value", ref.id);
            } else if (ref.id.empty()) {
                read_text(id, "value", ref.id);
                const ElementPath sp = id.child("system");
                if (!system.empty())
                    ctx_.not_carried(sp, "the record keeps the referral id, not the system that issued it");
            } else {
                id.drop();
                ctx_.not_carried(id.path(), "the record keeps one referral id");
            }
        });
        // The resource id is the sender's name for it; a urn:uuid: fullUrl is only
        // the message's, so a referral without either has no id in the record.
        if (ref.id.empty()) ref.id.assign(index_[i].id);

        if (const auto status = required_string(r, "status")) {
            bool known = false;
            if (auto s = uk_core::status_from_service_request(*status, known)) {
                ref.status = *s;
            } else {
                const ElementPath sp = r.child("status");
                ctx_.invalid(sp, known ? "a ServiceRequest entered in error is not a referral"
                                       : quoted(*status) + " is not a ServiceRequest status");
            }
        }
        if (const auto intent = required_string(r, "intent"); intent && !uk_core::is_request_intent(*intent)) {
            const ElementPath ip = r.child("intent");
            ctx_.invalid(ip, quoted(*intent) + " is not a ServiceRequest intent");
        }

        // A modifier: "do not perform" turns the request into a prohibition, which no referral can carry.
        if (const auto dnp = r.boolean("doNotPerform"); dnp && *dnp) {
            const ElementPath dp = r.child("doNotPerform");
            ctx_.sink().error(IssueType::not_supported, dp.str(),
                              "a request not to perform a service is not a referral and cannot be translated");
        }

        each(r, "category", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept codeable;
            if (!read_concept(ctx_, v, p, codeable)) return;
            const Coding* c = codeable.find(systems, partnership::referral_pathway);
            if (!c) {
                // EPRs put the kind of referral here (a SNOMED CT procedure, "Befriending").
                if (has_need(codeable, systems))
                    ref.needs.push_back(sender_need(codeable, systems));
                else
                    ctx_.not_carried(p, "only the partnership pathway, or a need, is carried as a category");
                return;
            }
            if (auto pathway = model::parse_code<model::Pathway>(c->code))
                ref.pathway = pathway;
            else
                ctx_.invalid(p, quoted(c->code) + " is not a partnership pathway");
        });

        if (const auto priority = r.string("priority")) {
            const ElementPath pp = r.child("priority");
            bool stat = false;
            if (auto p = uk_core::parse_priority(*priority, stat)) {
                ref.priority = *p;
                if (stat) ctx_.warn(IssueType::value, pp, "priority 'stat' is read as red, the most urgent rating");
            } else {
                ctx_.invalid(pp, quoted(*priority) + " is not a request priority (routine, urgent, asap or stat)");
            }
        }

        Concept code;
        if (read_concept(r, "code", code)) {
            for (std::size_t k = 0; k < code.count; ++k)
                if (systems.is(code.codings[k].system, partnership::requested_service))
                    ref.requested_services.emplace_back(code.codings[k].code);
            if (ref.requested_services.empty()) {
                if (!code.words().empty()) ref.requested_services.emplace_back(code.words());
                // The coding and words also stand as a need, for the gateway's terminology table.
                if (has_need(code, systems)) ref.needs.push_back(sender_need(code, systems));
            }
        }

        bool subject_present = false;
        const Subject subject = subject_of(r, "subject", subject_present);
        if (subject != Subject::person) {
            const ElementPath sp = r.child("subject");
            if (subject == Subject::someone_else)
                ctx_.sink().error(IssueType::invariant, sp.str(),
                                  "this referral is about a different person from the rest of the document");
            else
                ctx_.sink().error(IssueType::required, sp.str(),
                                  subject_present ? "the referral names no person: no Patient in the document and no "
                                                    "NHS number identifies who it is about"
                                                  : "the referral names no person");
        }
        read_instant(r, "authoredOn", ref.created);

        Ref requester;
        if (read_reference(r, "requester", requester)) {
            const ElementPath rp = r.child("requester");
            if (const Actor* a = actor_for(requester, rp)) {
                ref.referrer_ods = a->ods;
                ref.referrer_name = a->name;
            }
        }

        each(r, "performer", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Ref performer;
            if (!read_reference(ctx_, v, p, performer)) return;
            const Actor* a = actor_for(performer, p);
            if (!a) return;
            if (a->ods.empty()) {
                // An organisation named but not coded: the gateway's directory knows names and aliases.
                if (a->type != "HealthcareService" && !a->name.empty()) {
                    ref.targets.push_back(model::Target{a->name, std::string()});
                    return;
                }
                ctx_.not_carried(p, "a target organisation needs an ODS code or a name");
                return;
            }
            ref.targets.push_back(model::Target{a->ods, a->type == "HealthcareService" ? a->name : std::string()});
        });

        each(r, "reasonCode", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept codeable;
            if (!read_concept(ctx_, v, p, codeable)) return;
            if (const Coding* c = codeable.find(systems, partnership::referral_need)) {
                auto n = model::parse_code<model::Need>(c->code);
                if (!n) {
                    ctx_.invalid(p, quoted(c->code) + " is not a partnership need");
                    return;
                }
                model::NeedItem need = sender_need(codeable, systems);
                need.code = *n;
                need.text.assign(codeable.text);
                ref.needs.push_back(std::move(need));
            } else {
                ref.needs.push_back(sender_need(codeable, systems));
            }
            const std::size_t kept = ref.needs.back().coding.empty() ? 0 : 1;
            const std::size_t partnership_codings = codeable.find(systems, partnership::referral_need) ? 1 : 0;
            if (codeable.count > kept + partnership_codings)
                ctx_.not_carried(p, "a need keeps one coding besides the partnership's; the others are not carried");
        });

        each(r, "supportingInfo", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Ref info;
            if (!read_reference(ctx_, v, p, info)) return;
            const std::size_t target = resolve(info, p);
            if (target != no_entry) linked.push_back(target);
        });

        each_object(r, "note", [&](ObjectReader& note, std::size_t) {
            if (const auto text = note.string("text")) {
                if (!ref.notes.empty()) ref.notes += "\n\n";
                ref.notes += *text;
            }
        });
    });

    // What the referral lists as its supporting information belongs to it, in that order.
    for (std::size_t target : linked) {
        const std::string_view type = index_[target].type;
        if (type == "Consent")
            decode_consent(target, index);
        else if (type == "Flag")
            decode_flag(target, index);
        else if (type == "RiskAssessment")
            decode_risk_assessment(target, index);
        else if (type == "CareTeam")
            decode_care_team(target, index);
    }
}

void Decoder::decode_task(std::size_t i) {
    if (!begin(i)) return;
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        std::size_t target = no_entry;
        Ref focus;
        if (read_reference(r, "focus", focus)) {
            const ElementPath fp = r.child("focus");
            const std::size_t f = resolve(focus, fp);
            if (f != no_entry) target = referral_of_[f];
        }
        if (target == no_entry) {
            r.drop();
            ctx_.not_carried(r.path(),
                             "a Task is carried only as the status or history of a ServiceRequest in the document");
            return;
        }
        if (!about_person(r, "for", false)) {
            r.drop();
            ctx_.not_carried(r.path(), "the Task is about someone else");
            return;
        }
        model::Referral& ref = record_.referrals[target];

        bool is_status = false;
        Concept code;
        if (read_concept(r, "code", code)) {
            const ElementPath cp = r.child("code");
            if (const Coding* c = code.find(systems, partnership::referral_task)) {
                if (c->code == partnership::task_status_code)
                    is_status = true;
                else if (c->code != partnership::task_hop_code)
                    ctx_.invalid(cp, quoted(c->code) + " is not a partnership referral task");
            } else {
                ctx_.not_carried(cp, "the Task is read as a history hop; its code is not carried");
            }
        }

        std::optional<model::ReferralStatus> decision;
        Concept business;
        if (read_concept(r, "businessStatus", business)) {
            const ElementPath bp = r.child("businessStatus");
            if (const Coding* c = business.find(systems, partnership::referral_status)) {
                decision = model::parse_code<model::ReferralStatus>(c->code);
                if (!decision) ctx_.invalid(bp, quoted(c->code) + " is not a referral status");
            } else {
                ctx_.not_carried(bp, "only the partnership referral status is carried");
            }
        }
        if (const auto status = required_string(r, "status")) {
            bool known = false;
            auto from_task = uk_core::status_from_task(*status, known);
            const ElementPath sp = r.child("status");
            if (!known) {
                ctx_.invalid(sp, quoted(*status) + " is not a Task status");
            } else if (!from_task) {
                r.drop();
                ctx_.not_carried(r.path(), "a Task entered in error is not part of the referral's history");
                return;
            } else if (!decision) {
                decision = from_task;
            }
        }
        if (!decision) return;
        required_string(r, "intent");  // always "order" for a referral's workflow

        std::string reason;
        Concept status_reason;
        if (read_concept(r, "statusReason", status_reason)) reason.assign(status_reason.words());
        std::string owner;
        Ref owner_ref;
        if (read_reference(r, "owner", owner_ref)) {
            const ElementPath op = r.child("owner");
            if (const Actor* a = actor_for(owner_ref, op)) owner = a->ods;
        }
        std::string time;
        read_instant(r, "authoredOn", time);

        if (is_status) {
            ref.status = *decision;
            ref.status_reason = std::move(reason);
            ref.status_set_by = std::move(owner);
            status_task_seen_[target] = true;
            return;
        }
        // Without a status Task the latest hop says where the referral stands.
        if (!status_task_seen_[target]) {
            ref.status = *decision;
            ref.status_set_by = owner;
        }
        ref.history.push_back(model::Hop{std::move(owner), *decision, std::move(time), std::move(reason)});
    });
}

void Decoder::decode_consent(std::size_t i, std::size_t referral) {
    if (!begin(i)) return;
    if (referral == no_entry) {
        not_carried_resource(i, "consent is carried with a referral and this document has none");
        return;
    }
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        model::Referral& ref = record_.referrals[referral];
        if (ref.consent) {
            r.drop();
            ctx_.not_carried(r.path(), "the record keeps one consent per referral");
            return;
        }
        if (!about_person(r, "patient", false)) {
            r.drop();
            ctx_.not_carried(r.path(), "the consent is about someone else");
            return;
        }
        model::Consent consent;
        const auto status = required_string(r, "status");
        if (!status) return;
        if (*status == "active" || *status == "rejected") {
            consent.status = *status == "active" ? model::ConsentStatus::given : model::ConsentStatus::refused;
        } else if (*status == "inactive") {
            consent.status = model::ConsentStatus::withdrawn;
        } else if (*status == "draft" || *status == "proposed" || *status == "entered-in-error") {
            r.drop();
            ctx_.not_carried(r.path(), "a consent with status '" + std::string(*status) + "' is not a decision");
            return;
        } else {
            const ElementPath sp = r.child("status");
            ctx_.invalid(sp, quoted(*status) + " is not a Consent status");
            return;
        }

        read_single_identifier(r, partnership::consent_id, consent.id, "consent");

        Concept scope;
        if (read_concept(r, "scope", scope)) {
            const Coding* c = scope.find(uk_core::consent_scope_system);
            if (!c || c->code != "patient-privacy") {
                const ElementPath sp = r.child("scope");
                ctx_.not_carried(sp, "the record's consent is to share information (patient-privacy)");
            }
        }
        each(r, "category", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept category;
            if (!read_concept(ctx_, v, p, category)) return;
            const Coding* c = category.find(uk_core::loinc_system);
            if (!c || c->code != "59284-0") ctx_.not_carried(p, "the record's consent is a patient consent");
        });
        read_instant(r, "dateTime", consent.recorded_at);
        each(r, "performer", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t k) {
            if (k > 0) {
                ctx_.not_carried(p, "the record keeps who recorded the consent, once");
                return;
            }
            Ref performer;
            if (!read_reference(ctx_, v, p, performer)) return;
            if (const Actor* a = actor_for(performer, p)) consent.recorded_by = a->name.empty() ? a->ods : a->name;
        });

        with_object(r, "provision", [&](ObjectReader& provision) {
            if (const auto type = provision.string("type")) {
                if (*type == "deny") {
                    if (consent.status == model::ConsentStatus::given) consent.status = model::ConsentStatus::refused;
                } else if (*type != "permit") {
                    const ElementPath tp = provision.child("type");
                    ctx_.invalid(tp, quoted(*type) + " is not a consent provision type");
                }
            }
            with_object(provision, "period", [&](ObjectReader& period) { read_date(period, "end", consent.expires); });
            each_object(provision, "extension", [&](ObjectReader& ext, std::size_t) {
                const auto url = required_string(ext, "url");
                if (!url) return;
                if (!systems.is(*url, partnership::consent_organisation_type_extension)) {
                    ext.drop();
                    ctx_.not_carried(ext.path(), "extension " + std::string(*url));
                    return;
                }
                const rapidjson::Value* value = ext.take("valueCoding");
                const ElementPath vp = ext.child("valueCoding");
                Coding coding;
                if (!value) {
                    ctx_.missing(vp);
                    return;
                }
                if (!read_coding(ctx_, *value, vp, coding)) return;
                auto type = model::parse_code<model::OrganisationType>(coding.code);
                if (!systems.is(coding.system, partnership::organisation_type) || !type) {
                    ctx_.invalid(vp, quoted(coding.code) + " is not a partnership organisation type");
                    return;
                }
                consent.organisation_types.push_back(*type);
            });
            each_object(provision, "actor", [&](ObjectReader& actor, std::size_t) {
                Concept role;
                if (read_concept(actor, "role", role)) {
                    const Coding* c = role.find(uk_core::participation_type_system);
                    if (!c || c->code != "IRCP") {
                        actor.drop();
                        ctx_.not_carried(actor.path(), "the record's consent scope names recipients (IRCP) only");
                        return;
                    }
                }
                Ref ref_to;
                if (!read_reference(actor, "reference", ref_to)) {
                    const ElementPath rp = actor.child("reference");
                    ctx_.missing(rp);
                    return;
                }
                const ElementPath rp = actor.child("reference");
                const Actor* a = actor_for(ref_to, rp);
                if (!a) return;
                if (a->ods.empty())
                    ctx_.not_carried(rp, "a recipient in the consent scope needs an ODS code");
                else
                    consent.organisations.push_back(a->ods);
            });
            each(provision, "purpose", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
                Coding coding;
                if (!read_coding(ctx_, v, p, coding)) return;
                if (systems.is(coding.system, partnership::consent_purpose))
                    consent.purposes.emplace_back(coding.code);
                else
                    ctx_.not_carried(p, "only partnership purposes are carried");
            });
        });
        ref.consent = std::move(consent);
    });
}

void Decoder::decode_flag(std::size_t i, std::size_t referral) {
    if (!begin(i)) return;
    if (referral == no_entry) {
        not_carried_resource(i, "flags are carried with a referral and this document has none");
        return;
    }
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        model::Referral& ref = record_.referrals[referral];
        if (!about_person(r, "subject", true)) {
            r.drop();
            ctx_.not_carried(r.path(), "the flag is not about the person");
            return;
        }
        const auto status = required_string(r, "status");
        if (status && *status != "active") {
            r.drop();
            ctx_.not_carried(r.path(), "only active flags are carried");
            return;
        }
        each(r, "category", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
            Concept category;
            if (!read_concept(ctx_, v, p, category)) return;
            if (!category.find(systems, partnership::flag_category))
                ctx_.not_carried(p, "the flag's code says what kind of flag it is");
        });
        Concept code;
        if (!read_concept(r, "code", code)) {
            const ElementPath cp = r.child("code");
            if (!r.take("code")) ctx_.missing(cp);
            return;
        }
        const Coding* sct = code.find(uk_core::snomed_system);
        if (sct && sct->code == uk_core::shielded_snomed_code) {
            ref.shielded = true;
        } else if (const Coding* risk = code.find(systems, partnership::risk_flag)) {
            ref.risk.flags.emplace_back(risk->code);
        } else if (const Coding* complexity = code.find(systems, partnership::complexity_flag)) {
            ref.complexity_flags.emplace_back(complexity->code);
        } else {
            r.drop();
            ctx_.not_carried(r.path(), "the record carries shielded, risk and complexity flags only");
        }
    });
}

void Decoder::decode_risk_assessment(std::size_t i, std::size_t referral) {
    if (!begin(i)) return;
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        Ref based_on;
        if (read_reference(r, "basedOn", based_on)) {
            const ElementPath bp = r.child("basedOn");
            const std::size_t b = resolve(based_on, bp);
            if (b != no_entry && referral_of_[b] != no_entry) referral = referral_of_[b];
        }
        if (referral == no_entry) {
            r.drop();
            ctx_.not_carried(r.path(), "risk is carried with a referral and this document has none");
            return;
        }
        model::Risk& risk = record_.referrals[referral].risk;
        if (risk.level || !risk.summary.empty() || !risk.assessed.empty()) {
            r.drop();
            ctx_.not_carried(r.path(), "the record keeps one risk assessment per referral");
            return;
        }
        if (!about_person(r, "subject", true)) {
            r.drop();
            ctx_.not_carried(r.path(), "the assessment is about someone else");
            return;
        }
        if (const auto status = required_string(r, "status");
            status && (*status == "entered-in-error" || *status == "cancelled")) {
            r.drop();
            ctx_.not_carried(r.path(), "a risk assessment with status '" + std::string(*status) + "' is not current");
            return;
        }
        read_date(r, "occurrenceDateTime", risk.assessed);
        each_object(r, "prediction", [&](ObjectReader& prediction, std::size_t k) {
            if (k > 0) {
                prediction.drop();
                ctx_.not_carried(prediction.path(), "the record keeps one risk level");
                return;
            }
            Concept qualitative;
            if (!read_concept(prediction, "qualitativeRisk", qualitative)) return;
            const ElementPath qp = prediction.child("qualitativeRisk");
            const Coding* c = qualitative.find(uk_core::risk_probability_system);
            auto level = c ? uk_core::risk_level_from_probability(c->code) : std::nullopt;
            if (level)
                risk.level = level;
            else
                ctx_.not_carried(qp, "no risk-probability level in it");
        });
        each_object(r, "note", [&](ObjectReader& note, std::size_t) {
            if (const auto text = note.string("text")) {
                if (!risk.summary.empty()) risk.summary += "\n\n";
                risk.summary += *text;
            }
        });
    });
}

void Decoder::decode_care_team(std::size_t i, std::size_t referral) {
    if (!begin(i)) return;
    if (referral == no_entry) {
        not_carried_resource(i, "the care team is carried with a referral and this document has none");
        return;
    }
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        model::Referral& ref = record_.referrals[referral];
        if (!about_person(r, "subject", false)) {
            r.drop();
            ctx_.not_carried(r.path(), "the care team is someone else's");
            return;
        }
        if (const auto status = r.string("status"); status && *status != "active" && *status != "proposed") {
            r.drop();
            ctx_.not_carried(r.path(), "only an active care team is carried");
            return;
        }
        each_object(r, "participant", [&](ObjectReader& participant, std::size_t) {
            model::CareTeamMember member;
            each(participant, "role", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t k) {
                if (k > 0) {
                    ctx_.not_carried(p, "the record keeps one role per member");
                    return;
                }
                Concept role;
                if (!read_concept(ctx_, v, p, role)) return;
                if (const Coding* c = role.find(systems, partnership::care_team_role)) {
                    if (auto parsed = model::parse_code<model::CareTeamRole>(c->code))
                        member.role = *parsed;
                    else
                        ctx_.invalid(p, quoted(c->code) + " is not a partnership care team role");
                } else {
                    member.role = model::CareTeamRole::other;
                    ctx_.not_carried(p, "kept as role 'other'");
                }
            });
            Ref ref_to;
            if (read_reference(participant, "member", ref_to)) {
                const ElementPath mp = participant.child("member");
                if (const Actor* a = actor_for(ref_to, mp)) {
                    member.name = a->name;
                    member.organisation_ods = a->ods;
                    member.phone = a->phone;
                }
            }
            if (read_reference(participant, "onBehalfOf", ref_to)) {
                const ElementPath op = participant.child("onBehalfOf");
                if (const Actor* a = actor_for(ref_to, op)) {
                    if (member.organisation_ods.empty())
                        member.organisation_ods = a->ods;
                    else if (a->ods != member.organisation_ods)
                        ctx_.not_carried(op, "the member's own organisation is kept");
                }
            }
            ref.care_team.push_back(std::move(member));
        });
    });
}

}  // namespace carebridge::fhir
