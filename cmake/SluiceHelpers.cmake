# sluice_library(<name> SOURCES ... [DEPS ...] [PUBLIC_DEPS ...])
#   One static library per module, target name sluice_<name>, alias sluice::<name>.
#   Headers are included as "<module>/<file>.h" from src/.
# sluice_test(<name> LABEL <unit|integration|e2e|chaos> SOURCES ... [DEPS ...])
#   A GoogleTest executable registered with ctest under the given label.

set(SLUICE_WARNINGS -Wall -Wextra -Werror -Wshadow -Wnon-virtual-dtor -Wold-style-cast
    -Wcast-align -Woverloaded-virtual -Wimplicit-fallthrough
    # gcc 12 flags designated initialisers that leave members to their defaults; that is the intent.
    -Wno-missing-field-initializers)

function(sluice_apply_flags target)
  target_compile_options(${target} PRIVATE ${SLUICE_WARNINGS})
  target_include_directories(${target} PUBLIC ${PROJECT_SOURCE_DIR}/src)
endfunction()

function(sluice_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PUBLIC_DEPS" ${ARGN})
  add_library(sluice_${name} STATIC ${ARG_SOURCES})
  add_library(sluice::${name} ALIAS sluice_${name})
  sluice_apply_flags(sluice_${name})
  target_link_libraries(sluice_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_DEPS})
endfunction()

# sluice_test(<name> LABEL <unit|integration|e2e> SOURCES ... [DEPS ...] [TIMEOUT s] [FIXTURE f])
#   A gtest binary whose cases ctest discovers. With FIXTURE (a stack of tests/support, such as
#   auth_cassandra or cluster3) every case requires that fixture, so ctest starts the stack
#   first, and holds its RESOURCE_LOCK: under ctest -j no two cases share a stack at once (a case
#   may kill a node).
function(sluice_test name)
  cmake_parse_arguments(ARG "" "LABEL;TIMEOUT;FIXTURE" "SOURCES;DEPS" ${ARGN})
  if(NOT ARG_LABEL)
    message(FATAL_ERROR "sluice_test(${name}) needs a LABEL")
  endif()
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  set(fixture_properties)
  if(ARG_FIXTURE)
    set(fixture_properties FIXTURES_REQUIRED ${ARG_FIXTURE} RESOURCE_LOCK ${ARG_FIXTURE})
  endif()
  add_executable(${name} ${ARG_SOURCES})
  sluice_apply_flags(${name})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  gtest_discover_tests(${name}
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT} ${fixture_properties}
    DISCOVERY_TIMEOUT 60)
endfunction()

# sluice_python_crosscheck(<test name> SOURCES ... DEPS ... SCRIPT gen.py OUTPUT file ENV VAR)
#   A cross-check against the Python cassandra-driver as one ctest test (label unit): it writes
#   the driver's bytes with ${SLUICE_PYTHON} (the venv scripts/bootstrap makes) into OUTPUT, then
#   runs the gtest binary with VAR=OUTPUT. A missing driver is a failure, never a skip: a
#   cross-check that did not run proved nothing.
function(sluice_python_crosscheck test_name)
  cmake_parse_arguments(ARG "" "SCRIPT;OUTPUT;ENV;TARGET" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_TARGET} ${ARG_SOURCES})
  sluice_apply_flags(${ARG_TARGET})
  target_link_libraries(${ARG_TARGET} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main)
  add_test(NAME ${test_name}
    COMMAND sh -c "\"$1\" -c 'import cassandra' 2>/dev/null || { echo \"no cassandra-driver in $1: run scripts/bootstrap\"; exit 1; }; \
\"$1\" \"$2\" \"$3\" || exit 1; ${ARG_ENV}=\"$3\" exec \"$4\""
      sh ${SLUICE_PYTHON} ${ARG_SCRIPT} ${ARG_OUTPUT} $<TARGET_FILE:${ARG_TARGET}>)
  set_tests_properties(${test_name} PROPERTIES LABELS unit TIMEOUT 300)
endfunction()
