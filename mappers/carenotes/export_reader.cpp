// ExportReader: streams a care-notes export client by client (see carenotes_codec.hpp).
//
// How a client is read: the xmlTextReader stops on each <Client> start tag,
// xmlTextReaderExpand parses that one subtree into a small DOM, the DOM is
// checked against the limits and validated with xmlSchemaValidateOneElement
// (tree mode, so every XSD error names its node and gets an exact path — the
// SAX-plugged validator of xmlTextReaderSetSchema reports no node), mapped,
// and the next call's xmlTextReaderNext lets libxml2 free it. Memory is one
// client's DOM however long the file.
//
// Security: the bytes reach libxml2 through our read callback, which scans
// the prolog and refuses a DOCTYPE before the parser sees it, so no DTD,
// entity declaration or external reference is ever parsed; and screens every
// byte (codec/xml_screen.hpp) so that depth, attributes per element, name,
// value and text sizes and elements per client are capped before libxml2
// spends anything on them. The parser runs
// without NOENT/DTDLOAD/DTDATTR/HUGE and with NONET.

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <libxml/xmlreader.h>
#include <libxml/xmlschemas.h>

#include "carenotes/carenotes_codec.hpp"
#include "carenotes/client_decoder.hpp"
#include "carenotes/export_format.hpp"
#include "carenotes/node_path.hpp"
#include "codec/embedded_schemas.hpp"
#include "codec/xml_screen.hpp"

namespace carebridge::carenotes {
namespace {

using issues::IssueSink;
using issues::IssueType;
using issues::Severity;

// The parser reads ahead of the client being expanded by at most one input
// buffer fill; the in-flight size guard allows for it.
constexpr std::size_t read_ahead_slack = 16 * 1024;

std::string clean_message(const char* raw);

// Finds the root start tag in the prolog and refuses a DOCTYPE on the way.
// Works on the raw bytes, so it only understands ASCII-compatible encodings;
// UTF-16/32 inputs are refused before they reach the parser.
class PrologScanner {
public:
    enum class Verdict { scanning, root_found, doctype, unsupported_encoding };

    Verdict feed(const char* data, std::size_t n) {
        for (std::size_t i = 0; i < n && verdict_ == Verdict::scanning; ++i) step(static_cast<unsigned char>(data[i]));
        return verdict_;
    }
    Verdict verdict() const { return verdict_; }

private:
    enum class State { start, text, lt, bang, comment, pi };

    void step(unsigned char c) {
        if (offset_++ < 4 && (c == 0x00 || c == 0xFE || c == 0xFF)) {
            verdict_ = Verdict::unsupported_encoding;  // UTF-16/32 byte order mark or NUL bytes
            return;
        }
        switch (state_) {
        case State::start:
        case State::text:
            if (c == '<') state_ = State::lt;
            break;
        case State::lt:
            if (c == '?') {
                state_ = State::pi;
            } else if (c == '!') {
                state_ = State::bang;
                bang_length_ = 0;
            } else {
                verdict_ = Verdict::root_found;
            }
            break;
        case State::bang: {
            static constexpr char doctype[] = "DOCTYPE";
            if (bang_length_ < 2 && c == '-') {
                if (++bang_length_ == 2) {
                    state_ = State::comment;
                    tail_ = 0;
                }
                break;
            }
            if (bang_length_ < 7 && c == static_cast<unsigned char>(doctype[bang_length_])) {
                if (++bang_length_ == 7) verdict_ = Verdict::doctype;
                break;
            }
            verdict_ = Verdict::root_found;  // not well-formed: the parser will say so
            break;
        }
        case State::comment:
            if (c == '>' && tail_ == ('-' << 8 | '-')) state_ = State::text;
            tail_ = (tail_ << 8 | c) & 0xFFFF;
            break;
        case State::pi:
            if (c == '>' && (tail_ & 0xFF) == '?') state_ = State::text;
            tail_ = (tail_ << 8 | c) & 0xFFFF;
            break;
        }
    }

