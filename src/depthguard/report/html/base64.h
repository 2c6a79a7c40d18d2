#pragma once
// Base64 (RFC 4648, standard alphabet, padded): how the HTML report inlines its pictures
// as data: URLs.
#include <string>
#include <string_view>

namespace depthguard {

/// The Base64 text of `bytes`; empty input gives "".
std::string base64_encode(std::string_view bytes);

}  // namespace depthguard
