// Patient → model::Person.
#include <cctype>

#include "fhir/fhir_decoder.hpp"
#include "fhir/uk_core.hpp"
#include "model/validate.hpp"

namespace carebridge::fhir {
namespace {

// "zz99 3vz", "ZZ993VZ" and "ZZ99 3VZ" are the same postcode.
bool is_no_fixed_abode(std::string_view postcode) {
    std::string compact;
    for (char c : postcode)
        if (c != ' ') compact += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return compact == "ZZ993VZ";
}

bool is_uk(std::string_view country) {
    return country == "GB" || country == "GBR" || country == "UK" || country == "United Kingdom" ||
           country == "England";
}

}  // namespace

void Decoder::decode_patient(std::size_t i) {
    if (!begin(i)) return;
    model::Person& person = record_.person;
    const partnership::Systems& systems = ctx_.systems();
    with_resource(i, [&](ObjectReader& r) {
        read_common(r);
        // Both are modifiers: an inactive record is one not to be used, and a
        // death changes what every other element means.
        if (const auto active = r.boolean("active"); active && !*active) {
            const ElementPath ap = r.child("active");
            ctx_.sink().error(IssueType::invariant, ap.str(),
                              "this Patient record is marked inactive: it must not be used");
        }
        if (const rapidjson::Value* deceased = r.take("deceasedBoolean");
            deceased && !(deceased->IsBool() && !deceased->GetBool())) {
            const ElementPath dp = r.child("deceasedBoolean");
            ctx_.not_carried(dp, "the record has no place for a death");
        }

        each_object(r, "extension", [&](ObjectReader& ext, std::size_t) {
            const auto url = required_string(ext, "url");
            if (!url) return;
            model::ContactPreferences& prefs = person.contact_preferences;
            if (*url == uk_core::ethnic_category_extension) {
                Concept codeable;
                if (!read_concept(ext, "valueCodeableConcept", codeable)) return;
                for (std::size_t k = 0; k < codeable.count; ++k) {
                    const Coding& c = codeable.codings[k];
                    if (!uk_core::is_ethnic_category_system(c.system)) continue;
                    if (!model::is_ethnic_category_code(c.code)) {
                        const ElementPath vp = ext.child("valueCodeableConcept");
                        ctx_.invalid(vp, quoted(c.code) + " is not an NHS ethnic category code");
                        return;
                    }
                    person.ethnic_category.assign(c.code);
                    return;
                }
                ext.drop();
                ctx_.not_carried(ext.path(), "no NHS ethnic category coding in it");
            } else if (*url == uk_core::contact_preference_extension) {
                each_object(ext, "extension", [&](ObjectReader& sub, std::size_t) {
                    const auto sub_url = required_string(sub, "url");
                    if (!sub_url) return;
                    if (*sub_url != "PreferredContactMethod") {
                        sub.drop();
                        ctx_.not_carried(sub.path());
                        return;
                    }
                    Concept codeable;
                    if (!read_concept(sub, "valueCodeableConcept", codeable)) return;
                    const ElementPath vp = sub.child("valueCodeableConcept");
                    if (const Coding* c = codeable.find(systems, partnership::contact_method)) {
                        if (auto m = model::parse_code<model::ContactMethod>(c->code))
                            prefs.preferred_method = m;
                        else
                            ctx_.invalid(vp, quoted(c->code) + " is not a partnership contact method");
                    } else if (const Coding* uk = codeable.find(uk_core::preferred_contact_method_system)) {
                        if (auto m = uk_core::contact_method_from_code(uk->code))
                            prefs.preferred_method = m;
                        else
                            ctx_.not_carried(vp, "UK Core contact method '" + std::string(uk->code) +
                                                     "' has no equivalent in the record");
                    } else {
                        ctx_.not_carried(vp, "no known contact method coding in it");
                    }
                });
            } else if (*url == uk_core::interpreter_required_extension) {
                if (auto b = ext.boolean("valueBoolean")) prefs.interpreter_required = b;
            } else if (systems.is(*url, partnership::safe_to_call_extension)) {
                if (auto b = ext.boolean("valueBoolean")) prefs.safe_to_call_at_home = b;
            } else if (systems.is(*url, partnership::digital_access_extension)) {
                if (auto b = ext.boolean("valueBoolean")) prefs.digital_access = b;
            } else {
                ext.drop();
                ctx_.not_carried(ext.path(), "extension " + std::string(*url));
            }
        });

        each_object(r, "identifier", [&](ObjectReader& id, std::size_t) {
            const std::string_view system = id.string("system").value_or("");
            id.ignore("use");  // the NHS number is the official identifier whatever the sender says
            if (system == uk_core::nhs_number_system) {
                const auto value = required_string(id, "value");
                const ElementPath vp = id.child("value");
                if (!value) return;
                std::string digits;
                for (char c : *value)
                    if (c != ' ') digits += c;
                if (!model::is_valid_nhs_number(digits)) {
                    // The number itself stays out of the message: outcomes get logged.
                    ctx_.invalid(vp, "not a valid NHS number: it must be ten digits passing the modulus 11 check");
                    return;
                }
                if (!person.nhs_number.empty() && person.nhs_number != digits) {
                    id.drop();
                    ctx_.not_carried(id.path(), "the record keeps one NHS number");
                    return;
                }
                person.nhs_number = std::move(digits);
                each_object(id, "extension", [&](ObjectReader& ext, std::size_t) {
                    const auto url = required_string(ext, "url");
                    if (!url) return;
                    if (*url != uk_core::nhs_number_verification_extension) {
                        ext.drop();
                        ctx_.not_carried(ext.path(), "extension " + std::string(*url));
                        return;
                    }
                    Concept codeable;
                    if (!read_concept(ext, "valueCodeableConcept", codeable)) return;
                    const ElementPath cp = ext.child("valueCodeableConcept");
                    for (std::size_t k = 0; k < codeable.count; ++k) {
                        const Coding& c = codeable.codings[k];
                        if (!uk_core::is_nhs_number_verification_system(c.system)) continue;
                        const std::string_view code = uk_core::nhs_number_verification_code(c.code);
                        if (code.empty()) {
                            ctx_.invalid(cp, quoted(c.code) + " is not an NHS number verification status code");
                            return;
                        }
                        person.nhs_number_verification.assign(code);
                        return;
                    }
                    ctx_.not_carried(cp, "no NHS number verification status coding in it");
                });
            } else if (systems.is(system, partnership::local_client_id)) {
                read_text(id, "value", person.local_id);
            } else {
                id.drop();
                ctx_.not_carried(id.path(), "identifier system '" + std::string(system) + "'");
            }
        });

        each_object(r, "name", [&](ObjectReader& n, std::size_t) {
            model::PersonName name;
            if (const auto use = n.string("use")) {
                if (!uk_core::is_name_use(*use)) {
                    const ElementPath up = n.child("use");
                    ctx_.invalid(up, quoted(*use) + " is not a FHIR name use");
                }
                name.use.assign(*use);
            }
            n.ignore("text");  // a rendering of the parts below
            each(n, "prefix", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
                if (!expect_string(ctx_, v, p)) return;
                if (!name.prefix.empty()) name.prefix += ' ';
                name.prefix += view(v);
            });
            each(n, "given", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
                if (expect_string(ctx_, v, p)) name.given.emplace_back(view(v));
            });
            read_text(n, "family", name.family);
            person.names.push_back(std::move(name));
        });

        each_object(r, "telecom", [&](ObjectReader& t, std::size_t) {
            const std::string_view system = t.string("system").value_or("");
            const std::string_view use = t.string("use").value_or("");
            const std::string_view value = t.string("value").value_or("");
            t.ignore("rank");  // the record's contact preference says how to reach the person
            std::string* slot = nullptr;
            if (system == "phone" && use == "mobile")
                slot = &person.mobile;
            else if (system == "sms")
                slot = &person.mobile;
            else if (system == "phone" && use != "old")
                slot = &person.phone;
            else if (system == "email" && use != "old")
                slot = &person.email;
            if (!slot || !slot->empty()) {
                t.drop();
                ctx_.not_carried(t.path(), "the record keeps one phone, one mobile and one email address");
                return;
            }
            slot->assign(value);
        });

        if (const auto gender = r.string("gender")) {
            if (auto g = model::parse_code<model::Gender>(*gender))
                person.gender = g;
            else {
                const ElementPath gp = r.child("gender");
                ctx_.invalid(gp, quoted(*gender) + " is not a FHIR administrative gender");
            }
        }
        read_date(r, "birthDate", person.birth_date);

        each_object(r, "address", [&](ObjectReader& a, std::size_t) {
            const std::string_view use = a.string("use").value_or("");
            if (use == "old" || use == "billing" || use == "work") {
                a.drop();
                ctx_.not_carried(a.path(), "a " + std::string(use) + " address is not where the person lives");
                return;
            }
            a.ignore("text");  // a rendering of the parts below
            a.ignore("type");  // postal or physical: the record's one address serves both
            if (const rapidjson::Value* country = a.take("country")) {
                if (!country->IsString() || !is_uk(view(*country))) {
                    const ElementPath cp = a.child("country");
                    ctx_.not_carried(cp, "the record keeps UK addresses");
                }
            }
            model::Address address;
            each(a, "line", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t) {
                if (expect_string(ctx_, v, p)) address.lines.emplace_back(view(v));
            });
            read_text(a, "city", address.city);
            read_text(a, "district", address.district);
            read_text(a, "postalCode", address.postcode);
            if (is_no_fixed_abode(address.postcode)) {
                person.no_fixed_abode = true;
                // The bare NHS marker is not an address; a last known address with it is.
                if (address.lines.empty() && address.city.empty() && address.district.empty()) return;
            }
            if (person.address) {
                a.drop();
                ctx_.not_carried(a.path(), "the record keeps one address");
                return;
            }
            person.address = std::move(address);
        });

