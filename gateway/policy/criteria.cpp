#include "policy/criteria.hpp"

#include <algorithm>

namespace carebridge::gateway::policy {
namespace {

char upper(char c) { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }

bool same_ignoring_case(std::string_view a, std::string_view b) {
    return a.size() == b.size() &&
           std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) { return upper(x) == upper(y); });
}

bool listed(const std::vector<std::string>& list, std::string_view value) {
    return std::any_of(list.begin(), list.end(),
                       [&](const std::string& item) { return same_ignoring_case(item, value); });
}

template <typename Code> bool listed(const std::vector<Code>& list, Code value) {
    return std::find(list.begin(), list.end(), value) != list.end();
}

template <typename Code> std::string spelled(const std::vector<Code>& codes) {
    std::string out;
    for (const Code code : codes) {
        if (!out.empty()) out += ", ";
        out += model::to_string(code);
    }
    return out;
}

bool digits(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

int number(std::string_view s) {
    int n = 0;
    for (const char c : s) n = n * 10 + (c - '0');
    return n;
}

struct Day {
    int year, month, day;
};

int whole_years(Day born, Day on) {
    const bool before_birthday = on.month < born.month || (on.month == born.month && on.day < born.day);
    return on.year - born.year - (before_birthday ? 1 : 0);
}

}  // namespace

std::optional<std::string> postcode_district(const model::Person& person) {
    if (person.no_fixed_abode || !person.address) return std::nullopt;
    std::string postcode;
    for (const char c : person.address->postcode)
        if (c != ' ' || (!postcode.empty() && postcode.back() != ' ')) postcode += upper(c);
    while (!postcode.empty() && postcode.back() == ' ') postcode.pop_back();
    if (postcode.empty() || postcode == "ZZ99 3VZ" || postcode == "ZZ993VZ") return std::nullopt;
    if (const auto space = postcode.find(' '); space != std::string::npos) return postcode.substr(0, space);
    // Written without its space: the inward code is always the last three characters.
    if (postcode.size() >= 5) return postcode.substr(0, postcode.size() - 3);
    return postcode;
}

std::optional<AgeRange> age_on(std::string_view birth_date, std::chrono::sys_days today) {
    const std::chrono::year_month_day ymd{today};
    const Day on{static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
                 static_cast<int>(static_cast<unsigned>(ymd.day()))};
    const std::size_t size = birth_date.size();
    if (!(size == 4 || size == 7 || size == 10) || !digits(birth_date.substr(0, 4))) return std::nullopt;
    Day earliest{number(birth_date.substr(0, 4)), 1, 1};
    Day latest{earliest.year, 12, 31};
    if (size >= 7) {
        if (birth_date[4] != '-' || !digits(birth_date.substr(5, 2))) return std::nullopt;
        earliest.month = latest.month = number(birth_date.substr(5, 2));
        if (earliest.month < 1 || earliest.month > 12) return std::nullopt;
    }
    if (size == 10) {
        if (birth_date[7] != '-' || !digits(birth_date.substr(8, 2))) return std::nullopt;
        earliest.day = latest.day = number(birth_date.substr(8, 2));
        if (earliest.day < 1 || earliest.day > 31) return std::nullopt;
    }
    return AgeRange{whole_years(latest, on), whole_years(earliest, on)};
}

std::optional<std::string> unmet_criterion(const config::ServiceCriteria& criteria, const model::Person& person,
                                           const model::Referral& referral, std::chrono::sys_days today) {
    if (!criteria.needs.empty() && !referral.needs.empty() &&
        std::none_of(referral.needs.begin(), referral.needs.end(),
                     [&](const model::NeedItem& need) { return listed(criteria.needs, need.code); }))
        return "none of the referral's needs is one the service takes (" + spelled(criteria.needs) + ")";

    if (const auto age = age_on(person.birth_date, today)) {
        if (criteria.min_age && age->oldest < *criteria.min_age)
            return "the person is under the service's minimum age (" + std::to_string(*criteria.min_age) + ")";
        if (criteria.max_age && age->youngest > *criteria.max_age)
            return "the person is over the service's maximum age (" + std::to_string(*criteria.max_age) + ")";
    }

    const auto district = postcode_district(person);
    const std::string& practice = person.gp_practice_ods;
    const bool district_known = district && !criteria.postcode_districts.empty();
    const bool practice_known = !practice.empty() && !criteria.gp_practices.empty();
    if (district_known || practice_known) {
        const bool inside = (district_known && listed(criteria.postcode_districts, *district)) ||
                            (practice_known && listed(criteria.gp_practices, practice));
        if (!inside) return std::string("the person lives outside the area the service covers");
    }

    if (!criteria.pathways.empty() && referral.pathway && !listed(criteria.pathways, *referral.pathway))
        return "the service does not take the " + std::string(model::to_string(*referral.pathway)) + " pathway (" +
               spelled(criteria.pathways) + ")";
    return std::nullopt;
}

bool rule_matches(const config::RuleMatch& match, const model::Person& person, const model::Referral& referral,
                  std::string_view sender_id) {
    if (!match.needs.empty() &&
        std::none_of(referral.needs.begin(), referral.needs.end(),
                     [&](const model::NeedItem& need) { return listed(match.needs, need.code); }))
        return false;
    if (!match.requested_services.empty() &&
        std::none_of(referral.requested_services.begin(), referral.requested_services.end(),
                     [&](const std::string& service) { return listed(match.requested_services, service); }))
        return false;
    if (!match.pathways.empty() && !(referral.pathway && listed(match.pathways, *referral.pathway))) return false;
    if (!match.priorities.empty() && !listed(match.priorities, referral.priority)) return false;
    if (!match.areas.empty()) {
        const auto district = postcode_district(person);
        const bool inside = (district && listed(match.areas, *district)) ||
                            (!person.gp_practice_ods.empty() && listed(match.areas, person.gp_practice_ods));
        if (!inside) return false;
    }
    if (!match.sources.empty() && !(referral.source && listed(match.sources, *referral.source))) return false;
    if (!match.from.empty() && !listed(match.from, sender_id)) return false;
    return true;
}

}  // namespace carebridge::gateway::policy
