#include "localstack/template.h"

namespace sluice::localstack {

namespace {
bool is_name_char(char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_'; }
}  // namespace

Result<std::string> render_template(std::string_view text, const std::map<std::string, std::string>& vars) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    if (text[i] == '@') {
      std::size_t j = i + 1;
      while (j < text.size() && is_name_char(text[j])) ++j;
      if (j < text.size() && text[j] == '@' && j > i + 1) {
        std::string name(text.substr(i + 1, j - i - 1));
        auto it = vars.find(name);
        if (it == vars.end()) {
          return Error(Errc::invalid_argument, "template placeholder @" + name + "@ has no value");
        }
        out += it->second;
        i = j + 1;
        continue;
      }
    }
    out.push_back(text[i]);
    ++i;
  }
  return out;
}

}  // namespace sluice::localstack
