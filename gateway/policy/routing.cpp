#include "policy/routing.hpp"

#include <algorithm>

#include "policy/consent.hpp"
#include "policy/criteria.hpp"
#include "policy/minimise.hpp"

namespace carebridge::gateway::policy {
namespace {

using config::Organisation;
using config::Service;

// A service some target or rule chose, before the agreement and consent checks.
struct Candidate {
    const Organisation* organisation;
    const Service* service;
    std::string rule;
    std::string why;  // how the service was chosen when the target named only its organisation
};

std::string service_label(const Organisation& o, const Service& s) {
    return s.name + " at " + o.name + " (" + o.ods_code + ")";
}

std::string quoted(std::string_view s) { return '"' + std::string(s) + '"'; }

std::string alternatives_text(const std::vector<Alternative>& alternatives) {
    if (alternatives.empty()) return "No open service in the directory takes this referral.";
    std::string out = "Open services that take this referral: ";
    for (std::size_t i = 0; i < alternatives.size(); ++i) {
        const Alternative& a = alternatives[i];
        if (i) out += "; ";
        out += a.service_name + " at " + a.organisation_name + " (" + a.organisation_ods + ")";
        std::string contact = a.contact.name;
        for (const std::string* part : {&a.contact.phone, &a.contact.email})
            if (!part->empty()) contact += (contact.empty() ? "" : ", ") + *part;
        if (!contact.empty()) out += ", contact " + contact;
    }
    return out + ".";
}

// A decision's reason opens a sentence of the refusal's message.
std::string sentence(std::string text) {
    if (!text.empty() && text[0] >= 'a' && text[0] <= 'z') text[0] = static_cast<char>(text[0] - 'a' + 'A');
    return text;
}

std::string service_ids(const Organisation& o) {
    std::string out;
    for (const Service& s : o.services) out += (out.empty() ? "" : ", ") + s.id;
    return out.empty() ? "it runs none in the directory" : "it runs " + out;
}

// The referral as the partnership reads it: each need the sender coded in
// SNOMED CT or wrote as text carries the need the terminology table gives it,
// and the requested services the table implies are added. nullopt when the
// table changes nothing, so the common case copies nothing.
std::optional<model::Referral> resolved_needs(const model::Referral& referral, const std::vector<NeedMatch>& matches) {
    if (std::none_of(matches.begin(), matches.end(), [](const NeedMatch& m) { return m.matched(); }))
        return std::nullopt;
    model::Referral out = referral;
    for (const NeedMatch& m : matches) {
        if (!m.matched()) continue;
        out.needs[m.need].code = m.code;
        if (!m.service.empty() &&
            std::find(out.requested_services.begin(), out.requested_services.end(), m.service) ==
                out.requested_services.end())
            out.requested_services.push_back(m.service);
    }
    return out;
}

std::string describe(const std::vector<NeedMatch>& matches) {
    std::string out;
    for (const NeedMatch& m : matches) {
        const std::string clause = m.describe();
        if (!clause.empty()) out += (out.empty() ? "" : "; ") + clause;
    }
    return out;
}

class Router {
public:
    Router(const model::PersonRecord& record, std::size_t index, const Organisation& sender, const Directory& directory,
           std::chrono::system_clock::time_point now)
        : record_(record),
          index_(index),
          matches_(directory.terminology().match(record.referrals[index])),
          resolved_(resolved_needs(record.referrals[index], matches_)),
          referral_(resolved_ ? *resolved_ : record.referrals[index]),
          need_match_(describe(matches_)),
          sender_(sender),
          directory_(directory),
          today_(std::chrono::floor<std::chrono::days>(now)) {
        outcome_.policy_version = directory.policy_version();
        outcome_.purpose = std::string(direct_care);
        outcome_.need_match = need_match_;
    }

    RoutingOutcome run() {
        if (!take_targets()) return std::move(outcome_);
        take_rules();
        if (candidates_.empty()) {
            refuse_for_nothing_to_send();
            return std::move(outcome_);
        }
        for (const Candidate& c : candidates_) authorise(c);
        return std::move(outcome_);
    }

private:
    Decision decision(std::string organisation, std::string ods, std::string service, std::string_view rule) const {
        Decision d;
        d.organisation = std::move(organisation);
        d.organisation_ods = std::move(ods);
        d.service = std::move(service);
        d.rule = std::string(rule);
        d.policy_version = outcome_.policy_version;
        d.purpose = outcome_.purpose;
        d.need_match = need_match_;
        if (referral_.consent) d.consent = referral_.consent->id;
        return d;
    }

