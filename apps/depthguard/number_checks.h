#pragma once
// Option checks whose messages say what is meant: CLI11's PositiveNumber and
// NonNegativeNumber print their range as "0 to 1797693134862315708...".
#include <string>

#include <CLI/CLI.hpp>

namespace depthguard {

/// Accepts a number above `bound` (strictly, or at least it when `inclusive`).
inline CLI::Validator number_above(double bound, bool inclusive) {
  const std::string rule = std::string(inclusive ? ">= " : "> ") + CLI::detail::to_string(bound);
  return CLI::Validator(
      [bound, inclusive, rule](std::string& text) -> std::string {
        double value = 0;
        size_t used = 0;
        try {
          value = std::stod(text, &used);
        } catch (const std::exception&) {
          used = 0;
        }
        if (used != text.size()) return "'" + text + "' is not a number";
        const bool ok = inclusive ? value >= bound : value > bound;
        return ok ? std::string() : "must be " + rule + ", got " + text;
      },
      "NUMBER " + rule);
}

inline CLI::Validator positive() { return number_above(0, false); }
inline CLI::Validator non_negative() { return number_above(0, true); }

}  // namespace depthguard