    State state_ = State::start;
    Verdict verdict_ = Verdict::scanning;
    std::size_t offset_ = 0;
    int bang_length_ = 0;
    unsigned tail_ = 0;
};

// What the screen checks on the raw bytes: what costs libxml2 more than the
// bytes themselves (attributes per element, long names) and the elements of
// one client. Depth, value and text sizes cost no more than their bytes; they
// are checked on each client's tree (within_limits), where the path is exact,
// so the screen only keeps them within one client's bytes.
codec::XmlScreenLimits screen_limits(const codec::StreamLimits& limits) {
    codec::XmlScreenLimits screen;
    screen.max_depth = static_cast<std::size_t>(-1);
    screen.max_attributes_per_element = limits.max_attributes_per_element;
    screen.max_name_bytes = limits.max_name_bytes;
    screen.max_attribute_bytes = static_cast<std::size_t>(-1);  // within max_client_bytes (read_into)
    screen.max_text_bytes = static_cast<std::size_t>(-1);
    screen.max_elements = limits.max_client_elements;
    screen.counted_subtree_depth = 2;  // the root's children: each <Client>
    screen.subtree_name = "one client";
    return screen;
}

struct ParseError {
    int code = 0;
    int line = 0;
    std::string message;
};

// Compiles an XSD; nullptr with the first libxml2 message in `error` when it does not compile.
std::shared_ptr<xmlSchema> compile_schema(std::string_view xsd, std::string& error) {
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewMemParserCtxt(xsd.data(), static_cast<int>(xsd.size()));
    if (!parser) {
        error = "cannot create the XSD parser";
        return nullptr;
    }
    xmlSchemaSetParserStructuredErrors(
        parser,
        [](void* ctx, xmlErrorPtr e) {
            auto* first = static_cast<std::string*>(ctx);
            if (first->empty() && e && e->message) *first = clean_message(e->message);
        },
        &error);
    xmlSchemaPtr schema = xmlSchemaParse(parser);
    xmlSchemaFreeParserCtxt(parser);
    if (!schema) {
        if (error.empty()) error = "unknown error";
        return nullptr;
    }
    return std::shared_ptr<xmlSchema>(schema, xmlSchemaFree);
}

class StreamingExportReader final : public ExportReader {
public:
    StreamingExportReader(const ReaderOptions& options) : options_(options), screen_(screen_limits(options.limits)) {}

    ~StreamingExportReader() override {
        if (reader_) xmlFreeTextReader(reader_);
        if (valid_) xmlSchemaFreeValidCtxt(valid_);
        if (owns_fd_ && fd_ >= 0) ::close(fd_);
    }

    bool open_memory(std::string_view xml, IssueSink& sink) {
        memory_ = xml;
        return start(sink);
    }

    bool open_file(const std::string& path, IssueSink& sink) {
        if (path == "-") {
            fd_ = STDIN_FILENO;
        } else {
            fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (fd_ < 0) {
                sink.fatal(IssueType::processing, "", "cannot open the export: " + std::string(std::strerror(errno)));
                return false;
            }
            owns_fd_ = true;
        }
        from_fd_ = true;
        return start(sink);
    }

    Step next(model::PersonRecord& record, IssueSink& sink) override {
        record = model::PersonRecord{};
        if (finished_) return finished_step_;
        drain_warnings(sink);
        int ret = 0;
        if (skip_pending_) {
            // Moving past the client frees its subtree; done here rather than at
            // the end of the previous call so that parse errors in what follows
            // are not charged to the client already returned.
            skip_pending_ = false;
            ret = xmlTextReaderNext(reader_);
        } else {
            ret = xmlTextReaderRead(reader_);
        }
        for (;; ret = xmlTextReaderRead(reader_)) {
            drain_warnings(sink);
            if (ret < 0 || stopped()) return fail(sink, "");
            if (ret == 0) {
                if (!root_closed_) {
                    sink.fatal(IssueType::structure, "", "the export ended before </CareNotesExport>");
                    return finish(Step::fatal);
                }
                return finish(Step::end);
            }
            const int type = xmlTextReaderNodeType(reader_);
            const int depth = xmlTextReaderDepth(reader_);
            switch (type) {
            case XML_READER_TYPE_DOCUMENT_TYPE:
                sink.fatal(IssueType::security, "", "DOCTYPE is not allowed in a care-notes export");
                return finish(Step::fatal);
            case XML_READER_TYPE_ENTITY_REFERENCE:
            case XML_READER_TYPE_ENTITY:
                sink.fatal(IssueType::security, "", "entity references are not allowed in a care-notes export");
                return finish(Step::fatal);
            case XML_READER_TYPE_ELEMENT:
                if (!root_seen_) {
                    if (!check_root(sink)) return finish(Step::fatal);
                    continue;
                }
                if (depth == 1 && is_ours(xmlTextReaderCurrentNode(reader_), export_client))
                    return read_client(record, sink);
                sink.fatal(IssueType::structure,
                           std::string(export_root) + "." + reinterpret_cast<const char*>(xmlTextReaderConstName(reader_)),
                           line_prefix(xmlTextReaderGetParserLineNumber(reader_)) +
                               "only Client elements may appear in CareNotesExport");
                return finish(Step::fatal);
            case XML_READER_TYPE_END_ELEMENT:
                if (depth == 0) root_closed_ = true;
                continue;
            case XML_READER_TYPE_TEXT:
            case XML_READER_TYPE_CDATA:
                if (!is_blank(xmlTextReaderConstValue(reader_))) {
                    sink.fatal(IssueType::structure, export_root,
                               line_prefix(xmlTextReaderGetParserLineNumber(reader_)) +
                                   "text is not allowed between clients");
                    return finish(Step::fatal);
                }
                continue;
            default:
                continue;  // comments, processing instructions, whitespace
            }
        }
    }

