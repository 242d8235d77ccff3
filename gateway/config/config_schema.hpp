#pragma once
// The configuration's JSON Schema, schemas/gateway-config-1.schema.json, is
// compiled into the binary (gateway/config/embed_schema.cmake). A document it
// rejects yields one line that names the key as a dotted path:
//   listener.port: must be an integer from 0 to 65535, found 70000
//   clients[2].roles[0]: "reader" is not one of submitter, partner, auditor, admin

#include <rapidjson/document.h>
#include <rapidjson/pointer.h>

#include <optional>
#include <string>
#include <string_view>

namespace carebridge::gateway::config {

// The schema's text (generated source).
std::string_view gateway_config_schema();

// nullopt when `document` satisfies the schema, else the first violation in
// document order as "dotted.path: what is wrong".
std::optional<std::string> schema_violation(const rapidjson::Value& document);

// `/clients/2/roles/0` → `clients[2].roles[0]`; reads `document` to tell an
// array index from a member whose name is digits. The root is "top level".
std::string key_path(const rapidjson::Pointer& pointer, const rapidjson::Value& document);

}  // namespace carebridge::gateway::config
