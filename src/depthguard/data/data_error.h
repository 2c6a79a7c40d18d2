#pragma once
#include <stdexcept>

namespace depthguard {

/// A sample or file that cannot be used; the message names the file and the problem.
class DataError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

}  // namespace depthguard
