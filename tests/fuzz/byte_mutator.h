#pragma once
// Seeded random mutation of a file's bytes, for the parser fuzz tests: the edits that real
// damage and hostile input make (flipped bits, cut files, lost or repeated runs of bytes,
// bytes a parser treats specially), a few at a time, reproducible from the seed alone.
#include <algorithm>
#include <array>
#include <cstdint>
#include <random>
#include <string>

namespace depthguard::testing {

class ByteMutator {
 public:
  explicit ByteMutator(uint64_t seed) : random_(seed) {}

  /// `seed` with one to four edits. The result stays below twice the seed's size plus
  /// 4 KiB, so a case never grows into a memory test.
  std::string mutate(std::string bytes) {
    const size_t cap = 2 * bytes.size() + 4096;
    for (int edits = 1 + below(4); edits > 0; --edits) edit(bytes);
    if (bytes.size() > cap) bytes.resize(cap);
    return bytes;
  }

 private:
  int below(int n) { return static_cast<int>(random_() % static_cast<uint64_t>(n)); }
  size_t position(const std::string& bytes) { return bytes.empty() ? 0 : random_() % bytes.size(); }

  void edit(std::string& bytes) {
    if (bytes.empty()) {
      bytes.push_back(special());
      return;
    }
    const size_t at = position(bytes);
    const size_t run = 1 + random_() % std::min<size_t>(64, bytes.size() - at);
    switch (below(7)) {
      case 0:  // a flipped bit: storage or transfer damage
        bytes[at] = static_cast<char>(bytes[at] ^ (1 << below(8)));
        break;
      case 1:  // a byte the formats give meaning to
        bytes[at] = special();
        break;
      case 2:  // a file cut short
        bytes.resize(at);
        break;
      case 3:  // a lost run
        bytes.erase(at, run);
        break;
      case 4:  // random bytes inserted
        bytes.insert(at, random_bytes(run));
        break;
      case 5:  // a run repeated, up to a few hundred times: deep nesting, long lines
        bytes.insert(at, repeat(bytes.substr(at, run), 1 + below(300)));
        break;
      default:  // a run copied over another place of the file
        bytes.replace(position(bytes), run, bytes.substr(at, run));
        break;
    }
  }

  char special() {
    static constexpr std::array<unsigned char, 20> kBytes = {0x00, 0xFF, 0x7F, 0x80, '\n', '\r', ':', '-',
                                                            '[',  '{',  '&',  '*',  '!',  '#',  '"', ' ',
                                                            '\t', '0',  0xD9, 0x01};
    return static_cast<char>(kBytes[random_() % kBytes.size()]);
  }

  std::string random_bytes(size_t n) {
    std::string out(n, '\0');
    for (auto& c : out) c = static_cast<char>(random_() & 0xFF);
    return out;
  }

  static std::string repeat(const std::string& run, int times) {
    std::string out;
    out.reserve(run.size() * static_cast<size_t>(times));
    for (int i = 0; i < times; ++i) out += run;
    return out;
  }

  std::mt19937_64 random_;
};

}  // namespace depthguard::testing
