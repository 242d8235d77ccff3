// References the way NHS APIs write them, checked end to end with the real
// `carebridge translate` binary: every referral fixture and every referral-
// bearing public example is rewritten into variants (Patient removed and named
// by NHS number only; Patient contained; absolute fullUrls with relative
// references; urn:uuid: references; versioned references; a failing NHS number
// in each place a person is named; a conflicting NHS number). Each variant is
// translated fhir → referral → fhir → referral: it must round-trip with exit 0
// (the referral JSON decoder validates the first output against the schema on
// the way back, and the second referral must equal the first), or be refused
// with exit 2 and an error at the element path the variant broke.
#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;
using rapidjson::Document;
using rapidjson::Value;

constexpr const char* nhs_system = "https://fhir.nhs.uk/Id/nhs-number";
// Synthetic numbers in the test range: the first two pass the modulus 11
// check, the third does not (its check digit should be 8).
constexpr const char* person_number = "9990000018";
constexpr const char* other_number = "9990000026";
constexpr const char* failing_number = "9990000019";

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string to_json(const Value& v) {
    rapidjson::StringBuffer buffer;
    rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
    v.Accept(writer);
    return buffer.GetString();
}

struct CommandRun {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// The person-naming element of each resource type (the identity rules' list).
const std::map<std::string, std::string>& person_members() {
    static const std::map<std::string, std::string> table = {
        {"ServiceRequest", "subject"}, {"Consent", "patient"},       {"Task", "for"},
        {"CarePlan", "subject"},       {"Flag", "subject"},          {"Condition", "subject"},
        {"Encounter", "subject"},      {"RiskAssessment", "subject"}, {"CareTeam", "subject"},
    };
    return table;
}

// A document to vary: a Bundle or a single resource, with helpers over its resources.
struct Doc {
    Document json;
    bool bundle() const { return std::string(json["resourceType"].GetString()) == "Bundle"; }
    std::size_t size() const { return bundle() && json.HasMember("entry") ? json["entry"].Size() : 1; }
    Value& resource(std::size_t k) { return bundle() ? json["entry"][static_cast<rapidjson::SizeType>(k)]["resource"] : json; }
    bool has_resource(std::size_t k) const {
        if (!bundle()) return true;
        const Value& e = json["entry"][static_cast<rapidjson::SizeType>(k)];
        return e.IsObject() && e.HasMember("resource") && e["resource"].IsObject() && e["resource"].HasMember("resourceType");
    }
    std::string type(std::size_t k) { return resource(k)["resourceType"].GetString(); }
    std::string path(std::size_t k) const {
        return bundle() ? "Bundle.entry[" + std::to_string(k) + "].resource" : std::string(json["resourceType"].GetString());
    }
    void copy_from(const Doc& other) { json.CopyFrom(other.json, json.GetAllocator()); }
    Document::AllocatorType& a() { return json.GetAllocator(); }
};

Value identifier(const char* number, Document::AllocatorType& a) {
    Value id(rapidjson::kObjectType);
    id.AddMember("system", Value(nhs_system, a), a);
    id.AddMember("value", Value(number, a), a);
    return id;
}

// Moves `value` into object.<name> (RapidJSON assigns by moving).
void set_member(Value& object, const char* name, Value& value, Document::AllocatorType& a) {
    if (object.HasMember(name))
        object[name] = value;
    else
        object.AddMember(Value(name, a), value, a);
}
void set_member(Value& object, const char* name, Value&& value, Document::AllocatorType& a) {
    set_member(object, name, value, a);
}

// Every `reference` string in `v` that the map knows is rewritten.
void rewrite_references(Value& v, const std::map<std::string, std::string>& map, Document::AllocatorType& a) {
    if (v.IsObject()) {
        for (auto m = v.MemberBegin(); m != v.MemberEnd(); ++m) {
            if (std::string(m->name.GetString()) == "reference" && m->value.IsString()) {
                if (auto it = map.find(m->value.GetString()); it != map.end()) m->value.SetString(it->second.c_str(), a);
            } else {
                rewrite_references(m->value, map, a);
            }
        }
    } else if (v.IsArray()) {
        for (auto& item : v.GetArray()) rewrite_references(item, map, a);
    }
}

bool is_nhs(const Value& id) {
    return id.IsObject() && id.HasMember("system") && id["system"].IsString() &&
           std::string(id["system"].GetString()) == nhs_system;
}

// The index of the first Patient, or npos.
std::size_t first_patient(Doc& d) {
    for (std::size_t k = 0; k < d.size(); ++k)
        if (d.has_resource(k) && d.type(k) == "Patient") return k;
    return std::string::npos;
}

std::size_t first_service_request(Doc& d) {
    for (std::size_t k = 0; k < d.size(); ++k)
        if (d.has_resource(k) && d.type(k) == "ServiceRequest") return k;
    return std::string::npos;
}

// The document made about a person the record can identify: each Patient's
// NHS number set to a valid synthetic one (or added); without a Patient, each
// place a person is named carries that number beside its reference. Resources
// without an id get one, so the reference variants can name them by Type/id.
void repair(Doc& d) {
    auto& a = d.a();
    const bool has_patient = first_patient(d) != std::string::npos;
    for (std::size_t k = 0; k < d.size(); ++k) {
        if (!d.has_resource(k)) continue;
        Value& r = d.resource(k);
        if (d.bundle() && !r.HasMember("id")) r.AddMember("id", Value(("e" + std::to_string(k)).c_str(), a), a);
        if (d.type(k) == "Patient") {
            bool found = false;
            if (r.HasMember("identifier") && r["identifier"].IsArray())
                for (auto& id : r["identifier"].GetArray())
                    if (is_nhs(id)) {
                        set_member(id, "value", Value(person_number, a), a);
                        found = true;
                    }
            if (!found) {
                if (!r.HasMember("identifier") || !r["identifier"].IsArray())
                    set_member(r, "identifier", Value(rapidjson::kArrayType), a);
                r["identifier"].PushBack(identifier(person_number, a), a);
            }
        } else if (!has_patient) {
            auto it = person_members().find(d.type(k));
            if (it == person_members().end()) continue;
            const char* name = it->second.c_str();
            if (!r.HasMember(name)) {
                if (d.type(k) != "ServiceRequest") continue;
                r.AddMember(Value(name, a), Value(rapidjson::kObjectType), a);
            }
            if (r[name].IsObject()) set_member(r[name], "identifier", identifier(person_number, a), a);
        }
    }
}

struct Expect {
    enum Kind { round_trip, refused } kind = round_trip;
    std::string path;         // for refused: where the error must be
    bool same_output = false;  // the referral must equal the repaired document's
};

struct Variant {
    std::string name;
    Doc doc;
    Expect expect;
};

class ReferenceVariants : public ::testing::Test {
protected:
    void SetUp() override {
        dir_ = fs::temp_directory_path() / ("carebridge-refs-" + std::to_string(::getpid()));
        fs::create_directories(dir_);
    }
    void TearDown() override { fs::remove_all(dir_); }

