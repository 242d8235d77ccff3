#pragma once
// The Trust EPR's care-notes XML export ↔ the canonical record.
//
// An export is one <CareNotesExport> with many <Client> elements; each client is
// one PersonRecord. ExportReader streams it with libxml2's xmlTextReader,
// validating against schemas/carenotes-export-1.xsd as it reads, so memory
// stays flat however large the file. DOCTYPEs, entities and network access are
// refused. ExportWriter writes the same format client by client.

#include <cstdio>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "issues/issue.hpp"
#include "model/record.hpp"
#include "codec/options.hpp"

namespace carebridge::carenotes {

struct ReaderOptions {
    codec::Strictness strictness = codec::Strictness::lenient;
    codec::StreamLimits limits;
    std::string xsd_path;  // empty: the XSD compiled into the binary
};

class ExportReader {
public:
    enum class Step {
        client,    // `record` holds the next client; its issues (warnings) are in the sink
        rejected,  // the next client broke a rule; its issues are in the sink, reading goes on
        end,       // the export ended cleanly
        fatal,     // the export cannot be read further (not XML, XXE, over a limit)
    };

    // Reads from a file path ("-" for stdin) or from memory. nullptr with a
    // fatal issue in the sink when it cannot be opened.
    static std::unique_ptr<ExportReader> open_file(const std::string& path, const ReaderOptions& options,
                                                   issues::IssueSink& sink);
    static std::unique_ptr<ExportReader> open_memory(std::string_view xml, const ReaderOptions& options,
                                                     issues::IssueSink& sink);
    virtual ~ExportReader() = default;

    // Issues of this client go to `sink` with paths like
    // `CareNotesExport.Client[12].Referral[0].Priority`.
    virtual Step next(model::PersonRecord& record, issues::IssueSink& sink) = 0;

    // Bytes consumed so far, for progress on large files.
    virtual std::size_t bytes_read() const = 0;
};

// Writes an export: header on construction, one <Client> per write(), footer on
// finish(). Output goes to `out` in chunks as it is produced.
class ExportWriter {
public:
    using Sink = std::function<void(std::string_view chunk)>;
    struct Options {
        bool pretty = true;
        std::string exported_at;  // instant written on the root; empty: omitted
    };
    ExportWriter(Sink out, Options options);
    ~ExportWriter();
    ExportWriter(const ExportWriter&) = delete;
    ExportWriter& operator=(const ExportWriter&) = delete;

    // Elements of the record the care-notes format cannot hold are reported to `sink`.
    void write(const model::PersonRecord& record, issues::IssueSink& sink);
    void finish();

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Convenience for one-record documents (tests, the /translate endpoint).
std::string encode_single(const model::PersonRecord& record, issues::IssueSink& sink, bool pretty = true);

// Reads an export that must hold exactly one client (tests, the /translate
// endpoint). nullopt when it is unreadable, the client is rejected, or the
// export holds no client or more than one; the reasons are in `sink`.
std::optional<model::PersonRecord> decode_single(std::string_view xml, const ReaderOptions& options,
                                                 issues::IssueSink& sink);

}  // namespace carebridge::carenotes