    // The SNOMED CT codes no row of the terminology table knows, and that nothing else matched.
    std::string unknown_needs() const {
        std::string out;
        for (const NeedMatch& m : matches_)
            if (!m.matched() && !m.unknown_code.empty()) out += (out.empty() ? "" : ", ") + m.unknown_code;
        return out;
    }

    Decision decision(const Candidate& c) const {
        return decision(c.organisation->id, c.organisation->ods_code, c.service->id, c.rule);
    }

    bool already_chosen(const Organisation& o, const Service& s) const {
        return std::any_of(candidates_.begin(), candidates_.end(),
                           [&](const Candidate& c) { return c.organisation == &o && c.service == &s; });
    }

    // Why this service cannot take the referral at all, or nullopt.
    std::optional<std::pair<DecisionStatus, std::string>> unavailable(const Organisation& o, const Service& s) const {
        if (s.status != config::ServiceStatus::open)
            return std::pair{DecisionStatus::service_not_open,
                             service_label(o, s) + " is " + std::string(config::to_string(s.status)) +
                                 " and takes no referrals"};
        if (auto clause = unmet_criterion(s.criteria, record_.person, referral_, today_))
            return std::pair{DecisionStatus::criteria_not_met,
                             service_label(o, s) + " does not take this referral: " + *clause};
        return std::nullopt;
    }

    void refuse(RefusalKind kind, std::string organisation, std::string service, std::string why,
                std::optional<config::ServiceStatus> status = std::nullopt) {
        Refusal r;
        r.kind = kind;
        r.organisation = std::move(organisation);
        r.service = std::move(service);
        r.status = status;
        for (Alternative& a : open_alternatives(record_, referral_, directory_, today_)) {
            const bool refused_one = a.organisation == r.organisation && a.service == r.service;
            if (!refused_one) r.alternatives.push_back(std::move(a));
        }
        r.message = sentence(why) + ". " + alternatives_text(r.alternatives);
        outcome_.refusal = std::move(r);
        outcome_.recipients.clear();
    }

    // The target named an organisation and no service: its one open service
    // that fits, or the first of several a routing rule chooses; false when
    // none fits, which refuses the referral (to triage).
    bool take_organisation(const Organisation& o) {
        std::vector<const Service*> fitting;
        std::string unfit;
        bool any_open = false;
        for (const Service& s : o.services) {
            if (s.status != config::ServiceStatus::open) continue;
            any_open = true;
            if (auto clause = unmet_criterion(s.criteria, record_.person, referral_, today_))
                unfit += (unfit.empty() ? "" : "; ") + s.name + ": " + *clause;
            else
                fitting.push_back(&s);
        }
        const std::string at = o.name + " (" + o.ods_code + ")";
        if (fitting.empty()) {
            Decision d = decision(o.id, o.ods_code, "", target_rule);
            std::string unknown = unknown_needs();
            if (!any_open) {
                d.status = DecisionStatus::service_not_open;
                d.reason = "the referral names " + at + " but no service there; " +
                           (o.services.empty() ? std::string("it runs none in the directory")
                                               : "none of its services is open");
                refuse(RefusalKind::organisation_closed, o.id, "", d.reason);
            } else {
                d.status = DecisionStatus::criteria_not_met;
                d.reason = "the referral names " + at + " but no service there, and none of its open services fits (" +
                           unfit + ")";
                if (!unknown.empty()) d.reason += "; the need " + unknown + " is not in the terminology table";
                refuse(RefusalKind::no_fitting_service, o.id, "", d.reason);
            }
            outcome_.decisions.push_back(std::move(d));
            return false;
        }
        const Service* chosen = nullptr;
        std::string why;
        if (fitting.size() == 1) {
            chosen = fitting.front();
            why = "the referral names " + at + " and no service; " + chosen->name + " is its one open service that fits";
        } else {
            std::string names;
            for (const Service* s : fitting) names += (names.empty() ? "" : ", ") + s->id;
            for (const config::RoutingRule& rule : directory_.routing_rules()) {
                if (!rule_matches(rule.match, record_.person, referral_, sender_.id)) continue;
                for (const config::ServiceRef& to : rule.recipients)
                    for (const Service* s : fitting)
                        if (!chosen && to.organisation == o.id && to.service == s->id) {
                            chosen = s;
                            why = "the referral names " + at + " and no service; several fit (" + names +
                                  ") and routing rule " + rule.id + ", the first that matches, chooses " + s->id;
                        }
                if (chosen) break;
            }
            if (!chosen) {
                chosen = fitting.front();
                why = "the referral names " + at + " and no service; several fit (" + names +
                      ") and no routing rule chooses among them, so the first the directory lists, " + chosen->id;
            }
        }
        if (!already_chosen(o, *chosen)) candidates_.push_back({&o, chosen, std::string(target_rule), why});
        return true;
    }

