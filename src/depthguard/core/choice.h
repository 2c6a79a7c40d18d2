#pragma once
// Named choices for enum-valued settings: one table per enum maps names to values, so
// parsing, printing and the "allowed values" of an error message cannot drift apart.
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "depthguard/core/errors.h"

namespace depthguard {

template <class E>
using ChoiceTable = std::vector<std::pair<std::string, E>>;

/// "a, b, c": the names of a table, in table order.
template <class E>
std::string choice_names(const ChoiceTable<E>& table) {
  std::string out;
  for (const auto& [name, value] : table) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

/// The value named `name`. Throws InvalidArgument "KEY: 'name' is not one of a, b, c",
/// where `key` names the option (a CLI flag such as "--colormap"; config/ passes the YAML
/// key path and turns the error into a ConfigError).
template <class E>
E parse_choice(const ChoiceTable<E>& table, std::string_view key, std::string_view name) {
  for (const auto& [candidate, value] : table) {
    if (candidate == name) return value;
  }
  throw InvalidArgument(std::string(key) + ": '" + std::string(name) + "' is not one of " +
                        choice_names(table));
}

/// The name of `value`; every enum value has one by construction of its table.
template <class E>
const std::string& choice_name(const ChoiceTable<E>& table, E value) {
  for (const auto& [name, candidate] : table) {
    if (candidate == value) return name;
  }
  throw std::logic_error("choice table misses an enum value");
}

}  // namespace depthguard
