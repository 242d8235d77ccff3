# Writes the auditor page's files into OUTPUT as C++ byte arrays, so the
# binary serves the page with nothing installed beside it. Bytes, not raw
# string literals, so no file's content can end the literal early.
# Script mode: cmake -DUI_DIR=... -DOUTPUT=... -P embed_ui.cmake
file(GLOB_RECURSE files RELATIVE ${UI_DIR} ${UI_DIR}/*)
list(FILTER files EXCLUDE REGEX "(^|/)\\.")
list(SORT files)
set(arrays "")
set(table "")
set(index 0)
foreach(name ${files})
  file(READ ${UI_DIR}/${name} hex HEX)
  string(LENGTH "${hex}" hex_length)
  math(EXPR size "${hex_length} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "(0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,0x..,)" "\\1\n" bytes "${bytes}")
  string(APPEND arrays "const unsigned char file${index}[] = {\n${bytes}0};\n")
  string(APPEND table "    {\"${name}\", {reinterpret_cast<const char*>(file${index}), ${size}}},\n")
  math(EXPR index "${index} + 1")
endforeach()
file(WRITE ${OUTPUT}.tmp
"// Generated from gateway/ui/audit/ by gateway/ui/embed_ui.cmake; do not edit.\n"
"#include \"ui/ui_assets.hpp\"\n"
"namespace carebridge::gateway::ui {\n"
"namespace {\n"
"${arrays}"
"const EmbeddedFile files[] = {\n${table}};\n"
"}  // namespace\n"
"std::span<const EmbeddedFile> embedded_ui_files() { return files; }\n"
"}  // namespace carebridge::gateway::ui\n")
# Rewritten only when it changed, so an unrelated reconfigure rebuilds nothing.
file(COPY_FILE ${OUTPUT}.tmp ${OUTPUT} ONLY_IF_DIFFERENT)
file(REMOVE ${OUTPUT}.tmp)