    // The referral's own targets; false when one of them refuses the referral.
    bool take_targets() {
        for (const model::Target& target : referral_.targets) {
            const Organisation* o = directory_.organisation(target.organisation_ods);
            if (!o) {
                Decision d = decision("", target.organisation_ods, target.service, target_rule);
                d.status = DecisionStatus::unknown_organisation;
                d.reason = "the referral's target names organisation " + quoted(target.organisation_ods) +
                           ", which is not in the directory";
                refuse(RefusalKind::unknown_organisation, target.organisation_ods, target.service, d.reason);
                outcome_.decisions.push_back(std::move(d));
                return false;
            }
            // An organisation running several services: pick the one that fits.
            if (target.service.empty() && o->services.size() != 1) {
                if (!take_organisation(*o)) return false;
                continue;
            }
            const Service* s = target.service.empty() ? &o->services.front() : o->service(target.service);
            if (!s) {
                Decision d = decision(o->id, o->ods_code, target.service, target_rule);
                d.status = DecisionStatus::unknown_service;
                d.reason = target.service.empty()
                               ? "the referral's target names no service at " + o->name + " (" + o->ods_code + "; " +
                                     service_ids(*o) + ")"
                               : "the referral asks for " + quoted(target.service) + " at " + o->name + " (" +
                                     o->ods_code + "), which does not run it (" + service_ids(*o) + ")";
                refuse(RefusalKind::unknown_service, o->id, target.service, d.reason);
                outcome_.decisions.push_back(std::move(d));
                return false;
            }
            if (already_chosen(*o, *s)) continue;
            if (auto why = unavailable(*o, *s)) {
                Decision d = decision(o->id, o->ods_code, s->id, target_rule);
                d.status = why->first;
                d.reason = why->second;
                const bool closed = why->first == DecisionStatus::service_not_open;
                refuse(closed ? RefusalKind::service_not_open : RefusalKind::criteria_not_met, o->id, s->id,
                       d.reason, closed ? std::optional(s->status) : std::nullopt);
                outcome_.decisions.push_back(std::move(d));
                return false;
            }
            candidates_.push_back({o, s, std::string(target_rule), {}});
        }
        return true;
    }

    void take_rules() {
        for (const config::RoutingRule& rule : directory_.routing_rules()) {
            if (!rule_matches(rule.match, record_.person, referral_, sender_.id)) continue;
            for (const config::ServiceRef& to : rule.recipients) {
                // Directory::create checked that both exist.
                const Organisation* o = directory_.organisation(to.organisation);
                const Service* s = o ? o->service(to.service) : nullptr;
                if (!s || already_chosen(*o, *s)) continue;
                if (auto why = unavailable(*o, *s)) {
                    Decision d = decision(o->id, o->ods_code, s->id, rule.id);
                    d.status = why->first;
                    d.reason = why->second;
                    outcome_.decisions.push_back(std::move(d));
                    dropped_.push_back({o, s, rule.id, {}});
                    continue;
                }
                candidates_.push_back({o, s, rule.id, {}});
            }
        }
    }

