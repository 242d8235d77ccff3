// ExportWriter and encode_single (see carenotes_codec.hpp). xmlTextWriter over
// an xmlOutputBuffer whose write callback hands each filled buffer (about 4 KB)
// to the caller's Sink, so a large export streams out as it is written.

#include <libxml/xmlwriter.h>

#include "carenotes/carenotes_codec.hpp"
#include "carenotes/client_encoder.hpp"
#include "carenotes/export_format.hpp"
#include "model/validate.hpp"

namespace carebridge::carenotes {

struct ExportWriter::State {
    Sink out;
    xmlTextWriterPtr writer = nullptr;

    static int write_chunk(void* context, const char* data, int length) {
        static_cast<State*>(context)->out(std::string_view(data, static_cast<std::size_t>(length)));
        return length;
    }
    static int close_output(void*) { return 0; }
};

ExportWriter::ExportWriter(Sink out, Options options) : state_(std::make_unique<State>()) {
    state_->out = std::move(out);
    xmlOutputBufferPtr buffer = xmlOutputBufferCreateIO(&State::write_chunk, &State::close_output, state_.get(), nullptr);
    if (!buffer) return;
    state_->writer = xmlNewTextWriter(buffer);  // owns the buffer from here on
    if (!state_->writer) {
        xmlOutputBufferClose(buffer);
        return;
    }
    xmlTextWriterPtr w = state_->writer;
    if (options.pretty) {
        xmlTextWriterSetIndent(w, 1);
        xmlTextWriterSetIndentString(w, BAD_CAST "  ");
    }
    xmlTextWriterStartDocument(w, "1.0", "UTF-8", nullptr);
    xmlTextWriterStartElementNS(w, nullptr, BAD_CAST export_root, BAD_CAST export_namespace);
    xmlTextWriterWriteAttribute(w, BAD_CAST "schemaVersion", BAD_CAST export_schema_version);
    // An exported_at the XSD would refuse is left out rather than spoil the file.
    if (!options.exported_at.empty() && model::is_valid_instant(options.exported_at))
        xmlTextWriterWriteAttribute(w, BAD_CAST "exportedAt", BAD_CAST options.exported_at.c_str());
}

ExportWriter::~ExportWriter() {
    // Without finish() the output stops where it was: an unfinished export must
    // not look complete.
    if (state_ && state_->writer) xmlFreeTextWriter(state_->writer);
}

void ExportWriter::write(const model::PersonRecord& record, issues::IssueSink& sink) {
    if (!state_->writer) {
        sink.fatal(issues::IssueType::processing, "", "the care-notes writer could not be started");
        return;
    }
    encode_client(state_->writer, record, sink);
}

void ExportWriter::finish() {
    if (!state_->writer) return;
    xmlTextWriterEndDocument(state_->writer);  // closes the root and any open element
    xmlFreeTextWriter(state_->writer);         // flushes the last chunk to the Sink
    state_->writer = nullptr;
}

std::string encode_single(const model::PersonRecord& record, issues::IssueSink& sink, bool pretty) {
    std::string out;
    ExportWriter::Options options;
    options.pretty = pretty;
    ExportWriter writer([&out](std::string_view chunk) { out.append(chunk); }, options);
    writer.write(record, sink);
    writer.finish();
    return out;
}

}  // namespace carebridge::carenotes
