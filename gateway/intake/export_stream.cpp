#include "intake/export_stream.hpp"

namespace carebridge::gateway::intake {

std::unique_ptr<ExportStream> ExportStream::open_file(const std::string& path, issues::IssueSink& issues) {
    return open_file(path, codec::StreamLimits{}, issues);
}

std::unique_ptr<ExportStream> ExportStream::open_file(const std::string& path, const codec::StreamLimits& limits,
                                                      issues::IssueSink& issues) {
    carenotes::ReaderOptions options;
    options.limits = limits;
    auto reader = carenotes::ExportReader::open_file(path, options, issues);
    if (!reader) return nullptr;
    return std::unique_ptr<ExportStream>(new ExportStream(std::move(reader)));
}

std::unique_ptr<ExportStream> ExportStream::open_memory(std::string_view xml, issues::IssueSink& issues) {
    auto reader = carenotes::ExportReader::open_memory(xml, carenotes::ReaderOptions{}, issues);
    if (!reader) return nullptr;
    return std::unique_ptr<ExportStream>(new ExportStream(std::move(reader)));
}

ExportStream::Step ExportStream::next(ExportClient& client) {
    client.record = model::PersonRecord{};
    client.payload.clear();
    client.issues = issues::IssueSink(64);
    client.ordinal = ordinal_;
    switch (reader_->next(client.record, client.issues)) {
        case carenotes::ExportReader::Step::end: return Step::end;
        case carenotes::ExportReader::Step::fatal: return Step::fatal;
        case carenotes::ExportReader::Step::rejected: ++ordinal_; return Step::rejected;
        case carenotes::ExportReader::Step::client: break;
    }
    ++ordinal_;
    // The client is kept as the export wrote it, alone, so it can be reprocessed without the whole file.
    issues::IssueSink encode_issues;
    client.payload = carenotes::encode_single(client.record, encode_issues, false);
    return Step::client;
}

}  // namespace carebridge::gateway::intake
