#pragma once
// CRC-32C (Castagnoli), the checksum of TensorFlow's record files (TensorBoard's event
// files), and the "masked" form those files store.
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace depthguard {

/// The CRC-32C of `bytes` (polynomial 0x1EDC6F41, reflected, initial and final XOR
/// 0xFFFFFFFF, as in RFC 3720). Empty input gives 0.
uint32_t crc32c(std::string_view bytes);

/// The form record files store: the CRC rotated right by 15 bits plus 0xA282EAD8 (mod 2^32),
/// so that a CRC computed over data that itself holds CRCs does not degenerate.
uint32_t masked_crc32c(std::string_view bytes);

}  // namespace depthguard
