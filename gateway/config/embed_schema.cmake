# Writes the configuration schema SCHEMA into OUTPUT as a C++ string constant,
# as mappers/embed_schemas.cmake does for the formats' schemas, so the binary
# validates a configuration without finding schemas/ at run time.
file(READ ${SCHEMA} CONFIG_SCHEMA)
file(WRITE ${OUTPUT}
"// Generated from schemas/gateway-config-1.schema.json by gateway/config/embed_schema.cmake; do not edit.\n"
"#include \"config/config_schema.hpp\"\n"
"namespace carebridge::gateway::config {\n"
"std::string_view gateway_config_schema() {\n"
"    static constexpr char text[] = R\"cbschema(${CONFIG_SCHEMA})cbschema\";\n"
"    return {text, sizeof(text) - 1};\n"
"}\n"
"}  // namespace carebridge::gateway::config\n")