    // No service is left: either nothing chose one, or every one chosen was unavailable.
    void refuse_for_nothing_to_send() {
        if (dropped_.empty()) {
            // A need the table does not know is the likely cause; triage reads which.
            if (const std::string unknown = unknown_needs(); !unknown.empty()) {
                refuse(RefusalKind::unknown_need, "", "",
                       "No service takes this referral: its need " + unknown +
                           " is not in the partnership's terminology table, it names no target and no routing rule "
                           "matches it");
                return;
            }
            refuse(RefusalKind::no_route, "", "",
                   "No service takes this referral: it names no target and no routing rule matches it");
            return;
        }
        const Candidate& first = dropped_.front();
        const bool closed = first.service->status != config::ServiceStatus::open;
        std::string why = "Every service the routing rules chose for this referral is unavailable: ";
        for (std::size_t i = 0; i < dropped_.size(); ++i) {
            const Candidate& c = dropped_[i];
            const auto reason = unavailable(*c.organisation, *c.service);
            why += (i ? "; " : "") + (reason ? reason->second : service_label(*c.organisation, *c.service));
        }
        refuse(closed ? RefusalKind::service_not_open : RefusalKind::criteria_not_met, first.organisation->id,
               first.service->id, why, closed ? std::optional(first.service->status) : std::nullopt);
        // Every rule-chosen service is excluded from the alternatives, not only the first.
        std::erase_if(outcome_.refusal->alternatives, [&](const Alternative& a) {
            return std::any_of(dropped_.begin(), dropped_.end(), [&](const Candidate& c) {
                return c.organisation->id == a.organisation && c.service->id == a.service;
            });
        });
        outcome_.refusal->message = sentence(why) + ". " + alternatives_text(outcome_.refusal->alternatives);
    }

    void authorise(const Candidate& c) {
        Decision d = decision(c);
        const Organisation& to = *c.organisation;
        const config::Agreement* agreement = directory_.agreement(sender_.id, to.id, outcome_.purpose);
        if (!agreement) {
            const auto others = directory_.agreements_between(sender_.id, to.id);
            if (others.empty()) {
                d.status = DecisionStatus::no_agreement;
                d.reason = "no agreement lets " + sender_.name + " (" + sender_.id + ") disclose to " + to.name + " (" +
                           to.id + ")";
            } else {
                d.status = DecisionStatus::purpose_not_agreed;
                d.agreement = others.front()->id;
                std::string purposes;
                for (const std::string& p : others.front()->purposes) purposes += (purposes.empty() ? "" : ", ") + p;
                d.reason = "agreement " + others.front()->id + " from " + sender_.id + " to " + to.id + " covers " +
                           purposes + ", not " + outcome_.purpose;
            }
            outcome_.decisions.push_back(std::move(d));
            return;
        }
        d.agreement = agreement->id;
        d.lawful_basis = agreement->lawful_basis;
        const ConsentCheck consent = check_consent(referral_.consent, to, outcome_.purpose, directory_, today_);
        if (consent.status != DecisionStatus::allowed) {
            d.status = consent.status;
            d.reason = consent.reason;
            outcome_.decisions.push_back(std::move(d));
            return;
        }
        const FieldSet* fields = directory_.profile(agreement->profile);
        if (!fields) {  // Directory::create makes this impossible; deny rather than send unminimised.
            d.status = DecisionStatus::no_agreement;
            d.reason = "agreement " + agreement->id + " names profile " + agreement->profile + ", which is not known";
            outcome_.decisions.push_back(std::move(d));
            return;
        }
        d.status = DecisionStatus::allowed;
        d.reason = "agreement " + agreement->id + " and " +
                   (d.consent.empty() ? std::string("the consent") : "consent " + d.consent) + " allow " +
                   outcome_.purpose + " to " + service_label(to, *c.service);
        if (!c.why.empty()) d.reason += "; " + c.why;
        outcome_.decisions.push_back(d);

        Recipient r;
        r.organisation = to.id;
        r.organisation_ods = to.ods_code;
        r.organisation_name = to.name;
        r.organisation_type = to.type;
        r.service = c.service->id;
        r.service_name = c.service->name;
        r.rule = c.rule;
        r.agreement = agreement->id;
        r.purpose = outcome_.purpose;
        r.lawful_basis = agreement->lawful_basis;
        r.profile = agreement->profile;
        r.consent = d.consent;
        r.endpoint = to.endpoint;
        r.format = to.endpoint ? to.endpoint->format : to.format;
        Minimised minimised = minimise(record_, index_, *fields);
        // The recipient reads the partnership's need codes the table gave, beside the sender's words and coding.
        if (resolved_)
            for (model::Referral& sent : minimised.record.referrals)
                if (sent.id == resolved_->id && sent.needs.size() == resolved_->needs.size())
                    for (std::size_t i = 0; i < sent.needs.size(); ++i) sent.needs[i].code = resolved_->needs[i].code;
        // Plain language is for partners outside the NHS; clinical readers keep the shorthand they share.
        if (to.type == config::OrganisationType::vcse)
            r.glossary_terms = directory_.glossary().expand_free_text(minimised.record);
        r.record = std::move(minimised.record);
        r.fields_sent = std::move(minimised.fields_sent);
        r.fields_withheld = std::move(minimised.fields_withheld);
        outcome_.recipients.push_back(std::move(r));
    }

