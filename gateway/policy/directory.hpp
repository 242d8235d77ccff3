#pragma once
// The partnership's directory: organisations (with their aliases), their
// services, routing rules, agreements, minimisation profiles, glossary and terminology table,
// checked once and then read-only. A reload builds a new Directory and swaps
// the shared pointer, so a referral in flight keeps the one it started with.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.hpp"
#include "policy/glossary.hpp"
#include "policy/minimise.hpp"
#include "policy/terminology.hpp"

namespace carebridge::gateway::policy {

class Directory {
public:
    // nullptr, with `error` one line naming the key, when the configuration's
    // sections do not fit together (config::cross_check) or a profile names a
    // field minimise.hpp does not know ("minimisation_profiles.x.fields[2]: ..."),
    // or the terminology table is unsound ("terminology.phrases.Housing: ...").
    static std::shared_ptr<const Directory> create(const config::Config& config, std::string& error);

    // By id, ODS code or alias (a Trust's former name, the CCG an ICB replaced), without regard to case.
    const config::Organisation* organisation(std::string_view id_ods_or_alias) const;
    const std::vector<config::Organisation>& organisations() const { return config_.organisations; }
    const std::vector<config::RoutingRule>& routing_rules() const { return config_.routing_rules; }

    // The agreement letting `from` disclose to `to` (ids) for `purpose`; nullptr when none.
    const config::Agreement* agreement(std::string_view from, std::string_view to, std::string_view purpose) const;
    // Every agreement from `from` to `to`, whatever its purposes.
    std::vector<const config::Agreement*> agreements_between(std::string_view from, std::string_view to) const;

    // The profile's fields; nullptr for an unknown id (create() makes every agreement's profile known).
    const FieldSet* profile(std::string_view id) const;
    const Glossary& glossary() const { return glossary_; }
    const Terminology& terminology() const { return terminology_; }
    const std::string& policy_version() const { return config_.policy_version; }

private:
    Directory() = default;

    config::Config config_;  // the directory's sections only: clients and listener are left out
    std::map<std::string, FieldSet, std::less<>> profiles_;
    Glossary glossary_;
    Terminology terminology_;
};

}  // namespace carebridge::gateway::policy