    std::size_t bytes_read() const override { return delivered_; }

private:
    bool start(IssueSink& sink) {
        if (!load_schema(sink)) return false;
        // No NOENT (entities stay unexpanded), no DTDLOAD/DTDATTR (no external
        // subset, no defaulted attributes), no HUGE (libxml2's own size and
        // depth caps stay on), NONET (never fetch anything).
        // Exports are UTF-8 (the format says so): the declared encoding is
        // ignored, so no charset converter runs — its errors bypass the
        // reader's error handler and would print input bytes on stderr — and
        // bytes that are not UTF-8 are an ordinary parse error.
        const int parse_options = XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOCDATA | XML_PARSE_COMPACT |
                                  XML_PARSE_BIG_LINES | XML_PARSE_IGNORE_ENC;
        reader_ = xmlReaderForIO(&StreamingExportReader::read_callback, &StreamingExportReader::close_callback, this,
                                 nullptr, "UTF-8", parse_options);
        if (!reader_) {
            sink.fatal(IssueType::processing, "", "cannot start the XML reader");
            return false;
        }
        xmlTextReaderSetStructuredErrorHandler(reader_, &StreamingExportReader::on_parse_error, this);
        return true;
    }

    // The XSD is compiled once per thread and shared by that thread's readers:
    // compiling takes longer than reading a one-client document. A compiled
    // schema is only read while validating; each reader has its own
    // validation context. An XSD named in the options is compiled per reader.
    bool load_schema(IssueSink& sink) {
        if (options_.xsd_path.empty()) {
            thread_local std::shared_ptr<xmlSchema> embedded;
            thread_local std::string embedded_error;
            if (!embedded && embedded_error.empty())
                embedded = compile_schema(codec::carenotes_export_xsd(), embedded_error);
            if (!embedded) {
                sink.fatal(IssueType::processing, "", "the care-notes XSD does not compile: " + embedded_error);
                return false;
            }
            schema_ = embedded;
        } else {
            // Read here so a missing file is one clear issue, not a libxml2 message on stderr.
            std::ifstream in(options_.xsd_path, std::ios::binary);
            std::ostringstream text;
            text << in.rdbuf();
            if (!in) {
                sink.fatal(IssueType::processing, "", "cannot read the care-notes XSD " + options_.xsd_path);
                return false;
            }
            std::string error;
            schema_ = compile_schema(text.str(), error);
            if (!schema_) {
                sink.fatal(IssueType::processing, "", "the care-notes XSD does not compile: " + error);
                return false;
            }
        }
        valid_ = xmlSchemaNewValidCtxt(schema_.get());
        if (!valid_) {
            sink.fatal(IssueType::processing, "", "cannot create the XSD validator");
            return false;
        }
        xmlSchemaSetValidStructuredErrors(valid_, &StreamingExportReader::on_schema_error, this);
        return true;
    }

    // ---- bytes in

