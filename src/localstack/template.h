// Renders configuration templates: every "@NAME@" is replaced by vars["NAME"].
// A placeholder with no value is an error naming it, so a template and its caller cannot drift
// apart silently. "@@" is not special; names are [A-Z0-9_]+.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "base/result.h"

namespace sluice::localstack {

Result<std::string> render_template(std::string_view text, const std::map<std::string, std::string>& vars);

}  // namespace sluice::localstack
