#pragma once
// The schemas in schemas/, compiled into the binary (see embed_schemas.cmake).

#include <string_view>

namespace carebridge::codec {

std::string_view partnership_referral_schema();  // JSON Schema (draft 4)
std::string_view carenotes_export_xsd();         // XML Schema 1.0

}  // namespace carebridge::codec