    static int read_callback(void* context, char* buffer, int length) {
        return static_cast<StreamingExportReader*>(context)->read_into(buffer, static_cast<std::size_t>(length));
    }
    static int close_callback(void*) { return 0; }  // the fd is closed by the destructor

    int read_into(char* buffer, std::size_t length) {
        std::size_t n = 0;
        if (from_fd_) {
            ssize_t got;
            do got = ::read(fd_, buffer, length);
            while (got < 0 && errno == EINTR);
            if (got < 0) {
                io_error_ = std::strerror(errno);
                return -1;
            }
            n = static_cast<std::size_t>(got);
        } else {
            n = std::min(length, memory_.size() - memory_offset_);
            std::memcpy(buffer, memory_.data() + memory_offset_, n);
            memory_offset_ += n;
        }
        if (prolog_.verdict() == PrologScanner::Verdict::scanning) {
            const auto verdict = prolog_.feed(buffer, n);
            if (verdict == PrologScanner::Verdict::doctype || verdict == PrologScanner::Verdict::unsupported_encoding)
                return -1;  // the parser never sees these bytes
        }
        if (screen_.feed(buffer, n) != codec::XmlScreen::Breach::none) return -1;  // nor these
        // Bounds the DOM of one client while it is being built, not only after.
        if (in_client_ && delivered_ + n > client_start_ + options_.limits.max_client_bytes + read_ahead_slack) {
            over_client_limit_ = true;
            return -1;
        }
        delivered_ += n;
        return static_cast<int>(n);
    }

    // ---- errors

    static void on_parse_error(void* context, xmlErrorPtr error) {
        auto* self = static_cast<StreamingExportReader*>(context);
        if (!error) return;
        if (error->level == XML_ERR_WARNING) {
            if (self->warnings_.size() < 100)
                self->warnings_.push_back({error->code, error->line, clean_message(error->message)});
            return;
        }
        if (!self->parse_error_) self->parse_error_ = ParseError{error->code, error->line, clean_message(error->message)};
    }

    static void on_schema_error(void* context, xmlErrorPtr error) {
        static_cast<StreamingExportReader*>(context)->report_schema_error(error);
    }

    void report_schema_error(const xmlError* error) {
        if (!error || !current_sink_) return;
        Severity severity = validating_root_ ? Severity::fatal : Severity::error;
        if (error->level == XML_ERR_WARNING) severity = Severity::warning;
        const xmlNode* node = static_cast<const xmlNode*>(error->node);
        std::string path = node ? node_path(node, client_index_) : client_path();
        // libxml2 names the element for attribute errors; the attribute is in the message.
        if (node && node->type == XML_ELEMENT_NODE && error->message) {
            const std::string_view message = error->message;
            for (std::string_view marker : {std::string_view(", attribute '"), std::string_view("The attribute '")}) {
                const std::size_t at = message.find(marker);
                if (at == std::string_view::npos) continue;
                const std::size_t from = at + marker.size();
                const std::size_t to = message.find('\'', from);
                if (to != std::string_view::npos) {
                    path += '.';
                    path += message.substr(from, to - from);
                }
                break;
            }
        }
        current_sink_->add(severity, schema_issue_type(error), std::move(path),
                           line_prefix(error->line) + clean_message(error->message));
    }

    static IssueType schema_issue_type(const xmlError* error) {
        switch (error->code) {
        case XML_SCHEMAV_CVC_COMPLEX_TYPE_4: return IssueType::required;
        case XML_SCHEMAV_ELEMENT_CONTENT:
            return error->message && std::strstr(error->message, "Missing child") ? IssueType::required
                                                                                  : IssueType::structure;
        case XML_SCHEMAV_CVC_ATTRIBUTE_3:
        case XML_SCHEMAV_CVC_ELT_5_2_2_1:
        case XML_SCHEMAV_CVC_ELT_5_2_2_2_1:
        case XML_SCHEMAV_CVC_ELT_5_2_2_2_2: return IssueType::value;
        default: break;
        }
        if (error->message && std::strstr(error->message, "fixed value constraint")) return IssueType::value;
        // Datatype and facet failures (pattern, enumeration, length, range).
        if (error->code >= XML_SCHEMAV_CVC_DATATYPE_VALID_1_2_1 && error->code <= XML_SCHEMAV_CVC_ENUMERATION_VALID)
            return IssueType::value;
        return IssueType::structure;
    }

