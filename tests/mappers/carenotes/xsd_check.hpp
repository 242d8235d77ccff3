#pragma once
// Validates a whole document against the embedded care-notes XSD with plain
// libxml2 (independent of the reader under test).

#include <string>

#include <libxml/parser.h>
#include <libxml/xmlschemas.h>

#include "codec/embedded_schemas.hpp"

namespace carebridge::testing {

inline bool validates_against_carenotes_xsd(const std::string& xml, std::string* first_error = nullptr) {
    std::string error;
    auto collect = [](void* ctx, xmlErrorPtr e) {
        auto* out = static_cast<std::string*>(ctx);
        if (out->empty() && e && e->message) *out = e->message;
    };
    const auto xsd = codec::carenotes_export_xsd();
    xmlSchemaParserCtxtPtr parser = xmlSchemaNewMemParserCtxt(xsd.data(), static_cast<int>(xsd.size()));
    xmlSchemaSetParserStructuredErrors(parser, collect, &error);
    xmlSchemaPtr schema = xmlSchemaParse(parser);
    xmlSchemaFreeParserCtxt(parser);
    bool ok = false;
    if (schema) {
        xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
        xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml.data(), static_cast<int>(xml.size()), nullptr, nullptr, XML_PARSE_NONET);
        if (doc) {
            xmlSchemaValidCtxtPtr valid = xmlSchemaNewValidCtxt(schema);
            xmlSchemaSetValidStructuredErrors(valid, collect, &error);
            ok = xmlSchemaValidateDoc(valid, doc) == 0;
            xmlSchemaFreeValidCtxt(valid);
            xmlFreeDoc(doc);
        } else {
            error = "not well-formed";
        }
        xmlFreeParserCtxt(ctxt);
        xmlSchemaFree(schema);
    }
    if (first_error) *first_error = error;
    return ok;
}

}  // namespace carebridge::testing
