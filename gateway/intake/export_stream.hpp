#pragma once
// Decode for a care-notes export: the file read client by client, each client
// one canonical record, so memory stays flat however many clients it holds.

#include <cstddef>
#include <memory>
#include <string>

#include "carenotes/carenotes_codec.hpp"
#include "codec/options.hpp"
#include "issues/issue.hpp"
#include "model/record.hpp"

namespace carebridge::gateway::intake {

// One client as read from the export.
struct ExportClient {
    std::size_t ordinal = 0;  // its place in the export, from 0 (Client[n] in issue paths)
    model::PersonRecord record;
    std::string payload;  // this client alone in the care-notes format: what is kept as its original
    issues::IssueSink issues{64};  // this client's; bounded so one bad client cannot fill memory
};

class ExportStream {
public:
    enum class Step {
        client,    // `client` holds the next client, its warnings in client.issues
        rejected,  // the next client broke a rule (client.issues says which); reading goes on
        end,       // the export ended cleanly; no client was read
        fatal,     // the export cannot be read further (client.issues says why); stop
    };

    // nullptr with a fatal issue in `issues` when the file cannot be opened or is not an export.
    static std::unique_ptr<ExportStream> open_file(const std::string& path, issues::IssueSink& issues);
    static std::unique_ptr<ExportStream> open_file(const std::string& path, const codec::StreamLimits& limits,
                                                   issues::IssueSink& issues);
    // `xml` is read in place and must outlive the stream.
    static std::unique_ptr<ExportStream> open_memory(std::string_view xml, issues::IssueSink& issues);

    // Reads the next client into `client` (overwritten whatever the step).
    Step next(ExportClient& client);

private:
    explicit ExportStream(std::unique_ptr<carenotes::ExportReader> reader) : reader_(std::move(reader)) {}
    std::unique_ptr<carenotes::ExportReader> reader_;
    std::size_t ordinal_ = 0;
};

}  // namespace carebridge::gateway::intake
