#include "translate_command.hpp"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <sys/stat.h>

#include "issues/operation_outcome.hpp"
#include "translation/translator.hpp"

namespace carebridge::cli {
namespace {

using translation::Format;

constexpr std::string_view help_text =
    R"(Usage: carebridge translate --from FORMAT --to FORMAT [--strict] [--compact] [--quiet] [FILE|-]

Translates one document (or a whole care-notes export) between the
partnership's three formats and writes the result to stdout:

  fhir       FHIR R4 JSON, UK Core: a Bundle (message, transaction, collection)
             or a single resource
  carenotes  the Trust EPR's care-notes XML export (many clients per file)
  referral   the partnership referral JSON ("schema": "partnership-referral/1")
  fhir-stu3  FHIR STU3 JSON (NHS e-Referral Service, CareConnect): a
             ReferralRequest or a Bundle holding one; read only (--from)

A care-notes export is read as a stream, client by client: to fhir or referral
it becomes one JSON document per client, one per line (NDJSON); to carenotes
it stays one export. Progress is shown on stderr for large files when stderr
is a terminal.

Data-quality issues (errors, and warnings for anything the target format
cannot carry) are written to stderr as a FHIR OperationOutcome, followed by
one line saying what happened.

Options:
  --from FORMAT   the input format (required)
  --to FORMAT     the output format (required)
  --strict        elements the mapper does not know are errors, not warnings
  --compact       write single JSON documents on one line
  --quiet         leave out the OperationOutcome when there are only warnings
  -h, --help      this text

Exit status: 0 translated (warnings allowed), 2 the input is invalid (nothing
or only part of it was translated), 1 usage or I/O error.

Example:
  carebridge translate --from fhir --to referral tests/golden/referral.fhir.json
)";

void print_line(std::FILE* stream, const std::string& line) { std::fprintf(stream, "%s\n", line.c_str()); }

int usage_error(const std::string& message) {
    print_line(stderr, "carebridge translate: " + message + " (see carebridge translate --help)");
    return exit_io_or_usage;
}

// Progress for people watching a terminal; never when stderr is a file or pipe.
class ProgressLine {
public:
    explicit ProgressLine(std::size_t total_bytes) : total_(total_bytes) {}
    void update(std::size_t bytes, std::size_t records) {
        const auto now = std::chrono::steady_clock::now();
        const bool done = shown_ && total_ > 0 && bytes >= total_;  // always show the last state once shown
        if (now - last_ < std::chrono::milliseconds(250) && !done) return;
        last_ = now;
        shown_ = true;
        const double mb = static_cast<double>(bytes) / 1e6;
        if (total_ > 0)
            std::fprintf(stderr, "\r%.1f of %.1f MB (%d%%), %zu clients   ", mb, static_cast<double>(total_) / 1e6,
                         static_cast<int>(100.0 * static_cast<double>(bytes) / static_cast<double>(total_)), records);
        else
            std::fprintf(stderr, "\r%.1f MB, %zu clients   ", mb, records);
    }
    void finish() {
        if (shown_) std::fputs("\n", stderr);
    }

private:
    std::size_t total_;
    std::chrono::steady_clock::time_point last_{};
    bool shown_ = false;
};

constexpr std::size_t progress_threshold_bytes = 16u << 20;  // small files finish before anyone looks

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

}  // namespace

std::string_view translate_help() { return help_text; }

int run_translate(std::span<const std::string_view> args) {
    std::optional<Format> from, to;
    translation::TranslateRequest request;
    bool quiet = false;
    std::string path = "-";
    bool have_path = false;

    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string_view arg = args[i];
        auto value = [&]() -> std::optional<std::string_view> {
            if (i + 1 >= args.size()) return std::nullopt;
            return args[++i];
        };
        if (arg == "-h" || arg == "--help") {
            std::fputs(help_text.data(), stdout);
            return exit_ok;
        } else if (arg == "--from" || arg == "--to") {
            auto v = value();
            if (!v) return usage_error(std::string(arg) + " needs a format: fhir, carenotes, referral or fhir-stu3");
            auto f = translation::parse_format(*v);
            if (!f) return usage_error("unknown format '" + std::string(*v) + "': use fhir, carenotes, referral or fhir-stu3");
            if (arg == "--to" && !translation::is_writable(*f)) {
                print_line(stderr, "carebridge translate: " + std::string(*v) +
                                       " is read, not written: translate to fhir (R4), carenotes or referral");
                return exit_invalid_input;
            }
            (arg == "--from" ? from : to) = f;
        } else if (arg == "--strict") {
            request.decode.strictness = codec::Strictness::strict;
        } else if (arg == "--compact") {
            request.pretty = false;
        } else if (arg == "--quiet") {
            quiet = true;
        } else if (arg.size() > 1 && arg.starts_with("-")) {
            return usage_error("unknown option '" + std::string(arg) + "'");
        } else {
            if (have_path) return usage_error("one input file at a time");
            path = std::string(arg);
            have_path = true;
        }
    }
    if (!from || !to) return usage_error("--from and --to are both required");
    request.from = *from;
    request.to = *to;

    std::size_t total_bytes = 0;
    struct stat st {};
    if (path != "-" && ::stat(path.c_str(), &st) == 0) total_bytes = static_cast<std::size_t>(st.st_size);
    const bool show_progress =
        request.from == Format::carenotes && ::isatty(STDERR_FILENO) && total_bytes >= progress_threshold_bytes;
    ProgressLine progress_line(total_bytes);
    translation::ProgressSink progress;
    if (show_progress) progress = [&](std::size_t bytes, std::size_t records) { progress_line.update(bytes, records); };

    bool write_failed = false;
    auto out = [&](std::string_view chunk) {
        if (std::fwrite(chunk.data(), 1, chunk.size(), stdout) != chunk.size()) write_failed = true;
    };

    issues::IssueSink sink;
    std::error_code io_error;
    const auto summary = translation::translate_file(request, path, out, sink, io_error, progress);
    progress_line.finish();
    if (std::fflush(stdout) != 0) write_failed = true;

    const std::string input_name = path == "-" ? "stdin" : path;
    if (io_error) {
        print_line(stderr, "carebridge translate: cannot read " + input_name + ": " + io_error.message());
        return exit_io_or_usage;
    }
    if (write_failed) {
        print_line(stderr, "carebridge translate: cannot write the output to stdout");
        return exit_io_or_usage;
    }
    const bool invalid = !summary.ok();
    if (!sink.empty() && (invalid || !quiet)) print_line(stderr, issues::to_operation_outcome_json(sink, true));

    std::string line = "carebridge translate: ";
    if (summary.ndjson || request.from == Format::carenotes) {
        line += plural(summary.translated, "client") + " translated";
        if (summary.rejected) line += ", " + std::to_string(summary.rejected) + " rejected";
        if (summary.fatal) line += ", the export could not be read to the end";
        line += "; " + issues::one_line_summary(sink);
    } else if (invalid) {
        line += input_name + " is not valid " + std::string(to_string(request.from)) + ": " +
                issues::one_line_summary(sink);
    } else {
        line += "translated " + std::string(to_string(request.from)) + " to " + std::string(to_string(request.to)) +
                " with " + plural(sink.count(issues::Severity::warning), "warning");
    }
    print_line(stderr, line);
    return invalid ? exit_invalid_input : exit_ok;
}

}  // namespace carebridge::cli
