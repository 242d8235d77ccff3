# Writes the schemas in SCHEMA_DIR into OUTPUT as C++ string constants.
file(READ ${SCHEMA_DIR}/partnership-referral-1.schema.json REFERRAL_SCHEMA)
file(READ ${SCHEMA_DIR}/carenotes-export-1.xsd CARENOTES_XSD)
file(WRITE ${OUTPUT}
"// Generated from schemas/ by mappers/codec/embed_schemas.cmake; do not edit.\n"
"#include \"codec/embedded_schemas.hpp\"\n"
"namespace carebridge::codec {\n"
"std::string_view partnership_referral_schema() {\n"
"    static constexpr char text[] = R\"cbschema(${REFERRAL_SCHEMA})cbschema\";\n"
"    return {text, sizeof(text) - 1};\n"
"}\n"
"std::string_view carenotes_export_xsd() {\n"
"    static constexpr char text[] = R\"cbschema(${CARENOTES_XSD})cbschema\";\n"
"    return {text, sizeof(text) - 1};\n"
"}\n"
"}  // namespace carebridge::codec\n")
