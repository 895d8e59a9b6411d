# Every third-party dependency comes from Debian's -dev packages, found here once.
# scripts/bootstrap installs exactly these packages.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(fmt REQUIRED)
find_package(spdlog REQUIRED)
find_package(CLI11 REQUIRED)
find_package(simdjson REQUIRED)
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka)
if(SLUICE_BUILD_TESTS)
  find_package(GTest REQUIRED)
endif()
