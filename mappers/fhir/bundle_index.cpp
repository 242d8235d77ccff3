#include "fhir/bundle_index.hpp"

#include <algorithm>

namespace carebridge::fhir {

void BundleIndex::add(IndexedResource resource) {
    const auto position = static_cast<std::uint32_t>(resources_.size());
    if (resource.container != no_entry) {
        if (!resource.id.empty())
            contained_.push_back({{static_cast<std::uint32_t>(resource.container), resource.id}, position});
        resources_.push_back(resource);
        return;
    }
    if (!resource.full_url.empty()) by_full_url_.emplace_back(resource.full_url, position);
    std::string_view id = resource.id;
    // A resource without an id is still `Type/id` under an absolute fullUrl
    // `<base>/Type/id`, the form relative references resolve against.
    if (id.empty() && !resource.full_url.starts_with("urn:")) {
        const std::string_view url = resource.full_url;
        const auto slash = url.rfind('/');
        if (slash != std::string_view::npos && slash > 0) {
            const std::string_view before = url.substr(0, slash);
            const auto type_start = before.rfind('/');
            const std::string_view type = type_start == std::string_view::npos ? before : before.substr(type_start + 1);
            if (type == resource.type) id = url.substr(slash + 1);
        }
    }
    if (!id.empty()) by_id_.emplace_back(id, position);
    resources_.push_back(resource);
}

void BundleIndex::seal() {
    // Stable so that, with duplicates, the first resource in the document wins.
    std::stable_sort(by_full_url_.begin(), by_full_url_.end(),
                     [](const Key& a, const Key& b) { return a.first < b.first; });
    std::stable_sort(by_id_.begin(), by_id_.end(), [](const Key& a, const Key& b) { return a.first < b.first; });
    std::stable_sort(contained_.begin(), contained_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
}

std::size_t BundleIndex::resolve_contained(std::string_view reference, std::size_t from) const {
    if (reference.empty() || reference.front() != '#' || from >= resources_.size()) return no_entry;
    const std::size_t container = resources_[from].container != no_entry ? resources_[from].container : from;
    const std::string_view id = reference.substr(1);
    if (id.empty()) return container;  // `#` is the container itself
    const ContainedKey key{static_cast<std::uint32_t>(container), id};
    const auto it = std::lower_bound(contained_.begin(), contained_.end(), key,
                                     [](const auto& item, const ContainedKey& k) { return item.first < k; });
    if (it != contained_.end() && it->first == key) return it->second;
    return no_entry;
}

std::size_t BundleIndex::resolve(std::string_view reference) const {
    if (reference.empty() || reference.front() == '#') return no_entry;
    const auto by_key = [](const Key& k, std::string_view v) { return k.first < v; };

    auto url = std::lower_bound(by_full_url_.begin(), by_full_url_.end(), reference, by_key);
    if (url != by_full_url_.end() && url->first == reference) return url->second;

    // `[base/]Type/id[/_history/version]`: match the last Type/id pair.
    std::string_view path = reference;
    if (const auto history = path.find("/_history/"); history != std::string_view::npos)
        path = path.substr(0, history);
    const auto slash = path.rfind('/');
    if (slash == std::string_view::npos || slash == 0) return no_entry;
    const std::string_view id = path.substr(slash + 1);
    std::string_view type = path.substr(0, slash);
    if (const auto before = type.rfind('/'); before != std::string_view::npos) type = type.substr(before + 1);
    if (id.empty() || type.empty()) return no_entry;

    for (auto it = std::lower_bound(by_id_.begin(), by_id_.end(), id, by_key); it != by_id_.end() && it->first == id;
         ++it)
        if (resources_[it->second].type == type) return it->second;
    return no_entry;
}

}  // namespace carebridge::fhir
