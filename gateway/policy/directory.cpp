#include "policy/directory.hpp"

#include <algorithm>

namespace carebridge::gateway::policy {

std::shared_ptr<const Directory> Directory::create(const config::Config& config, std::string& error) {
    if (auto problem = config::cross_check(config)) {
        error = std::move(*problem);
        return nullptr;
    }
    std::shared_ptr<Directory> directory(new Directory());
    for (const config::MinimisationProfile& p : config.minimisation_profiles) {
        std::string problem;
        auto fields = FieldSet::create(p.fields, problem);
        if (!fields) {
            error = "minimisation_profiles." + p.id + "." + problem;
            return nullptr;
        }
        directory->profiles_.emplace(p.id, *fields);
    }
    // Only what routing reads is kept: a directory never holds token hashes.
    config::Config& kept = directory->config_;
    kept.organisations = config.organisations;
    kept.routing_rules = config.routing_rules;
    kept.agreements = config.agreements;
    kept.minimisation_profiles = config.minimisation_profiles;
    kept.glossary = config.glossary;
    kept.policy_version = config.policy_version;
    directory->glossary_ = Glossary(config.glossary);
    auto terminology = Terminology::create(config.terminology, error);
    if (!terminology) {
        if (!config.terminology.source_file.empty()) error = config.terminology.source_file + ": " + error;
        return nullptr;
    }
    directory->terminology_ = std::move(*terminology);
    return directory;
}

const config::Organisation* Directory::organisation(std::string_view id_ods_or_alias) const {
    return config_.organisation(id_ods_or_alias);
}

const config::Agreement* Directory::agreement(std::string_view from, std::string_view to,
                                              std::string_view purpose) const {
    for (const config::Agreement* a : agreements_between(from, to))
        if (std::find(a->purposes.begin(), a->purposes.end(), purpose) != a->purposes.end()) return a;
    return nullptr;
}

std::vector<const config::Agreement*> Directory::agreements_between(std::string_view from, std::string_view to) const {
    std::vector<const config::Agreement*> out;
    for (const config::Agreement& a : config_.agreements)
        if (a.from == from && a.to == to) out.push_back(&a);
    return out;
}

const FieldSet* Directory::profile(std::string_view id) const {
    const auto it = profiles_.find(id);
    return it == profiles_.end() ? nullptr : &it->second;
}

}  // namespace carebridge::gateway::policy
