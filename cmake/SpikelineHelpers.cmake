# Small helpers so each folder's CMakeLists.txt stays a few lines.

# Warning flags for every spikeline target.
function(spikeline_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wno-missing-field-initializers>)
  if(SPIKELINE_WERROR)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Werror>)
  endif()
endfunction()

# spikeline_library(NAME <name> ALIAS <ns::name> SOURCES ... [PUBLIC_DEPS ...] [PRIVATE_DEPS ...])
function(spikeline_library)
  cmake_parse_arguments(A "" "NAME;ALIAS" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${A_NAME} STATIC ${A_SOURCES})
  add_library(${A_ALIAS} ALIAS ${A_NAME})
  target_include_directories(${A_NAME} PUBLIC ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR})
  target_link_libraries(${A_NAME} PUBLIC ${A_PUBLIC_DEPS} PRIVATE ${A_PRIVATE_DEPS})
  set_target_properties(${A_NAME} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  spikeline_warnings(${A_NAME})
endfunction()

# spikeline_test(NAME <name> LABELS <unit|integration|gpu> SOURCES ... DEPS ...)
function(spikeline_test)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} spikeline_test_support GTest::gtest GTest::gtest_main)
  spikeline_warnings(${A_NAME})
  include(GoogleTest)
  gtest_discover_tests(${A_NAME} PROPERTIES LABELS "${A_LABELS}" DISCOVERY_TIMEOUT 60)
endfunction()

# spikeline_benchmark(NAME <name> SOURCES ... DEPS ...): built only with SPIKELINE_BUILD_BENCHMARKS.
function(spikeline_benchmark)
  cmake_parse_arguments(A "" "NAME" "SOURCES;DEPS" ${ARGN})
  if(NOT SPIKELINE_BUILD_BENCHMARKS)
    return()
  endif()
  add_executable(${A_NAME} ${A_SOURCES})
  target_link_libraries(${A_NAME} PRIVATE ${A_DEPS} benchmark::benchmark)
  spikeline_warnings(${A_NAME})
endfunction()
