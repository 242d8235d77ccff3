#include "issues/issue.hpp"

namespace carebridge::issues {

std::string_view to_string(Severity s) {
    switch (s) {
    case Severity::fatal: return "fatal";
    case Severity::error: return "error";
    case Severity::warning: return "warning";
    case Severity::information: return "information";
    }
    return "error";
}

std::string_view to_string(IssueType t) {
    switch (t) {
    case IssueType::structure: return "structure";
    case IssueType::required: return "required";
    case IssueType::value: return "value";
    case IssueType::invariant: return "invariant";
    case IssueType::security: return "security";
    case IssueType::too_long: return "too-long";
    case IssueType::not_supported: return "not-supported";
    case IssueType::not_found: return "not-found";
    case IssueType::informational: return "informational";
    case IssueType::processing: return "processing";
    }
    return "processing";
}

void IssueSink::add(Severity severity, IssueType type, std::string path, std::string message) {
    ++counts_[static_cast<std::size_t>(severity)];
    if (issues_.size() >= cap_) {
        ++omitted_;
        return;
    }
    issues_.push_back(Issue{severity, type, std::move(path), std::move(message)});
}

void IssueSink::append(IssueSink&& other) {
    for (std::size_t i = 0; i < 4; ++i) counts_[i] += other.counts_[i];
    for (auto& issue : other.issues_) {
        if (issues_.size() >= cap_) {
            ++omitted_;
            continue;
        }
        issues_.push_back(std::move(issue));
    }
    omitted_ += other.omitted_;
    other.clear();
}

void IssueSink::clear() {
    issues_.clear();
    for (auto& c : counts_) c = 0;
    omitted_ = 0;
}

}  // namespace carebridge::issues