    void drain_warnings(IssueSink& sink) {
        for (auto& w : warnings_) sink.warning(IssueType::structure, "", line_prefix(w.line) + w.message);
        warnings_.clear();
    }

    bool stopped() const {
        return parse_error_ || over_client_limit_ || !io_error_.empty() || screen_.breach() != codec::XmlScreen::Breach::none ||
               prolog_.verdict() == PrologScanner::Verdict::doctype ||
               prolog_.verdict() == PrologScanner::Verdict::unsupported_encoding;
    }

    // Reports why reading cannot go on, most specific cause first.
    Step fail(IssueSink& sink, const std::string& path) {
        if (prolog_.verdict() == PrologScanner::Verdict::doctype) {
            sink.fatal(IssueType::security, "",
                       "DOCTYPE is not allowed in a care-notes export (no DTDs or entities are read)");
        } else if (prolog_.verdict() == PrologScanner::Verdict::unsupported_encoding) {
            sink.fatal(IssueType::structure, "", "care-notes exports must be UTF-8");
        } else if (screen_.breach() != codec::XmlScreen::Breach::none) {
            // The screen runs ahead of the reader: it names the client itself.
            const std::string at = screen_.subtrees() > 0 ? std::string(export_root) + "." + std::string(export_client) +
                                                                "[" + std::to_string(screen_.subtrees() - 1) + "]"
                                                          : std::string(export_root);
            sink.fatal(IssueType::too_long, at, line_prefix(static_cast<long>(screen_.line())) + screen_.message());
        } else if (over_client_limit_) {
            sink.fatal(IssueType::too_long, path.empty() ? client_path() : path,
                       "client is larger than max_client_bytes (" + std::to_string(options_.limits.max_client_bytes) +
                           " bytes)");
        } else if (!io_error_.empty()) {
            sink.fatal(IssueType::processing, "", "cannot read the export: " + io_error_);
        } else if (parse_error_ && parse_error_->message.find("Excessive depth") != std::string::npos) {
            sink.fatal(IssueType::too_long, path, line_prefix(parse_error_->line) + "elements nest deeper than max_depth (" +
                                                      std::to_string(options_.limits.max_depth) + ")");
        } else if (parse_error_) {
            sink.fatal(IssueType::structure, path,
                       line_prefix(parse_error_->line) + "not well-formed XML: " + parse_error_->message);
        } else {
            sink.fatal(IssueType::structure, path, "the export cannot be read further");
        }
        return finish(Step::fatal);
    }

    Step finish(Step step) {
        finished_ = true;
        finished_step_ = step;
        return step;
    }

    static std::string line_prefix(long line) { return line > 0 ? "line " + std::to_string(line) + ": " : ""; }

    static bool is_blank(const xmlChar* text) {
        if (!text) return true;
        for (; *text; ++text)
            if (*text != ' ' && *text != '\t' && *text != '\n' && *text != '\r') return false;
        return true;
    }

    static bool is_ours(const xmlNode* node, const char* local_name) {
        return node && node->ns && node->ns->href &&
               std::strcmp(reinterpret_cast<const char*>(node->ns->href), export_namespace) == 0 &&
               std::strcmp(reinterpret_cast<const char*>(node->name), local_name) == 0;
    }

    std::string client_path() const {
        return std::string(export_root) + ".Client[" + std::to_string(client_index_) + "]";
    }

    // ---- the root

