#include "api/audit_report_html.hpp"

namespace carebridge::gateway::api {

using audit::AuditAction;
using audit::AuditEntry;

namespace {

void html_escaped(std::string& out, std::string_view text) {
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            case '\'': out += "&#39;"; break;
            default: out += c;
        }
    }
}

std::string organisation_label(std::string_view code, const config::Config* config) {
    if (code.empty()) return "the gateway";
    if (const config::Organisation* o = config ? config->organisation(code) : nullptr)
        return o->name + " (" + std::string(code) + ")";
    return std::string(code);
}

std::string_view report_verb(AuditAction action) {
    switch (action) {
        case AuditAction::disclosed: return "Shared with";
        case AuditAction::delivered: return "Delivered to";
        case AuditAction::read: return "Viewed by";
        default: return "";
    }
}

}  // namespace

// A printable page: no scripts, its styles inline (the response's CSP allows only those).
std::string report_html(std::string_view nhs, const std::vector<AuditEntry>& entries, bool truncated,
                        const config::Config* config, std::string_view generated_at, std::size_t limit) {
    std::string out =
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<title>Who saw my data</title><style>"
        "body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1a1a1a;line-height:1.4}"
        "table{border-collapse:collapse;width:100%}th,td{border:1px solid #767676;padding:.35rem .5rem;"
        "text-align:left;vertical-align:top}th{background:#eef1f4}caption{text-align:left;font-weight:600;"
        "margin-bottom:.5rem}@media print{body{margin:0}a{color:inherit}}"
        "</style></head><body>\n<h1>Who saw my data</h1>\n<p>Every disclosure, delivery and view of the records "
        "about NHS number <strong>";
    html_escaped(out, nhs);
    out += "</strong> held in the carebridge audit log, oldest first. Generated ";
    html_escaped(out, generated_at);
    out += ".</p>\n";
    if (entries.empty()) {
        out += "<p>The log records no disclosure or view of this person's records.</p>\n";
    } else {
        out += "<table><caption>";
        out += std::to_string(entries.size());
        out += entries.size() == 1 ? " event" : " events";
        out += "</caption><thead><tr><th scope=\"col\">When (UTC)</th><th scope=\"col\">What</th>"
               "<th scope=\"col\">Who</th><th scope=\"col\">By</th><th scope=\"col\">Purpose</th>"
               "<th scope=\"col\">Lawful basis</th><th scope=\"col\">Consent</th><th scope=\"col\">Outcome</th>"
               "<th scope=\"col\">Log entry</th></tr></thead><tbody>\n";
        for (const AuditEntry& entry : entries) {
            const audit::AuditEvent& e = entry.event;
            const bool read = e.action == AuditAction::read;
            out += "<tr><td>";
            html_escaped(out, e.time);
            out += "</td><td>";
            html_escaped(out, report_verb(e.action));
            out += "</td><td>";
            html_escaped(out, organisation_label(read ? e.actor_organisation : e.recipient, config));
            out += "</td><td>";
            html_escaped(out, read ? e.actor_client : organisation_label(e.actor_organisation, config));
            out += "</td><td>";
            html_escaped(out, e.purpose);
            out += "</td><td>";
            html_escaped(out, e.lawful_basis);
            out += "</td><td>";
            html_escaped(out, e.consent_reference);
            out += "</td><td>";
            html_escaped(out, e.outcome);
            out += "</td><td>";
            out += std::to_string(entry.seq);
            out += "</td></tr>\n";
        }
        out += "</tbody></table>\n";
    }
    if (truncated)
        out += "<p><strong>This report stops at " + std::to_string(limit) +
               " events; ask the gateway's administrator for the full export.</strong></p>\n";
    out += "<p>Each log entry is hash-linked to the one before it and covered by signed checkpoints; "
           "its number lets an auditor prove it is in the log.</p>\n</body></html>\n";
    return out;
}

}  // namespace carebridge::gateway::api