        each_object(r, "communication", [&](ObjectReader& c, std::size_t k) {
            if (k > 0 || !person.contact_preferences.interpreter_language.empty()) {
                c.drop();
                ctx_.not_carried(c.path(), "the record keeps one language");
                return;
            }
            c.ignore("preferred");  // the one language kept is the preferred one
            Concept language;
            if (!read_concept(c, "language", language)) {
                const ElementPath lp = c.child("language");
                if (!c.take("language")) ctx_.missing(lp);
                return;
            }
            const Coding* code = language.find(uk_core::bcp47_system);
            if (!code) code = language.find(uk_core::human_language_system);
            if (!code || code->code.empty()) {
                const ElementPath lp = c.child("language");
                ctx_.not_carried(lp, "no BCP 47 language code in it");
                return;
            }
            person.contact_preferences.interpreter_language.assign(code->code);
        });

        each(r, "generalPractitioner", [&](const rapidjson::Value& v, const ElementPath& p, std::size_t k) {
            if (k > 0) {
                ctx_.not_carried(p, "the record keeps one GP practice");
                return;
            }
            Ref ref;
            if (!read_reference(ctx_, v, p, ref)) return;
            const Actor* actor = actor_for(ref, p);
            if (!actor) return;
            if (actor->ods.empty()) {
                ctx_.not_carried(p, "the GP practice has no ODS code");
                return;
            }
            person.gp_practice_ods = actor->ods;
        });
    });
}

}  // namespace carebridge::fhir
