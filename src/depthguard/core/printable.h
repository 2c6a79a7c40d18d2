#pragma once
// Text from a user's file made safe to print inside an error message.
#include <cstdio>
#include <string>
#include <string_view>

namespace depthguard {

/// `text` with its control characters other than newline and tab written as \xNN. A NUL
/// byte from a damaged file would otherwise end the message at what(), and an escape
/// sequence would reach the terminal. Other bytes, UTF-8 included, are kept.
inline std::string printable(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\n' && c != '\t') || byte == 0x7F) {
      char escaped[5];
      std::snprintf(escaped, sizeof escaped, "\\x%02X", byte);
      out += escaped;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace depthguard
