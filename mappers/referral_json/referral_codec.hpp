#pragma once
// The partnership referral JSON (`"schema": "partnership-referral/1"`) ↔ the
// canonical record. One document is one referral with its person and care plan;
// it is validated against schemas/partnership-referral-1.schema.json with
// RapidJSON's schema validator before it is decoded.

#include <optional>
#include <string>
#include <string_view>

#include "issues/issue.hpp"
#include "model/record.hpp"
#include "model/source_paths.hpp"
#include "codec/options.hpp"

namespace carebridge::referral_json {

inline constexpr std::string_view schema_id = "partnership-referral/1";

std::optional<model::PersonRecord> decode(std::string_view json, const codec::DecodeOptions& options,
                                          issues::IssueSink& sink);

struct EncodeOptions {
    bool pretty = false;
    // Where the record's parts came from; when given, each part this format
    // cannot carry is reported at its own source path instead of once per kind.
    const model::SourcePaths* source_paths = nullptr;
};

// Writes the record's first referral and first care plan; anything else in the
// record (more referrals, contacts, admissions) is reported as not carried.
// A record without a referral is an error (not-found) and yields "".
std::string encode(const model::PersonRecord& record, const EncodeOptions& options, issues::IssueSink& sink);

}  // namespace carebridge::referral_json
