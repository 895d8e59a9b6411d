# The body of the fixture.<name>.up / .down ctest tests (CMakeLists.txt here).
#   cmake -DSLUICE=<sluice binary> -DHOME=<state dir> -DACTION=up|down [-DARGS=<up options>] -P stack_fixture.cmake
# up: stops whatever an interrupted earlier run left under HOME, wipes HOME and starts a fresh
#     stack (fresh data costs nothing at start-up and no test sees another run's leftovers).
# down: stops every node under HOME (SIGTERM, SIGKILL after 30 s), then drops their data dirs
#     (about 70 MB per node) and keeps conf/ and logs/ for whoever looks into a failure.
foreach(var SLUICE HOME ACTION)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "stack_fixture.cmake: -D${var}=... is required")
  endif()
endforeach()

# ctest shows each fixture test's time; sluice prints each node's time to ready.
function(run_sluice)
  string(JOIN " " command ${SLUICE} local ${ARGN} --home ${HOME})
  message(STATUS "${command}")
  execute_process(COMMAND ${SLUICE} local ${ARGN} --home ${HOME} RESULT_VARIABLE rc)
  set(rc ${rc} PARENT_SCOPE)
endfunction()

if(ACTION STREQUAL "up")
  run_sluice(down)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "could not stop what is left under ${HOME}")
  endif()
  file(REMOVE_RECURSE ${HOME})
  run_sluice(up ${ARGS})
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sluice local up failed; its nodes' logs are under ${HOME}")
  endif()
elseif(ACTION STREQUAL "down")
  run_sluice(down)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sluice local down failed: a JVM under ${HOME} may be left running")
  endif()
  file(GLOB data_dirs LIST_DIRECTORIES true ${HOME}/*/data)
  if(data_dirs)
    file(REMOVE_RECURSE ${data_dirs})
  endif()
else()
  message(FATAL_ERROR "stack_fixture.cmake: ACTION must be up or down, not ${ACTION}")
endif()
