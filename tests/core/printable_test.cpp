#include "depthguard/core/printable.h"

#include <gtest/gtest.h>

#include "depthguard/core/errors.h"

namespace depthguard {
namespace {

TEST(Printable, EscapesControlCharactersAndKeepsTheRest) {
  EXPECT_EQ(printable(""), "");
  EXPECT_EQ(printable("data.batch_size"), "data.batch_size");
  EXPECT_EQ(printable(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(printable("\x1b[31mred"), "\\x1B[31mred");
  EXPECT_EQ(printable("\x7f\r"), "\\x7F\\x0D");
  EXPECT_EQ(printable("two\nlines\tand tab"), "two\nlines\tand tab");
  EXPECT_EQ(printable("Tiefe \xC3\xBC"), "Tiefe \xC3\xBC");  // UTF-8 stays
}

TEST(Printable, AConfigErrorQuotingANulByteKeepsItsWholeMessage) {
  const ConfigError error(std::string("model.wi\0dth: unknown key", 25));
  EXPECT_STREQ(error.what(), "model.wi\\x00dth: unknown key");
}

}  // namespace
}  // namespace depthguard
