#pragma once
// The loop of the parser fuzz tests: mutated copies of valid files go through a parser,
// which must either accept them or reject them with a clean error. The number of cases and
// the seed come from the environment, so the same test is the suite's bounded run (a few
// hundred cases in seconds) and `make fuzz`'s long one.
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <string>
#include <typeinfo>
#include <vector>

#include <gtest/gtest.h>

#include "fuzz/byte_mutator.h"
#include "test_support.h"

namespace depthguard::testing {

/// DEPTHGUARD_FUZZ_CASES (default `fallback`) and DEPTHGUARD_FUZZ_SEED (default 2026):
/// case i of a run mutates with seed + i, so one number replays a failing case.
inline int64_t fuzz_cases(int64_t fallback) {
  const char* cases = std::getenv("DEPTHGUARD_FUZZ_CASES");
  return cases ? std::strtoll(cases, nullptr, 10) : fallback;
}
inline uint64_t fuzz_seed() {
  const char* seed = std::getenv("DEPTHGUARD_FUZZ_SEED");
  return seed ? std::strtoull(seed, nullptr, 10) : 2026;
}

inline void write_content(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

struct FuzzTally {
  int64_t accepted = 0;  ///< cases the parser read (and checked what it read)
  int64_t rejected = 0;  ///< cases it refused with a clean error
};

/// One parser under fuzzing: the file it reads, valid contents to mutate, and the call.
/// `parse` reads `input` and checks what it got with gtest assertions; it throws when it
/// refuses the file. A refusal is clean when it is a `Clean` (the type the parser
/// documents) whose message passes `names_input` (by default: contains `input`).
template <class Clean>
struct FuzzTarget {
  std::filesystem::path input;
  std::vector<std::string> seeds;
  std::function<void()> parse;
  std::function<bool(const std::string&)> names_input;
};

/// Runs `cases` mutated inputs through `target`. An unclean refusal fails the test, names
/// the case and the exception, and keeps the bytes in ./fuzz-failures/ (ctest runs in the
/// build folder); a crash leaves the last case in `target.input`.
template <class Clean>
FuzzTally run_fuzz(const FuzzTarget<Clean>& target, int64_t cases) {
  const auto names = target.names_input ? target.names_input : [&](const std::string& message) {
    return message.find(target.input.string()) != std::string::npos;
  };
  const auto fail = [&](int64_t index, const std::string& bytes, const std::string& why) {
    const auto kept = std::filesystem::absolute("fuzz-failures") / (target.input.filename().string() + "." +
                                                                     std::to_string(index));
    std::filesystem::create_directories(kept.parent_path());
    write_content(kept, bytes);
    ADD_FAILURE() << "case " << index << " (DEPTHGUARD_FUZZ_SEED=" << fuzz_seed() << "), input kept in " << kept
                  << ": " << why;
  };
  for (const auto& seed : target.seeds) {  // the unmutated files must read, or nothing is tested
    write_content(target.input, seed);
    target.parse();
    if (::testing::Test::HasFailure()) return {};
  }
  std::cout << "fuzzing " << cases << " cases through " << target.input << "\n";
  FuzzTally tally;
  for (int64_t i = 0; i < cases; ++i) {
    const auto& seed = target.seeds[static_cast<size_t>(i) % target.seeds.size()];
    const auto bytes = ByteMutator(fuzz_seed() + static_cast<uint64_t>(i)).mutate(seed);
    write_content(target.input, bytes);
    try {
      target.parse();
      ++tally.accepted;
      if (::testing::Test::HasFailure()) fail(i, bytes, "accepted, but what it read is wrong (above)");
    } catch (const Clean& e) {
      if (names(e.what())) {
        ++tally.rejected;
      } else {
        fail(i, bytes, std::string("the error does not name the file: ") + e.what());
      }
    } catch (const std::exception& e) {
      fail(i, bytes, std::string("unexpected ") + typeid(e).name() + ": " + e.what());
    } catch (...) {
      fail(i, bytes, "an exception that is not a std::exception");
    }
    if (::testing::Test::HasFailure()) break;  // one reproducible case is enough
  }
  std::cout << "accepted " << tally.accepted << ", rejected " << tally.rejected << "\n";
  return tally;
}

}  // namespace depthguard::testing
