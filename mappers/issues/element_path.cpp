#include "issues/element_path.hpp"

namespace carebridge::issues {

void ElementPath::append_to(std::string& out) const {
    if (parent_) parent_->append_to(out);
    if (index_ >= 0) {
        out += '[';
        out += std::to_string(index_);
        out += ']';
        return;
    }
    if (!out.empty()) out += '.';
    out += name_;
}

std::string ElementPath::str() const {
    std::string out;
    append_to(out);
    return out;
}

}  // namespace carebridge::issues
