# profo_add_plugin(<target> KIND <element|enrollment|storage|transport> ID <id>
#                  [VERSION <semver>] SOURCES <files...> [LIBRARIES <libs...>]
#                  [TESTS <test files...>] [OUTPUT_DIR <dir>])
#
# Builds one plugin as a MODULE with hidden visibility, named
# profo_<kind>_<id>.so, into OUTPUT_DIR (default: PROFO_PLUGIN_OUTPUT_DIR, else
# <build>/plugins). The id and version are written once, here: they reach the
# code as PROFO_PLUGIN_ID and PROFO_PLUGIN_VERSION, which PROFO_PLUGIN() uses.
#
# SOURCES are compiled once into an object library that both the module and
# the unit tests link. TESTS (optional) become the GoogleTest executable
# <target>_test, registered with ctest, when tests are built (PROFO_BUILD_TESTS
# in the product's tree; BUILD_TESTING and an installed GoogleTest elsewhere).
#
# This file is installed with the SDK, so a plugin outside the repository is
# built exactly like the ones inside (find_package(ProfoSDK)).
#
# Modules built into the product's plugin folder are installed (component
# runtime) into PROFO_INSTALL_PLUGIN_DIR; test fixtures, which name an
# OUTPUT_DIR of their own, are not.
# gtest_discover_tests() needs the variables this sets at file scope, not
# inside a function.
include(GoogleTest)

function(profo_add_plugin target)
  cmake_parse_arguments(P "" "KIND;ID;VERSION;OUTPUT_DIR" "SOURCES;LIBRARIES;TESTS" ${ARGN})
  if(NOT P_KIND OR NOT P_ID OR NOT P_SOURCES)
    message(FATAL_ERROR "profo_add_plugin(${target}): KIND, ID and SOURCES are required")
  endif()
  if(NOT P_ID MATCHES "^[a-z0-9_]+$")
    message(FATAL_ERROR "profo_add_plugin(${target}): ID '${P_ID}' must be [a-z0-9_]+")
  endif()
  set(P_INSTALL OFF)
  if(NOT P_OUTPUT_DIR AND PROFO_INSTALL_PLUGIN_DIR)
    set(P_INSTALL ON)
  endif()
  # In the product's tree a plugin's folder is named after its id, so the id
  # is the same in the folder, the module's file name and its descriptor.
  if(PROFO_SOURCE_ROOT AND CMAKE_CURRENT_SOURCE_DIR MATCHES "^${PROFO_SOURCE_ROOT}/plugins/[^/]+/([^/]+)$")
    if(NOT CMAKE_MATCH_1 STREQUAL P_ID)
      message(FATAL_ERROR "profo_add_plugin(${target}): ID '${P_ID}' differs from its folder '${CMAKE_MATCH_1}'")
    endif()
  endif()
  if(NOT P_VERSION)
    set(P_VERSION 1.0.0)
  endif()
  if(NOT P_OUTPUT_DIR)
    if(PROFO_PLUGIN_OUTPUT_DIR)
      set(P_OUTPUT_DIR ${PROFO_PLUGIN_OUTPUT_DIR})
    else()
      set(P_OUTPUT_DIR ${CMAKE_BINARY_DIR}/plugins)
    endif()
  endif()

  add_library(${target}_objects OBJECT ${P_SOURCES})
  target_link_libraries(${target}_objects PUBLIC profo::sdk ${P_LIBRARIES})
  target_include_directories(${target}_objects PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
  target_compile_definitions(${target}_objects PRIVATE
    PROFO_PLUGIN_ID="${P_ID}" PROFO_PLUGIN_VERSION="${P_VERSION}")
  set_target_properties(${target}_objects PROPERTIES
    POSITION_INDEPENDENT_CODE ON
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)

  add_library(${target} MODULE)
  target_link_libraries(${target} PRIVATE ${target}_objects)
  set_target_properties(${target} PROPERTIES
    PREFIX ""
    OUTPUT_NAME "profo_${P_KIND}_${P_ID}"
    LIBRARY_OUTPUT_DIRECTORY ${P_OUTPUT_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  target_link_options(${target} PRIVATE -Wl,--no-undefined)
  set_property(GLOBAL APPEND PROPERTY PROFO_PLUGIN_TARGETS ${target})
  set_property(TARGET ${target} PROPERTY PROFO_PLUGIN_KIND ${P_KIND})
  set_property(TARGET ${target} PROPERTY PROFO_PLUGIN_ID ${P_ID})
  if(P_INSTALL)
    install(TARGETS ${target} LIBRARY DESTINATION ${PROFO_INSTALL_PLUGIN_DIR} COMPONENT runtime)
  endif()

  _profo_plugin_tests_wanted(wanted)
  if(P_TESTS AND wanted)
    add_executable(${target}_test ${P_TESTS})
    target_link_libraries(${target}_test PRIVATE ${target}_objects GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# profo_add_plugin_library(<target> SOURCES <files...> [LIBRARIES <libs...>]
#                          [TESTS <test files...>])
#
# Logic several plugins share, as a static library each of them links its own
# copy of: position independent (it ends up in modules), hidden (nothing of it
# is exported), headers in its folder. TESTS become <target>_test.
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

  _profo_plugin_tests_wanted(wanted)
  if(P_TESTS AND wanted)
    add_executable(${target}_test ${P_TESTS})
    target_link_libraries(${target}_test PRIVATE ${target} GTest::gmock GTest::gtest_main)
    gtest_discover_tests(${target}_test DISCOVERY_TIMEOUT 60)
  endif()
endfunction()

# In the product's tree PROFO_BUILD_TESTS decides; in a plugin's own project,
# BUILD_TESTING (CTest's switch) and whether GoogleTest is installed.
function(_profo_plugin_tests_wanted out)
  set(wanted OFF)
  if(DEFINED PROFO_BUILD_TESTS)
    set(wanted ${PROFO_BUILD_TESTS})
  elseif(BUILD_TESTING)
    if(NOT TARGET GTest::gtest_main)
      find_package(GTest QUIET)
    endif()
    if(TARGET GTest::gtest_main)
      set(wanted ON)
    endif()
  endif()
  set(${out} ${wanted} PARENT_SCOPE)
endfunction()