    // The root must be our CareNotesExport; its attributes are checked by
    // validating a childless copy against the XSD, which keeps the XSD the
    // one authority on the format.
    bool check_root(IssueSink& sink) {
        root_seen_ = true;
        xmlNodePtr root = xmlTextReaderCurrentNode(reader_);
        if (!is_ours(root, export_root)) {
            const char* ns = root && root->ns && root->ns->href ? reinterpret_cast<const char*>(root->ns->href) : "";
            sink.fatal(IssueType::structure, root ? reinterpret_cast<const char*>(root->name) : "",
                       std::string("the root element must be CareNotesExport in namespace ") + export_namespace +
                           (*ns ? std::string("; found namespace ") + ns : std::string("; found no namespace")));
            return false;
        }
        xmlDocPtr scratch = xmlNewDoc(BAD_CAST "1.0");
        xmlNodePtr copy = scratch ? xmlDocCopyNode(root, scratch, 2) : nullptr;
        if (!copy) {
            if (scratch) xmlFreeDoc(scratch);
            sink.fatal(IssueType::processing, "", "out of memory");
            return false;
        }
        xmlDocSetRootElement(scratch, copy);
        current_sink_ = &sink;
        validating_root_ = true;
        const std::size_t before = sink.count(Severity::fatal);
        const int result = xmlSchemaValidateOneElement(valid_, copy);
        validating_root_ = false;
        current_sink_ = nullptr;
        xmlFreeDoc(scratch);
        if (result != 0 && sink.count(Severity::fatal) == before)
            sink.fatal(IssueType::structure, export_root, "the export's root element breaks the care-notes XSD");
        if (result != 0) return false;
        if (xmlTextReaderIsEmptyElement(reader_)) root_closed_ = true;
        return true;
    }

    // ---- one client

    Step read_client(model::PersonRecord& record, IssueSink& sink) {
        client_index_ = clients_seen_++;
        const long start = xmlTextReaderByteConsumed(reader_);
        client_start_ = delivered_;
        in_client_ = true;
        xmlNodePtr client = xmlTextReaderExpand(reader_);
        in_client_ = false;
        // An error while expanding may lie inside this client: the subtree cannot be trusted.
        if (!client || stopped()) return fail(sink, client_path());
        skip_pending_ = true;

        const long size = xmlTextReaderByteConsumed(reader_) - start;
        if (size > 0 && static_cast<std::size_t>(size) > options_.limits.max_client_bytes) {
            sink.fatal(IssueType::too_long, client_path(),
                       "client is larger than max_client_bytes (" + std::to_string(options_.limits.max_client_bytes) +
                           " bytes)");
            return finish(Step::fatal);
        }
        if (!within_limits(client, 1, sink)) return finish(Step::fatal);

        const std::size_t errors_before = sink.count(Severity::error);
        current_sink_ = &sink;
        const int valid = xmlSchemaValidateOneElement(valid_, client);
        current_sink_ = nullptr;
        if (valid != 0) {
            if (sink.count(Severity::error) == errors_before)
                sink.error(IssueType::structure, client_path(), "client breaks the care-notes XSD");
            return Step::rejected;
        }

        const issues::ElementPath root(export_root);
        const issues::ElementPath clients = root.child(export_client);
        const issues::ElementPath path = clients.at(client_index_);
        if (!decode_client(client, path, options_.strictness, record, sink)) {
            record = model::PersonRecord{};
            return Step::rejected;
        }
        return Step::client;
    }

    // Depth and text length inside one client's DOM (libxml2's own caps —
    // depth 256, text 10 MB — stay on underneath these).
    bool within_limits(const xmlNode* node, std::size_t depth, IssueSink& sink) {
        if (depth > options_.limits.max_depth) {
            sink.fatal(IssueType::too_long, node_path(node, client_index_),
                       line_prefix(xmlGetLineNo(node)) + "elements nest deeper than max_depth (" +
                           std::to_string(options_.limits.max_depth) + ")");
            return false;
        }
        for (const xmlAttr* a = node->properties; a; a = a->next) {
            if (a->children && a->children->content &&
                std::strlen(reinterpret_cast<const char*>(a->children->content)) > options_.limits.max_string_bytes) {
                sink.fatal(IssueType::too_long, node_path(reinterpret_cast<const xmlNode*>(a), client_index_),
                           "attribute value longer than max_string_bytes (" +
                               std::to_string(options_.limits.max_string_bytes) + ")");
                return false;
            }
        }
        for (const xmlNode* c = node->children; c; c = c->next) {
            if (c->type == XML_ELEMENT_NODE) {
                if (!within_limits(c, depth + 1, sink)) return false;
            } else if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && c->content &&
                       std::strlen(reinterpret_cast<const char*>(c->content)) > options_.limits.max_string_bytes) {
                sink.fatal(IssueType::too_long, node_path(node, client_index_),
                           line_prefix(xmlGetLineNo(node)) + "text longer than max_string_bytes (" +
                               std::to_string(options_.limits.max_string_bytes) + ")");
                return false;
            }
        }
        return true;
    }

