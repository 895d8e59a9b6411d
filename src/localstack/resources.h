// Files of deploy/local/ embedded into the binary at build time (see CMakeLists.txt), so
// `sluice local` runs from any directory. Keys are paths relative to deploy/local/.
#pragma once

#include <string_view>

namespace sluice::localstack {

// The text of an embedded file, or an empty view if there is none by that name.
std::string_view resource(std::string_view name);

// Server versions pinned in deploy/local/<server>/pom.xml (<server.version>).
std::string_view cassandra_version();
std::string_view kafka_version();

}  // namespace sluice::localstack
