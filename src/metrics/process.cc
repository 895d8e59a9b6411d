#include "metrics/process.h"

#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

namespace sluice::metrics::process {
namespace {

std::optional<std::string> read_file(const char* path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return std::nullopt;
  return text;
}

std::optional<std::uint64_t> parse_u64(std::string_view s) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// The fields of /proc/self/stat after "pid (comm) ", split on spaces: index 0 is field 3 (state)
// in proc(5)'s numbering. comm may hold spaces and parentheses, so split after the last ')'.
std::vector<std::string_view> stat_fields(std::string_view text) {
  std::vector<std::string_view> out;
  std::size_t close = text.rfind(')');
  if (close == std::string_view::npos) return out;
  text.remove_prefix(close + 1);
  while (!text.empty()) {
    std::size_t start = text.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    text.remove_prefix(start);
    std::size_t end = text.find_first_of(" \n");
    out.push_back(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end);
  }
  return out;
}

// Field `n` of /proc/self/stat in proc(5)'s numbering (1-based, n >= 3).
std::optional<std::uint64_t> stat_field(std::size_t n) {
  std::optional<std::string> text = read_file("/proc/self/stat");
  if (!text) return std::nullopt;
  std::vector<std::string_view> fields = stat_fields(*text);
  if (n < 3 || n - 3 >= fields.size()) return std::nullopt;
  return parse_u64(fields[n - 3]);
}

std::optional<double> ticks_per_second() {
  long ticks = sysconf(_SC_CLK_TCK);
  if (ticks <= 0) return std::nullopt;
  return static_cast<double>(ticks);
}

std::optional<double> boot_time_seconds() {
  std::optional<std::string> text = read_file("/proc/stat");
  if (!text) return std::nullopt;
  std::istringstream lines(*text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with("btime ")) {
      std::optional<std::uint64_t> v = parse_u64(std::string_view(line).substr(6));
      if (v) return static_cast<double>(*v);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<double> cpu_seconds() {
  std::optional<std::string> text = read_file("/proc/self/stat");
  std::optional<double> tps = ticks_per_second();
  if (!text || !tps) return std::nullopt;
  std::vector<std::string_view> fields = stat_fields(*text);
  if (fields.size() < 13) return std::nullopt;
  std::optional<std::uint64_t> utime = parse_u64(fields[14 - 3]);
  std::optional<std::uint64_t> stime = parse_u64(fields[15 - 3]);
  if (!utime || !stime) return std::nullopt;
  return static_cast<double>(*utime + *stime) / *tps;
}

std::optional<double> resident_memory_bytes() {
  std::optional<std::uint64_t> pages = stat_field(24);
  long page_size = sysconf(_SC_PAGESIZE);
  if (!pages || page_size <= 0) return std::nullopt;
  return static_cast<double>(*pages) * static_cast<double>(page_size);
}

std::optional<double> virtual_memory_bytes() {
  std::optional<std::uint64_t> bytes = stat_field(23);
  if (!bytes) return std::nullopt;
  return static_cast<double>(*bytes);
}

std::optional<double> open_fds() {
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/self/fd", ec);
  if (ec) return std::nullopt;
  double count = 0;
  for (const std::filesystem::directory_iterator end; it != end;) {
    count += 1;
    it.increment(ec);
    if (ec) return std::nullopt;
  }
  return count;
}

std::optional<double> max_fds() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return std::nullopt;
  if (limit.rlim_cur == RLIM_INFINITY) return std::numeric_limits<double>::infinity();
  return static_cast<double>(limit.rlim_cur);
}

std::optional<double> start_time_seconds() {
  std::optional<std::uint64_t> ticks = stat_field(22);
  std::optional<double> tps = ticks_per_second();
  std::optional<double> boot = boot_time_seconds();
  if (!ticks || !tps || !boot) return std::nullopt;
  return *boot + static_cast<double>(*ticks) / *tps;
}

}  // namespace sluice::metrics::process
