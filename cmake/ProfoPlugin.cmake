# profo_add_plugin(<target> KIND <element|enrollment|storage|transport> ID <id>
#                  SOURCES <files...> [LIBRARIES <libs...>] [TESTS <test files...>])
#
# Builds one plugin as a MODULE with hidden visibility, named
# profo_<kind>_<id>.so in the build's plugins/ folder, where the default config
# finds it, and installed (component runtime) into lib/profo/plugins. TESTS
# (optional) become a GoogleTest executable <target>_test that links the
# plugin's sources directly, for unit tests of its logic.
function(profo_add_plugin target)
  cmake_parse_arguments(P "" "KIND;ID;OUTPUT_DIR" "SOURCES;LIBRARIES;TESTS" ${ARGN})
  if(NOT P_KIND OR NOT P_ID OR NOT P_SOURCES)
    message(FATAL_ERROR "profo_add_plugin(${target}): KIND, ID and SOURCES are required")
  endif()
  # Test fixtures name a folder of their own; only the product's modules, in
  # the plugin folder, are installed.
  set(P_INSTALL OFF)
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR ${PROFO_PLUGIN_OUTPUT_DIR})
    set(P_INSTALL ON)
  endif()
  add_library(${target} MODULE ${P_SOURCES})
  target_link_libraries(${target} PRIVATE profo::sdk ${P_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "profo_${P_KIND}_${P_ID}"
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_property(GLOBAL APPEND PROPERTY PROFO_PLUGIN_TARGETS ${target})
  if(P_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${PROFO_INSTALL_PLUGIN_DIR} COMPONENT runtime)
  endif()

  if(P_TESTS AND PROFO_BUILD_TESTS)
    add_executable(${target}_test ${P_TESTS})
    target_link_libraries(${target}_test PRIVATE profo::sdk ${P_LIBRARIES} GTest::gmock GTest::gtest_main)
    target_include_directories(${target}_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# profo_add_plugin_library(<target> SOURCES <files...> [LIBRARIES <libs...>]
#                          [TESTS <test files...>])
#
# Logic several plugins of a kind share, as a static library each of them
# links its own copy of: position independent (it ends up in modules), hidden
# (nothing of it is exported), headers in its folder. TESTS become
# <target>_test, as in profo_add_plugin.
function(profo_add_plugin_library target)
  cmake_parse_arguments(P "" "" "SOURCES;LIBRARIES;TESTS" ${ARGN})
  if(NOT P_SOURCES)
    message(FATAL_ERROR "profo_add_plugin_library(${target}): SOURCES is required")
  endif()
  add_library(${target} STATIC ${P_SOURCES})
  target_include_directories(${target} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_link_libraries(${target} PUBLIC profo::sdk ${P_LIBRARIES})
  set_target_properties(${target} PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)

  if(P_TESTS AND PROFO_BUILD_TESTS)
    add_executable(${target}_test ${P_TESTS})
    target_link_libraries(${target}_test PRIVATE ${target} GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60)
  endif()
endfunction()
