#pragma once
// The data-quality channel. What is wrong with the *content* of a document goes
// here, with its element path; I/O failures (std::error_code) and programming
// errors never do. A sink renders as a FHIR OperationOutcome.

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "issues/element_path.hpp"

namespace carebridge::issues {

// fatal: the document cannot be read at all (not JSON, over a limit, XXE).
// error: the document was read but a value breaks a rule; the result is not used.
// warning: the result is usable but something was not carried or looks wrong.
enum class Severity { fatal, error, warning, information };

// FHIR IssueType codes (http://hl7.org/fhir/issue-type) used by the mappers.
enum class IssueType {
    structure,      // not well formed, wrong JSON/XML type
    required,       // a required element is missing
    value,          // a value breaks its rules (NHS number, date, code)
    invariant,      // a rule across elements is broken
    security,       // DOCTYPE, external entity, entity expansion
    too_long,       // over a size, depth or length limit
    not_supported,  // an element or resource the mapper does not know (strict mode)
    not_found,      // a reference that does not resolve, or no referral in the document
    informational,  // an element the target format cannot carry
    processing,     // anything else
};

std::string_view to_string(Severity s);
std::string_view to_string(IssueType t);

struct Issue {
    Severity severity = Severity::error;
    IssueType type = IssueType::processing;
    std::string path;  // element path in the source, empty when about the whole document
    std::string message;
};

// Collects issues in the order they were found. Bounded so a hostile document
// with a million bad elements cannot exhaust memory: past the cap only the
// counts grow and one closing issue says how many were left out.
class IssueSink {
public:
    static constexpr std::size_t default_cap = 1000;
    explicit IssueSink(std::size_t cap = default_cap) : cap_(cap) {}

    void add(Severity severity, IssueType type, std::string path, std::string message);
    void fatal(IssueType type, std::string path, std::string message) {
        add(Severity::fatal, type, std::move(path), std::move(message));
    }
    void error(IssueType type, std::string path, std::string message) {
        add(Severity::error, type, std::move(path), std::move(message));
    }
    void warning(IssueType type, std::string path, std::string message) {
        add(Severity::warning, type, std::move(path), std::move(message));
    }
    // Moves another sink's issues in (e.g. one care-notes client's into the export's).
    void append(IssueSink&& other);

    const std::vector<Issue>& issues() const { return issues_; }
    std::size_t count(Severity s) const { return counts_[static_cast<std::size_t>(s)]; }
    // True when anything fatal or error was reported: the result must not be used.
    bool failed() const { return count(Severity::fatal) + count(Severity::error) > 0; }
    std::size_t omitted() const { return omitted_; }
    bool empty() const { return issues_.empty() && omitted_ == 0; }
    void clear();

private:
    std::size_t cap_;
    std::vector<Issue> issues_;
    std::size_t counts_[4] = {0, 0, 0, 0};
    std::size_t omitted_ = 0;
};

}  // namespace carebridge::issues
