#include "fhir_stu3/path_map.hpp"

namespace carebridge::fhir_stu3 {

std::string PathMap::to_stu3(std::string_view r4_path) const {
    // Prefixes end at an element boundary: the whole path, or before a '.' or '['.
    for (std::size_t end = r4_path.size();; --end) {
        if (end == r4_path.size() || r4_path[end] == '.' || r4_path[end] == '[') {
            const auto found = map_.find(r4_path.substr(0, end));
            if (found != map_.end()) {
                std::string out = found->second;
                out += r4_path.substr(end);
                return out;
            }
        }
        if (end == 0) break;
    }
    return std::string(r4_path);
}

}  // namespace carebridge::fhir_stu3
