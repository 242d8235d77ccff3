#pragma once
// The element path of a value being decoded, e.g.
// `Bundle.entry[3].resource.identifier[0].value`. Frames live on the decoder's
// stack and point at their parent, so walking a document costs nothing until an
// issue is reported and the path is rendered.

#include <string>
#include <string_view>

namespace carebridge::issues {

class ElementPath {
public:
    // The root, e.g. ElementPath{"Bundle"}.
    explicit ElementPath(std::string_view root) : name_(root) {}

    // `parent.name`
    ElementPath child(std::string_view name) const { return ElementPath(this, name, -1); }
    // `parent[index]`
    ElementPath at(std::size_t index) const { return ElementPath(this, {}, static_cast<long>(index)); }

    std::string str() const;

private:
    ElementPath(const ElementPath* parent, std::string_view name, long index)
        : parent_(parent), name_(name), index_(index) {}
    void append_to(std::string& out) const;

    const ElementPath* parent_ = nullptr;
    std::string_view name_;
    long index_ = -1;
};

}  // namespace carebridge::issues