    ReaderOptions options_;
    xmlTextReaderPtr reader_ = nullptr;
    std::shared_ptr<xmlSchema> schema_;
    xmlSchemaValidCtxtPtr valid_ = nullptr;

    // the byte source
    std::string_view memory_;
    std::size_t memory_offset_ = 0;
    int fd_ = -1;
    bool owns_fd_ = false;
    bool from_fd_ = false;
    std::size_t delivered_ = 0;
    PrologScanner prolog_;
    codec::XmlScreen screen_;
    std::string io_error_;

    // where we are
    bool root_seen_ = false;
    bool root_closed_ = false;
    bool skip_pending_ = false;
    bool finished_ = false;
    Step finished_step_ = Step::end;
    std::size_t clients_seen_ = 0;
    std::size_t client_index_ = 0;
    bool in_client_ = false;
    std::size_t client_start_ = 0;
    bool over_client_limit_ = false;

    // issues arriving through libxml2's callbacks
    std::optional<ParseError> parse_error_;
    std::vector<ParseError> warnings_;
    IssueSink* current_sink_ = nullptr;
    bool validating_root_ = false;
};

// libxml2's messages end in a newline and spell names with the namespace in
// braces; quoted values are dropped so patient data never reaches an issue.
std::string clean_message(const char* raw) {
    std::string m = raw ? raw : "";
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    const std::string ns = std::string("{") + export_namespace + "}";
    for (std::size_t at; (at = m.find(ns)) != std::string::npos;) m.erase(at, ns.size());
    // "[facet 'pattern'] The value '999…' is not accepted …"
    if (std::size_t at = m.find("The value '"); at != std::string::npos) {
        const std::size_t from = at + 10;
        std::size_t to = m.find("' is ", from);
        if (to == std::string::npos) to = m.find("' has ", from);
        if (to != std::string::npos) m.erase(from - 1, to + 2 - from);  // " 'value'"
    }
    // "Input is not proper UTF-8, indicate encoding !\nBytes: 0xB4 0xB4 …": the bytes may be data.
    if (std::size_t at = m.find("Bytes:"); at != std::string::npos) m.erase(at);
    while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
    // "Element 'X': '2026-13-01' is not a valid value of the atomic type 'Date'."
    if (std::size_t to = m.find("' is not a valid value of"); to != std::string::npos) {
        const std::size_t from = m.rfind(": '", to);
        if (from != std::string::npos) m.replace(from + 2, to + 1 - (from + 2), "the value");
    }
    return m;
}

}  // namespace

std::unique_ptr<ExportReader> ExportReader::open_file(const std::string& path, const ReaderOptions& options,
                                                      issues::IssueSink& sink) {
    auto reader = std::make_unique<StreamingExportReader>(options);
    if (!reader->open_file(path, sink)) return nullptr;
    return reader;
}

std::unique_ptr<ExportReader> ExportReader::open_memory(std::string_view xml, const ReaderOptions& options,
                                                        issues::IssueSink& sink) {
    auto reader = std::make_unique<StreamingExportReader>(options);
    if (!reader->open_memory(xml, sink)) return nullptr;
    return reader;
}

std::optional<model::PersonRecord> decode_single(std::string_view xml, const ReaderOptions& options,
                                                 issues::IssueSink& sink) {
    auto reader = ExportReader::open_memory(xml, options, sink);
    if (!reader) return std::nullopt;
    std::optional<model::PersonRecord> result;
    std::size_t clients = 0;
    for (;;) {
        model::PersonRecord next;
        const auto step = reader->next(next, sink);
        if (step == ExportReader::Step::fatal) return std::nullopt;
        if (step == ExportReader::Step::end) break;
        ++clients;
        if (step == ExportReader::Step::client && clients == 1) result = std::move(next);
    }
    if (clients == 0) {
        sink.error(IssueType::not_found, export_root, "the export holds no client");
        return std::nullopt;
    }
    if (clients > 1) {
        sink.error(IssueType::invariant, export_root,
                   "expected one client, found " + std::to_string(clients));
        return std::nullopt;
    }
    return result;
}

}  // namespace carebridge::carenotes
