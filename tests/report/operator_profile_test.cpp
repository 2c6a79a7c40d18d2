// The profile table divides by the steps recorded and sums what it does not show; the trace
// is Chrome's trace-event JSON.
#include "depthguard/report/operator_profile.h"

#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/data_test_support.h"

namespace depthguard {
namespace {

const std::vector<OperatorTime> kRows = {{"aten::convolution_backward", 4, 60.0, 80.0},
                                         {"aten::relu_", 8, 20.0, 20.0},
                                         {"aten::add", 2, 6.0, 6.0},
                                         {"aten::mul", 2, 4.0, 4.0}};

TEST(OperatorTable, ShowsPerStepFiguresAndSumsTheRest) {
  const auto table = operator_table(kRows, 100.0, 2, 2);
  EXPECT_NE(table.find("aten::convolution_backward       30.00   60.0%       40.00       2.0"), std::string::npos)
      << table;
  EXPECT_NE(table.find("aten::relu_"), std::string::npos);
  EXPECT_EQ(table.find("aten::add "), std::string::npos);
  EXPECT_NE(table.find("(2 other operators)"), std::string::npos) << table;
  EXPECT_NE(table.find("5.00   10.0%"), std::string::npos) << table;  // (6 + 4) / 2 steps
  EXPECT_NE(table.find("per step over 2 step(s): 50.0 ms recorded"), std::string::npos) << table;
}

TEST(OperatorTable, EdgesNoOperatorsNoTimeAndNoSteps) {
  EXPECT_NE(operator_table({}, 0.0, 1, 10).find("(0 other operators)"), std::string::npos);
  EXPECT_NE(operator_table(kRows, 0.0, 1, 10).find("0.0%"), std::string::npos);  // no division by 0
  EXPECT_THROW(operator_table(kRows, 100.0, 0, 10), c10::Error);
}

TEST(ChromeTrace, IsTraceEventJson) {
  testing::TempDir dir("chrome_trace");
  const auto path = (dir / "trace.json").string();
  write_chrome_trace(path, {{"aten::relu", "op", 10.0, 2.5, 0}, {"encoder", "scope", 5.0, 20.0, 1}});
  const auto j = nlohmann::json::parse(std::ifstream(path));
  ASSERT_EQ(j["traceEvents"].size(), 2u);
  const auto& e = j["traceEvents"][0];
  EXPECT_EQ(e["name"], "aten::relu");
  EXPECT_EQ(e["ph"], "X");
  EXPECT_EQ(e["ts"], 10.0);
  EXPECT_EQ(e["dur"], 2.5);
  EXPECT_EQ(j["traceEvents"][1]["tid"], 1);
}

}  // namespace
}  // namespace depthguard