    const model::PersonRecord& record_;
    std::size_t index_;
    std::vector<NeedMatch> matches_;          // what the terminology table made of the sender's needs
    std::optional<model::Referral> resolved_;  // the referral with those needs; nullopt: the table changed nothing
    const model::Referral& referral_;          // *resolved_, else the record's own
    std::string need_match_;                   // matches_ described, for every decision
    const Organisation& sender_;
    const Directory& directory_;
    std::chrono::sys_days today_;
    std::vector<Candidate> candidates_;
    std::vector<Candidate> dropped_;  // chosen by a rule but unavailable
    RoutingOutcome outcome_;
};

RoutingOutcome refused(const Directory& directory, RefusalKind kind, std::string message) {
    RoutingOutcome outcome;
    outcome.policy_version = directory.policy_version();
    outcome.purpose = std::string(direct_care);
    Refusal r;
    r.kind = kind;
    r.message = std::move(message);
    outcome.refusal = std::move(r);
    return outcome;
}

}  // namespace

std::string_view to_string(RefusalKind kind) {
    switch (kind) {
    case RefusalKind::no_referral: return "no-referral";
    case RefusalKind::several_referrals: return "several-referrals";
    case RefusalKind::unknown_sender: return "unknown-sender";
    case RefusalKind::unknown_organisation: return "unknown-organisation";
    case RefusalKind::unknown_service: return "unknown-service";
    case RefusalKind::service_not_open: return "service-not-open";
    case RefusalKind::criteria_not_met: return "criteria-not-met";
    case RefusalKind::no_route: return "no-route";
    case RefusalKind::unknown_need: return "unknown-need";
    case RefusalKind::no_fitting_service: return "no-fitting-service";
    case RefusalKind::organisation_closed: return "organisation-closed";
    }
    return "unknown";
}

std::vector<Alternative> open_alternatives(const model::PersonRecord& record, const model::Referral& referral,
                                           const Directory& directory, std::chrono::sys_days today) {
    std::vector<Alternative> out;
    for (const Organisation& o : directory.organisations())
        for (const Service& s : o.services) {
            if (s.status != config::ServiceStatus::open) continue;
            if (unmet_criterion(s.criteria, record.person, referral, today)) continue;
            out.push_back({o.id, o.ods_code, o.name, s.id, s.name, s.contact});
        }
    return out;
}

RoutingOutcome route(const model::PersonRecord& record, std::string_view sender, const Directory& directory,
                     std::chrono::system_clock::time_point now) {
    if (record.referrals.size() > 1)
        return refused(directory, RefusalKind::several_referrals,
                       "The record holds " + std::to_string(record.referrals.size()) +
                           " referrals; a referral is routed one at a time");
    return route_referral(record, 0, sender, directory, now);
}

RoutingOutcome route_referral(const model::PersonRecord& record, std::size_t referral_index, std::string_view sender,
                              const Directory& directory, std::chrono::system_clock::time_point now) {
    if (referral_index >= record.referrals.size())
        return refused(directory, RefusalKind::no_referral, "The record holds no referral to route");
    const Organisation* from = directory.organisation(sender);
    if (!from)
        return refused(directory, RefusalKind::unknown_sender,
                       "The sending organisation " + quoted(sender) + " is not in the directory");
    return Router(record, referral_index, *from, directory, now).run();
}

}  // namespace carebridge::gateway::policy
