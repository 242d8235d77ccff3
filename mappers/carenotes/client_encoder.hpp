#pragma once
// PersonRecord → one <Client> element on an xmlTextWriter. Whatever the record
// holds that the XSD cannot (a malformed date, an unknown code, an over-long
// short text) is reported as a warning with its record path and left out or
// shortened, so the output always validates.

#include <libxml/xmlwriter.h>

#include "issues/issue.hpp"
#include "model/record.hpp"

namespace carebridge::carenotes {

void encode_client(xmlTextWriterPtr writer, const model::PersonRecord& record, issues::IssueSink& sink);

}  // namespace carebridge::carenotes
