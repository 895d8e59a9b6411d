# Every third-party dependency comes from Debian's -dev packages, found here once.
# scripts/bootstrap installs exactly these packages.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(simdjson REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
pkg_check_modules(LZ4 REQUIRED IMPORTED_TARGET liblz4)
pkg_check_modules(YAMLCPP REQUIRED IMPORTED_TARGET yaml-cpp)
pkg_check_modules(AVRO REQUIRED IMPORTED_TARGET avro-c)
find_package(date REQUIRED)  # date::date-tz: IANA time zones (gcc 12 has no std::chrono tzdb)
if(SLUICE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()

# The Python side of the independent checks (tests/, src/cql/types/tests): a venv made by
# scripts/bootstrap.
if(DEFINED ENV{SLUICE_CACHE})
  set(_sluice_cache $ENV{SLUICE_CACHE})
else()
  set(_sluice_cache $ENV{HOME}/.cache/sluice)
endif()
set(SLUICE_PYTHON ${_sluice_cache}/venv/bin/python CACHE FILEPATH "Python with the test requirements")
