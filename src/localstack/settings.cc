#include "localstack/settings.h"

#include <cstdlib>
#include <filesystem>

namespace sluice::localstack {

StackSettings StackSettings::from_environment() {
  StackSettings s;
  if (const char* home = std::getenv("SLUICE_HOME"); home != nullptr && *home != '\0') {
    s.home = home;
  } else {
    s.home = (std::filesystem::current_path() / ".sluice").string();
  }
  if (const char* cache = std::getenv("SLUICE_CACHE"); cache != nullptr && *cache != '\0') {
    s.cache = cache;
  } else if (const char* user_home = std::getenv("HOME"); user_home != nullptr) {
    s.cache = std::string(user_home) + "/.cache/sluice";
  } else {
    s.cache = "/tmp/sluice-cache";
  }
  if (const char* jh = std::getenv("JAVA_HOME"); jh != nullptr && *jh != '\0') {
    s.java = std::string(jh) + "/bin/java";
  }
  s.home = std::filesystem::absolute(s.home).lexically_normal().string();
  return s;
}

}  // namespace sluice::localstack
