#include "translation/translator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "carenotes/carenotes_codec.hpp"
#include "fhir/fhir_codec.hpp"
#include "fhir_stu3/stu3_codec.hpp"
#include "referral_json/referral_codec.hpp"

namespace carebridge::translation {
namespace {

using issues::IssueSink;
using issues::IssueType;

// Moves a record's issues into the caller's sink, naming the record when the
// issue's path is not already a path in the source document (an encoder's
// issue about the canonical record, e.g. a value too long for the target).
void merge_issues(IssueSink& from, IssueSink& into, const std::string& record_path) {
    if (record_path.empty() || from.empty()) {
        into.append(std::move(from));
        return;
    }
    IssueSink named(from.issues().size() + 1);
    for (const auto& issue : from.issues()) {
        std::string path = issue.path.empty()                    ? record_path
                           : issue.path.starts_with(record_path) ? issue.path  // already a source path
                                                                 : record_path + " → " + issue.path;
        named.add(issue.severity, issue.type, std::move(path), issue.message);
    }
    into.append(std::move(named));
    from.clear();
}

// Where the parts of export client `index` stand: its elements in document order.
void carenotes_source_paths(const model::PersonRecord& record, std::size_t index, model::SourcePaths& paths) {
    const std::string client = "CareNotesExport.Client[" + std::to_string(index) + "]";
    auto fill = [&](std::vector<std::string>& list, std::size_t count, const char* element) {
        list.clear();
        for (std::size_t i = 0; i < count; ++i)
            list.push_back(client + "." + element + "[" + std::to_string(i) + "]");
    };
    fill(paths.referrals, record.referrals.size(), "Referral");
    fill(paths.care_plans, record.care_plans.size(), "CarePlan");
    fill(paths.contacts, record.contacts.size(), "Contact");
    fill(paths.admissions, record.admissions.size(), "Admission");
}

// Streams a care-notes export into `to`: one export for care-notes, one
// NDJSON line per client for the JSON formats.
TranslateSummary translate_export(const TranslateRequest& request, carenotes::ExportReader& reader,
                                  const OutputSink& out, IssueSink& sink, const ProgressSink& progress) {
    TranslateSummary summary;
    summary.ndjson = request.to != Format::carenotes;
    std::optional<carenotes::ExportWriter> writer;
    if (request.to == Format::carenotes) writer.emplace(out, carenotes::ExportWriter::Options{request.pretty, ""});

    model::PersonRecord record;
    model::SourcePaths source_paths;
    IssueSink client_issues;
    std::size_t client_index = 0;
    for (;;) {
        const auto step = reader.next(record, client_issues);
        if (step == carenotes::ExportReader::Step::end) break;
        if (step == carenotes::ExportReader::Step::fatal) {
            summary.fatal = true;
            sink.append(std::move(client_issues));
            break;
        }
        const std::size_t this_client = client_index++;
        const std::string client_path = "CareNotesExport.Client[" + std::to_string(this_client) + "]";
        if (step == carenotes::ExportReader::Step::rejected) {
            ++summary.rejected;
            sink.append(std::move(client_issues));
            continue;
        }
        sink.append(std::move(client_issues));
        IssueSink encode_issues;
        if (writer) {
            writer->write(record, encode_issues);
        } else {
            carenotes_source_paths(record, this_client, source_paths);
            std::string doc = encode_document(request.to, record, /*pretty=*/false, encode_issues, &source_paths);
            if (!doc.empty() && !encode_issues.failed()) {
                doc += '\n';
                out(doc);
            }
        }
        if (encode_issues.failed())
            ++summary.rejected;
        else
            ++summary.translated;
        merge_issues(encode_issues, sink, client_path);
        if (progress && client_index % 1024 == 0) progress(reader.bytes_read(), client_index);
    }
    if (writer) writer->finish();
    if (progress) progress(reader.bytes_read(), client_index);
    return summary;
}

TranslateSummary translate_single(const TranslateRequest& request, std::string_view text, const OutputSink& out,
                                  IssueSink& sink) {
    TranslateSummary summary;
    model::SourcePaths source_paths;
    auto record = decode_document(request.from, text, request.decode, sink, &source_paths);
    if (!record) {
        summary.rejected = 1;
        return summary;
    }
    IssueSink encode_issues;
    std::string doc = encode_document(request.to, *record, request.pretty, encode_issues, &source_paths);
    const bool failed = encode_issues.failed() || doc.empty();
    sink.append(std::move(encode_issues));
    if (failed) {
        summary.rejected = 1;
        return summary;
    }
    if (request.to != Format::carenotes && doc.back() != '\n') doc += '\n';
    out(doc);
    summary.translated = 1;
    return summary;
}

carenotes::ReaderOptions reader_options(const TranslateRequest& request) {
    carenotes::ReaderOptions options;
    options.strictness = request.decode.strictness;
    options.limits = request.stream_limits;
    return options;
}

// Reads a whole file within `limit` bytes; one byte more tells it is too big.
std::string read_bounded(int fd, std::size_t limit, std::error_code& ec) {
    std::string data;
    char buffer[1 << 16];
    for (;;) {
        const ssize_t n = ::read(fd, buffer, sizeof buffer);
        if (n < 0) {
            if (errno == EINTR) continue;
            ec = std::error_code(errno, std::generic_category());
            return {};
        }
        if (n == 0) break;
        data.append(buffer, static_cast<std::size_t>(n));
        if (data.size() > limit) break;
    }
    return data;
}

}  // namespace

std::optional<model::PersonRecord> decode_document(Format from, std::string_view text, const codec::DecodeOptions& options,
                                                   IssueSink& sink, model::SourcePaths* source_paths) {
    if (source_paths) source_paths->clear();
    switch (from) {
    case Format::fhir: return fhir::decode(text, options, fhir::default_partnership_base, sink, source_paths);
    case Format::fhir_stu3: return fhir_stu3::decode(text, options, sink, source_paths);
    case Format::referral: return referral_json::decode(text, options, sink);
    case Format::carenotes: {
        carenotes::ReaderOptions reader_opts;
        reader_opts.strictness = options.strictness;
        auto reader = carenotes::ExportReader::open_memory(text, reader_opts, sink);
        if (!reader) return std::nullopt;
        model::PersonRecord record;
        const auto step = reader->next(record, sink);
        if (step == carenotes::ExportReader::Step::end) {
            sink.error(IssueType::required, "CareNotesExport", "the export holds no client");
            return std::nullopt;
        }
        if (step != carenotes::ExportReader::Step::client) return std::nullopt;
        model::PersonRecord extra;
        IssueSink ignored;
        if (reader->next(extra, ignored) != carenotes::ExportReader::Step::end) {
            sink.error(IssueType::invariant, "CareNotesExport.Client[1]",
                       "one client was expected here; translate a whole export with translate_file");
            return std::nullopt;
        }
        if (source_paths) carenotes_source_paths(record, 0, *source_paths);
        return record;
    }
    }
    return std::nullopt;
}

std::string encode_document(Format to, const model::PersonRecord& record, bool pretty, IssueSink& sink,
                            const model::SourcePaths* source_paths) {
    switch (to) {
    case Format::fhir: return fhir::encode(record, fhir::EncodeOptions{.pretty = pretty}, sink);
    case Format::referral:
        return referral_json::encode(record, referral_json::EncodeOptions{.pretty = pretty, .source_paths = source_paths},
                                     sink);
    case Format::carenotes: return carenotes::encode_single(record, sink, pretty);
    case Format::fhir_stu3:
        sink.error(IssueType::not_supported, "", "FHIR STU3 is read, not written: translate to fhir (R4) instead");
        return {};
    }
    return {};
}

TranslateSummary translate_text(const TranslateRequest& request, std::string_view text, const OutputSink& out,
                                IssueSink& sink) {
    if (request.from != Format::carenotes) return translate_single(request, text, out, sink);
    auto reader = carenotes::ExportReader::open_memory(text, reader_options(request), sink);
    if (!reader) return TranslateSummary{.fatal = true};
    return translate_export(request, *reader, out, sink, {});
}

TranslateSummary translate_file(const TranslateRequest& request, const std::string& path, const OutputSink& out,
                                IssueSink& sink, std::error_code& io_error, const ProgressSink& progress) {
    const bool from_stdin = path == "-";
    const int fd = from_stdin ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        io_error = std::error_code(errno, std::generic_category());
        return TranslateSummary{.fatal = true};
    }
    if (request.from == Format::carenotes) {
        if (!from_stdin) ::close(fd);  // the reader opens the file itself; this checked it can be read
        auto reader = carenotes::ExportReader::open_file(path, reader_options(request), sink);
        if (!reader) return TranslateSummary{.fatal = true};
        return translate_export(request, *reader, out, sink, progress);
    }
    const std::size_t limit = request.decode.limits.max_document_bytes;
    std::string text = read_bounded(fd, limit, io_error);
    if (!from_stdin) ::close(fd);
    if (io_error) return TranslateSummary{.fatal = true};
    if (text.size() > limit) {
        sink.fatal(IssueType::too_long, "", "document is over the limit of " + std::to_string(limit) + " bytes");
        return TranslateSummary{.rejected = 1};
    }
    return translate_single(request, text, out, sink);
}

}  // namespace carebridge::translation
