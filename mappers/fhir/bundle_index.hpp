#pragma once
// The resources of one document and how references inside it resolve: by
// fullUrl (urn:uuid: or absolute URL), by relative `Type/id`, and by absolute
// URLs that end in `Type/id`. Views into the parsed document; no copies.

#include <rapidjson/document.h>

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

namespace carebridge::fhir {

inline constexpr std::size_t no_entry = static_cast<std::size_t>(-1);

struct IndexedResource {
    const rapidjson::Value* resource = nullptr;  // a JSON object with a string resourceType
    std::string_view type;
    std::string_view id;
    std::string_view full_url;
    std::size_t entry = 0;  // Bundle.entry index; 0 for a single resource
    // For a contained resource: its position in the container's `contained`
    // and the container's index position and type; no_entry otherwise.
    std::size_t contained = no_entry;
    std::size_t container = no_entry;
    std::string_view container_type;
};

class BundleIndex {
public:
    // Adds a resource; call seal() once all are added and before resolve().
    // A contained resource (container set) is found only by `#id` from its
    // container or a sibling, never by fullUrl or Type/id.
    void add(IndexedResource resource);
    void seal();

    std::size_t size() const { return resources_.size(); }
    const IndexedResource& operator[](std::size_t i) const { return resources_[i]; }

    // The position (in add order) of the resource `reference` names, or no_entry.
    // A `#id` reference names a contained resource, which is never indexed.
    std::size_t resolve(std::string_view reference) const;
    // The resource `#id` names from resource `from` (its contained resource,
    // or a sibling when `from` is itself contained; `#` alone is the container).
    std::size_t resolve_contained(std::string_view reference, std::size_t from) const;

private:
    using Key = std::pair<std::string_view, std::uint32_t>;
    std::vector<IndexedResource> resources_;
    std::vector<Key> by_full_url_;  // sorted by key
    std::vector<Key> by_id_;        // sorted by key
    using ContainedKey = std::pair<std::uint32_t, std::string_view>;  // container, id
    std::vector<std::pair<ContainedKey, std::uint32_t>> contained_;  // sorted by key
};

}  // namespace carebridge::fhir
