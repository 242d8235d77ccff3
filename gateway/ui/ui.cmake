# The auditor's page (gateway/ui/audit/) compiled into the ui library:
# included by gateway/CMakeLists.txt after carebridge_ui is defined.
file(GLOB_RECURSE CAREBRIDGE_UI_FILES CONFIGURE_DEPENDS ${CMAKE_CURRENT_LIST_DIR}/audit/*)
set(CAREBRIDGE_UI_SOURCE ${CMAKE_CURRENT_BINARY_DIR}/embedded_ui_assets.cpp)
add_custom_command(
  OUTPUT ${CAREBRIDGE_UI_SOURCE}
  COMMAND ${CMAKE_COMMAND} -DUI_DIR=${CMAKE_CURRENT_LIST_DIR}/audit -DOUTPUT=${CAREBRIDGE_UI_SOURCE}
          -P ${CMAKE_CURRENT_LIST_DIR}/embed_ui.cmake
  DEPENDS ${CMAKE_CURRENT_LIST_DIR}/embed_ui.cmake ${CAREBRIDGE_UI_FILES}
  COMMENT "Embedding the auditor's page")
target_sources(carebridge_ui PRIVATE ${CAREBRIDGE_UI_SOURCE})
