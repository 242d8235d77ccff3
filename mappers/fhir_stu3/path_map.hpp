#pragma once
// Where each part of the rewritten R4 document came from in the STU3 input,
// so an issue the R4 decoder reports at `Bundle.entry[0].resource.performer[1]`
// is told to the sender at `ReferralRequest.recipient[1]`.

#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace carebridge::fhir_stu3 {

class PathMap {
public:
    // Everything under `r4` came from under `stu3`, unless a longer entry says otherwise.
    void add(std::string r4, std::string stu3) { map_.insert_or_assign(std::move(r4), std::move(stu3)); }
    // The STU3 path of an R4 element path: its longest mapped prefix replaced.
    // A path with no mapped prefix (empty: the whole document) is returned as is.
    std::string to_stu3(std::string_view r4_path) const;

private:
    std::map<std::string, std::string, std::less<>> map_;
};

}  // namespace carebridge::fhir_stu3
