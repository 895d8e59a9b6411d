# sluice::codec_avro: Avro records (Confluent wire format, plain bodies) decoded into Datum with
# Apache Avro C, after our own scan of each record (see avro.h).
sluice_library(codec_avro SOURCES avro.cc PUBLIC_DEPS sluice::base DEPS PkgConfig::AVRO)

if(SLUICE_BUILD_TESTS)
  sluice_test(codec_avro_test LABEL unit SOURCES tests/avro_test.cc DEPS sluice::codec_avro)
  # The .avsc files the directory and file loading tests read.
  target_compile_definitions(codec_avro_test PRIVATE SLUICE_AVRO_TEST_SCHEMAS="${CMAKE_CURRENT_SOURCE_DIR}/tests/avro")
endif()