    CommandRun translate(const std::string& from, const std::string& to, const std::string& input) {
        const fs::path in = dir_ / "in", out = dir_ / "out", err = dir_ / "err";
        std::ofstream(in, std::ios::binary) << input;
        const std::string command = std::string("'") + CAREBRIDGE_BINARY + "' translate --from " + from + " --to " + to +
                                    " --compact '" + in.string() + "' > '" + out.string() + "' 2> '" + err.string() + "'";
        const int status = std::system(command.c_str());
        CommandRun r;
        r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        r.out = slurp(out);
        r.err = slurp(err);
        return r;
    }

    // The OperationOutcome on stderr (everything before the last line) has an error at `path`.
    static bool error_at(const std::string& err, const std::string& path) {
        const auto end = err.rfind("\n}");
        if (end == std::string::npos) return false;
        Document outcome;
        outcome.Parse(err.substr(0, end + 2).c_str());
        if (outcome.HasParseError() || !outcome.HasMember("issue")) return false;
        for (const auto& issue : outcome["issue"].GetArray()) {
            if (std::string(issue["severity"].GetString()) != "error" || !issue.HasMember("expression")) continue;
            for (const auto& e : issue["expression"].GetArray())
                if (path == e.GetString()) return true;
        }
        return false;
    }

    fs::path dir_;
};

std::vector<std::pair<std::string, std::string>> sources() {
    std::vector<std::pair<std::string, std::string>> out;
    auto add_if_referral = [&](const fs::path& p, const std::string& label) {
        const std::string text = slurp(p);
        if (text.find("\"ServiceRequest\"") != std::string::npos) out.emplace_back(label, text);
    };
    const fs::path source(CAREBRIDGE_SOURCE_DIR);
    add_if_referral(source / "tests/golden/referral.fhir.json", "tests/golden/referral.fhir.json");
    std::vector<fs::path> fixtures;
    for (const auto& e : fs::directory_iterator(source / "tests/fuzz/corpus/fhir"))
        if (e.path().extension() == ".json") fixtures.push_back(e.path());
    std::sort(fixtures.begin(), fixtures.end());
    // The resolver's own fuzz seeds (reference-*) are made to break rules; they are not fixtures.
    for (const auto& p : fixtures)
        if (p.filename().string().rfind("reference-", 0) != 0)
            add_if_referral(p, "tests/fuzz/corpus/fhir/" + p.filename().string());
    for (const char* folder : {"hl7-r4", "nhs-bars"}) {
        std::vector<fs::path> files;
        for (const auto& e : fs::directory_iterator(fs::path(CAREBRIDGE_CORPUS_DIR) / folder))
            if (e.path().extension() == ".json") files.push_back(e.path());
        std::sort(files.begin(), files.end());
        for (const auto& p : files) add_if_referral(p, std::string("corpus/") + folder + "/" + p.filename().string());
    }
    return out;
}

// The variants of one repaired document.
std::deque<Variant> variants_of(Doc& base) {
    std::deque<Variant> out;  // a deque: adding a variant leaves references to the others valid
    auto make = [&](std::string name, Expect expect) -> Variant& {
        out.push_back(Variant{std::move(name), Doc{}, std::move(expect)});
        out.back().doc.copy_from(base);
        return out.back();
    };
    const std::size_t patient = first_patient(base);
    const std::size_t sr = first_service_request(base);
    if (sr == std::string::npos) return out;

    // Patient removed; every place a person is named carries the NHS number only.
    {
        Variant& v = make("identifier-only", {Expect::round_trip, "", false});
        Doc& d = v.doc;
        auto& a = d.a();
        for (std::size_t k = 0; k < d.size(); ++k) {
            if (!d.has_resource(k)) continue;
            auto it = person_members().find(d.type(k));
            if (it == person_members().end() || !d.resource(k).HasMember(it->second.c_str())) continue;
            Value subject(rapidjson::kObjectType);
            subject.AddMember("identifier", identifier(person_number, a), a);
            d.resource(k)[it->second.c_str()] = subject;
        }
        if (d.bundle() && patient != std::string::npos) {
            Value& entries = d.json["entry"];
            for (rapidjson::SizeType k = entries.Size(); k-- > 0;)
                if (d.has_resource(k) && d.type(k) == "Patient") entries.Erase(entries.Begin() + k);
        }
    }

    // The Patient contained in the ServiceRequest, referenced as #p1.
    {
        Variant& v = make("contained", {Expect::round_trip, "", false});
        Doc& d = v.doc;
        auto& a = d.a();
        Value contained(rapidjson::kObjectType);
        if (patient != std::string::npos) {
            contained.CopyFrom(d.resource(patient), a);
        } else {
            contained.AddMember("resourceType", "Patient", a);
            Value ids(rapidjson::kArrayType);
            ids.PushBack(identifier(person_number, a), a);
            contained.AddMember("identifier", ids, a);
        }
        set_member(contained, "id", Value("p1", a), a);
        Value& request = d.resource(sr);
        if (!request.HasMember("contained")) request.AddMember("contained", Value(rapidjson::kArrayType), a);
        request["contained"].PushBack(contained, a);
        Value subject(rapidjson::kObjectType);
        subject.AddMember("reference", "#p1", a);
        set_member(request, "subject", subject, a);
        // Elsewhere the person is named by NHS number, as a contained resource is the ServiceRequest's own.
        for (std::size_t k = 0; k < d.size(); ++k) {
            if (!d.has_resource(k) || k == sr) continue;
            auto it = person_members().find(d.type(k));
            if (it == person_members().end() || !d.resource(k).HasMember(it->second.c_str())) continue;
            Value other(rapidjson::kObjectType);
            other.AddMember("identifier", identifier(person_number, a), a);
            d.resource(k)[it->second.c_str()] = other;
        }
        if (d.bundle() && patient != std::string::npos) d.json["entry"].Erase(d.json["entry"].Begin() + patient);

        // The same, with an NHS number beside #p1 that contradicts the contained Patient's.
        const std::size_t moved = d.bundle() && patient != std::string::npos && patient < sr ? sr - 1 : sr;
        Variant& c = make("conflicting-contained", {Expect::refused, d.path(moved) + ".subject.identifier.value", false});
        c.doc.copy_from(d);
        set_member(c.doc.resource(moved)["subject"], "identifier", identifier(other_number, c.doc.a()), c.doc.a());
    }

    if (base.bundle()) {
        // fullUrls in three forms, each with references to match.
        struct Form {
            const char* name;
            std::function<std::string(const std::string& type, const std::string& id, std::size_t k)> full_url, reference;
        };
        const std::vector<Form> forms = {
            {"absolute-fullurl-relative-reference",
             [](const std::string& t, const std::string& id, std::size_t) { return "https://fhir.example.org/R4/" + t + "/" + id; },
             [](const std::string& t, const std::string& id, std::size_t) { return t + "/" + id; }},
            {"urn-uuid",
             [](const std::string&, const std::string&, std::size_t k) {
                 char tail[13];
                 std::snprintf(tail, sizeof tail, "%012zu", k);
                 return std::string("urn:uuid:7f1d2c3e-0000-4000-8000-") + tail;
             },
             [](const std::string&, const std::string&, std::size_t k) {
                 char tail[13];
                 std::snprintf(tail, sizeof tail, "%012zu", k);
                 return std::string("urn:uuid:7f1d2c3e-0000-4000-8000-") + tail;
             }},
            {"versioned-reference",
             [](const std::string& t, const std::string& id, std::size_t) { return "https://fhir.example.org/R4/" + t + "/" + id; },
             [](const std::string& t, const std::string& id, std::size_t) { return t + "/" + id + "/_history/3"; }},
        };
        for (const Form& form : forms) {
            Variant& v = make(form.name, {Expect::round_trip, "", true});
            Doc& d = v.doc;
            auto& a = d.a();
            std::map<std::string, std::string> map;
            for (std::size_t k = 0; k < d.size(); ++k) {
                if (!d.has_resource(k)) continue;
                Value& entry = d.json["entry"][static_cast<rapidjson::SizeType>(k)];
                const std::string type = d.type(k), id = d.resource(k)["id"].GetString();
                const std::string reference = form.reference(type, id, k);
                if (entry.HasMember("fullUrl") && entry["fullUrl"].IsString()) map[entry["fullUrl"].GetString()] = reference;
                map[type + "/" + id] = reference;
                set_member(entry, "fullUrl", Value(form.full_url(type, id, k).c_str(), a), a);
            }
            rewrite_references(d.json, map, a);
        }

        // A second, different NHS number for the referral's subject.
        if (patient != std::string::npos) {
            Variant& v = make("other-number-for-subject", {Expect::refused, base.path(sr) + ".subject", false});
            Value subject(rapidjson::kObjectType);
            subject.AddMember("identifier", identifier(other_number, v.doc.a()), v.doc.a());
            v.doc.resource(sr)["subject"] = subject;

            Variant& c = make("conflicting-identifier", {Expect::refused, base.path(sr) + ".subject.identifier.value", false});
            if (c.doc.resource(sr)["subject"].IsObject())
                set_member(c.doc.resource(sr)["subject"], "identifier", identifier(other_number, c.doc.a()), c.doc.a());
        }

        // An audit entry naming the person by a failing NHS number.
        {
            Variant& v = make("failing-nhs-number:AuditEvent.entity",
                              {Expect::refused, "Bundle.entry[" + std::to_string(base.size()) +
                                                    "].resource.entity[0].what.identifier.value",
                               false});
            auto& a = v.doc.a();
            Value what(rapidjson::kObjectType);
            what.AddMember("identifier", identifier(failing_number, a), a);
            Value entity(rapidjson::kObjectType);
            entity.AddMember("what", what, a);
            Value entities(rapidjson::kArrayType);
            entities.PushBack(entity, a);
            Value audit(rapidjson::kObjectType);
            audit.AddMember("resourceType", "AuditEvent", a);
            audit.AddMember("entity", entities, a);
            Value entry(rapidjson::kObjectType);
            entry.AddMember("resource", audit, a);
            v.doc.json["entry"].PushBack(entry, a);
        }
    }

    // A failing NHS number in each place a person is named.
    for (std::size_t k = 0; k < base.size(); ++k) {
        if (!base.has_resource(k)) continue;
        const std::string type = base.type(k);
        if (type == "Patient" && k == patient) {
            Value& ids = base.resource(k)["identifier"];
            for (rapidjson::SizeType j = 0; j < ids.Size(); ++j) {
                if (!is_nhs(ids[j])) continue;
                Variant& v = make("failing-nhs-number:Patient.identifier",
                                  {Expect::refused, base.path(k) + ".identifier[" + std::to_string(j) + "].value", false});
                v.doc.resource(k)["identifier"][j]["value"].SetString(failing_number, v.doc.a());
                break;
            }
            continue;
        }
        auto it = person_members().find(type);
        if (it == person_members().end()) continue;
        const char* name = it->second.c_str();
        if (!base.resource(k).HasMember(name) || !base.resource(k)[name].IsObject()) continue;
        Variant& v = make("failing-nhs-number:" + type + "." + it->second,
                          {Expect::refused, base.path(k) + "." + it->second + ".identifier.value", false});
        set_member(v.doc.resource(k)[name], "identifier", identifier(failing_number, v.doc.a()), v.doc.a());
    }
    return out;
}

// How one document fared through fhir → referral → fhir → referral.
enum class Outcome {
    round_trip,         // exit 0 throughout, the second referral equal to the first
    refused,            // exit 2 on the first step
    person_invalid,     // exit 0, but the referral's person is one its schema refuses
    other_invalid,      // exit 0, but something else in the referral its schema refuses
    broken,             // anything else: a crash, exit 1 or 3, an unstable round trip
};

const char* name_of(Outcome o) {
    switch (o) {
    case Outcome::round_trip: return "round-trip";
    case Outcome::refused: return "refused";
    case Outcome::person_invalid: return "person the schema refuses";
    case Outcome::other_invalid: return "other output the schema refuses";
    case Outcome::broken: return "broken";
    }
    return "";
}

struct Tally {
    int round_tripped = 0;
    int refused_at_path = 0;
    // Written with exit 0 although the referral schema refuses something other
    // than the person (a free-text service where a code belongs, a missing
    // referral id): the encoder's general output check refuses those (issue 20
    // item 3, built beside this); counted so the figure is seen to reach 0.
    int left_to_output_check = 0;
    int failed = 0;
};

TEST_F(ReferenceVariants, EveryVariantRoundTripsOrIsRefusedAtItsPath) {
    const auto docs = sources();
    ASSERT_GE(docs.size(), 20u) << "fixtures or corpus not found";
    std::map<std::string, Tally> tally;
    Tally originals;

    // fhir → referral → fhir → referral: exit 0 each time, the referral JSON
    // valid (the second step decodes it against the schema) and stable.
    auto round_trip = [&](const std::string& fhir, std::string& referral, std::string& why) {
        const CommandRun forward = translate("fhir", "referral", fhir);
        if (forward.exit_code != 0) {
            const auto last = forward.err.rfind("carebridge translate:");
            why = "fhir → referral exit " + std::to_string(forward.exit_code) + ": " +
                  (last == std::string::npos ? forward.err : forward.err.substr(last));
            return forward.exit_code == 2 ? Outcome::refused : Outcome::broken;
        }
        const CommandRun back = translate("referral", "fhir", forward.out);
        if (back.exit_code != 0) {
            why = "referral → fhir exit " + std::to_string(back.exit_code) + " on\n" + forward.out + "\n" + back.err;
            if (back.exit_code != 2) return Outcome::broken;
            return error_at(back.err, "person") ? Outcome::person_invalid : Outcome::other_invalid;
        }
        const CommandRun again = translate("fhir", "referral", back.out);
        if (again.exit_code != 0 || again.out != forward.out) {
            why = "the FHIR written back does not translate to the same referral:\n" + forward.out + "\n" + again.out + again.err;
            return Outcome::broken;
        }
        referral = forward.out;
        return Outcome::round_trip;
    };
    auto count = [](Tally& t, Outcome o) {
        if (o == Outcome::round_trip) ++t.round_tripped;
        else if (o == Outcome::refused) ++t.refused_at_path;
        else if (o == Outcome::other_invalid) ++t.left_to_output_check;
        else ++t.failed;
    };

    for (const auto& [label, text] : docs) {
        SCOPED_TRACE(label);
        Doc original;
        original.json.Parse(text.c_str());
        ASSERT_FALSE(original.json.HasParseError());

        // The document as published: round-trips, or is refused with exit 2 at a path.
        {
            std::string referral, why;
            const Outcome o = round_trip(text, referral, why);
            EXPECT_NE(o, Outcome::broken) << why;
            if (o == Outcome::refused) EXPECT_NE(why.find("first: "), std::string::npos) << why;
            // A Patient in the document with neither NHS number nor local id is
            // the output check's to refuse too; every variant below names the
            // person by NHS number, where a person the schema refuses fails.
            count(originals, o == Outcome::person_invalid ? Outcome::other_invalid : o);
        }
        if (first_service_request(original) == std::string::npos) continue;  // a searchset without resources

        Doc repaired;
        repaired.copy_from(original);
        repair(repaired);
        std::string repaired_referral, repaired_why;
        const Outcome repaired_outcome = round_trip(to_json(repaired.json), repaired_referral, repaired_why);
        EXPECT_TRUE(repaired_outcome != Outcome::broken && repaired_outcome != Outcome::person_invalid)
            << name_of(repaired_outcome) << ": " << repaired_why;
        count(tally["about an identified person"], repaired_outcome);

        for (Variant& v : variants_of(repaired)) {
            SCOPED_TRACE(v.name);
            Tally& t = tally[v.name];
            const std::string input = to_json(v.doc.json);
            if (v.expect.kind == Expect::refused) {
                const CommandRun forward = translate("fhir", "referral", input);
                const bool ok = forward.exit_code == 2 && error_at(forward.err, v.expect.path);
                EXPECT_TRUE(ok) << "expected exit 2 with an error at " << v.expect.path << ", got exit "
                                << forward.exit_code << "\n" << forward.err << "\n" << input;
                ok ? ++t.refused_at_path : ++t.failed;
                continue;
            }
            std::string referral, why;
            const Outcome o = round_trip(input, referral, why);
            if (repaired_outcome == Outcome::round_trip) {
                // What the document says about an identified person survives every form.
                EXPECT_EQ(o, Outcome::round_trip) << name_of(o) << ": " << why << "\n" << input;
                bool ok = o == Outcome::round_trip;
                if (ok) {
                    Document r;
                    r.Parse(referral.c_str());
                    const bool has_number = r.HasMember("person") && r["person"].HasMember("nhsNumber") &&
                                            std::string(r["person"]["nhsNumber"].GetString()) == person_number;
                    EXPECT_TRUE(has_number) << referral;
                    ok = has_number;
                    if (v.expect.same_output) {
                        EXPECT_EQ(referral, repaired_referral);
                        ok = ok && referral == repaired_referral;
                    }
                }
                count(t, ok ? Outcome::round_trip : Outcome::broken);
            } else {
                // The repaired document fares as it does for a reason of its own
                // (doNotPerform, a free-text service): the variant fares the same.
                EXPECT_EQ(o, repaired_outcome) << why;
                count(t, o == repaired_outcome ? o : Outcome::broken);
            }
        }
    }

    Tally sum;
    auto line = [](const std::string& name, const Tally& t) {
        std::cout << "[ counts   ] " << name << ": " << t.round_tripped << " round-trip, " << t.refused_at_path
                  << " refused with exit 2 at their path, " << t.left_to_output_check
                  << " schema-invalid output left to the output check, " << t.failed << " failed\n";
    };
    std::cout << "[ counts   ] " << docs.size() << " referral-bearing documents (fixtures and ../shared/corpus)\n";
    line("as published", originals);
    for (const auto& [name, t] : tally) {
        line(name, t);
        sum.round_tripped += t.round_tripped;
        sum.refused_at_path += t.refused_at_path;
        sum.left_to_output_check += t.left_to_output_check;
        sum.failed += t.failed;
    }
    line("all variants", sum);
    EXPECT_EQ(sum.failed, 0);
    EXPECT_EQ(originals.failed, 0);
}

}  // namespace
