#pragma once
// A random stream that gives the same numbers on every machine and standard library:
// std::mt19937_64's output is fixed by the standard, but std::*_distribution is not, so
// the conversions to doubles, ranges and normals are written here.
#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <random>

namespace depthguard {

/// SplitMix64 finaliser: a well-mixed 64-bit hash of one word.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// A seed for the stream named by `words` (for example seed, purpose, epoch, index), so
/// that every (seed, index) pair has its own independent stream.
inline uint64_t stream_seed(std::initializer_list<uint64_t> words) {
  uint64_t h = 0x6A09E667F3BCC909ULL;
  for (const uint64_t w : words) h = mix64(h ^ mix64(w));
  return h;
}

class Random {
 public:
  explicit Random(uint64_t seed) : engine_(seed) {}
  Random(std::initializer_list<uint64_t> words) : engine_(stream_seed(words)) {}

  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  /// Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [lo, hi] (inclusive); the modulo bias is below 2^-40 for any
  /// range this project uses.
  int64_t integer(int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(engine_() % static_cast<uint64_t>(hi - lo + 1));
  }
  bool chance(double p) { return uniform() < p; }
  /// Standard normal (Box-Muller).
  double normal() {
    const double u1 = 1.0 - uniform();  // in (0, 1]: log is finite
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  uint64_t next() { return engine_(); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace depthguard
