#pragma once
// Any-to-any translation: source format → canonical records → target format.
// The command line and the gateway's /translate endpoint both call this, so
// the rules (one output document per record, NDJSON for many JSON documents,
// one export for care-notes) are written once.

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "issues/issue.hpp"
#include "model/record.hpp"
#include "model/source_paths.hpp"
#include "translation/format.hpp"
#include "codec/options.hpp"

namespace carebridge::translation {

// One document → record. A care-notes document must hold exactly one client
// here; use translate_text or translate_file for exports. When `source_paths`
// is given it is filled with where the record's parts stand in the document.
std::optional<model::PersonRecord> decode_document(Format from, std::string_view text, const codec::DecodeOptions& options,
                                                   issues::IssueSink& sink,
                                                   model::SourcePaths* source_paths = nullptr);

// Record → one document in `to`. Empty with an error in the sink when the
// record cannot be written (e.g. no referral for the partnership format).
// With `source_paths`, what `to` cannot carry is reported at its source path.
std::string encode_document(Format to, const model::PersonRecord& record, bool pretty, issues::IssueSink& sink,
                            const model::SourcePaths* source_paths = nullptr);

struct TranslateRequest {
    Format from = Format::fhir;
    Format to = Format::referral;
    codec::DecodeOptions decode;
    codec::StreamLimits stream_limits;  // for care-notes exports
    bool pretty = true;          // for a single JSON document; NDJSON lines are always compact
};

struct TranslateSummary {
    std::size_t translated = 0;  // records written to the output
    std::size_t rejected = 0;    // records (clients) dropped for errors; their issues are in the sink
    bool fatal = false;          // the input could not be read to the end
    bool ndjson = false;         // several JSON documents were written, one per line
    bool ok() const { return !fatal && rejected == 0 && translated > 0; }
};

using OutputSink = std::function<void(std::string_view chunk)>;
// Called now and then while a large export is read: bytes consumed, records so far.
using ProgressSink = std::function<void(std::size_t bytes_read, std::size_t records)>;

// Translates an in-memory document.
TranslateSummary translate_text(const TranslateRequest& request, std::string_view text, const OutputSink& out,
                                issues::IssueSink& sink);

// Translates a file ("-" for stdin). A care-notes export is streamed client by
// client in constant memory; a JSON document is read whole, within
// request.decode.limits.max_document_bytes. A file that cannot be opened or
// read sets `io_error` (the I/O channel) and leaves the issue sink alone.
TranslateSummary translate_file(const TranslateRequest& request, const std::string& path, const OutputSink& out,
                                issues::IssueSink& sink, std::error_code& io_error,
                                const ProgressSink& progress = {});

}  // namespace carebridge::translation
