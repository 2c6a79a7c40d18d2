#include "depthguard/report/html/html_report.h"

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "data/data_test_support.h"
#include "depthguard/report/html/base64.h"
#include "depthguard/report/html/html_page.h"
#include "test_support.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;
using testing::error_message;

// RFC 4648, section 10.
TEST(Base64, MatchesTheRfcTestVectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64_encode(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(HtmlPage, TextThatWouldCloseTheScriptStaysInsideIt) {
  const auto page = html_page("a <b> & c", {{"kind", "run"}, {"note", "</script><script>alert(1)</script>"}});
  EXPECT_NE(page.find("<title>a &lt;b&gt; &amp; c</title>"), std::string::npos);
  EXPECT_EQ(page.find("</script><script>alert"), std::string::npos);
  EXPECT_NE(page.find("<\\/script><script>alert(1)<\\/script>"), std::string::npos);
  // Self-contained: Chart.js and the report script are inline, nothing is loaded.
  EXPECT_NE(page.find("Chart.js v"), std::string::npos);
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);
  EXPECT_EQ(page.find("<link"), std::string::npos);
}

void write_lines(const fs::path& path, const std::string& text) { std::ofstream(path, std::ios::binary) << text; }

TEST(HtmlReport, ReadsARunsLinesEventsAndFacts) {
  testing::TempDir dir("html_report_run");
  write_lines(dir / "metrics.jsonl",
              "{\"step\":1,\"loss\":2.5,\"lr\":0.1}\n"
              "{\"step\":2,\"nonfinite\":{\"stage\":\"loss\",\"action\":\"skip\",\"samples\":[\"a\"]}}\n"
              "{\"step\":2,\"eval\":{\"abs_rel\":0.3},\"images\":4}\n"
              "{\"step\":2,\"loss_scale_overflow\":{\"scale\":512,\"in_a_row\":1}}\n"
              "{\"step\":3,\"loss\":");  // a line cut short by a killed writer
  write_lines(dir / "config.yaml", "model: {arch: unet}\n");
  const auto data = run_report_data(dir.str());
  EXPECT_EQ(data["kind"], "run");
  ASSERT_EQ(data["train"].size(), 1u);
  EXPECT_EQ(data["train"][0]["loss"], 2.5);
  ASSERT_EQ(data["events"].size(), 1u);
  EXPECT_EQ(data["events"][0]["step"], 2);
  EXPECT_EQ(data["events"][0]["stage"], "loss");
  ASSERT_EQ(data["eval"].size(), 1u);
  ASSERT_EQ(data["overflows"].size(), 1u);  // neither a training line nor an event
  EXPECT_EQ(data["overflows"][0]["scale"], 512);
  EXPECT_TRUE(data["summary"].is_null());  // still training
  EXPECT_TRUE(data["samples"].is_null());
  EXPECT_EQ(data["config"], "model: {arch: unet}\n");
  const auto path = write_html_report(dir.str());
  EXPECT_EQ(path, (dir / "report.html").string());
  EXPECT_TRUE(fs::exists(path));
}

TEST(HtmlReport, AMalformedLineOrAMissingFileIsNamed) {
  testing::TempDir dir("html_report_bad");
  write_lines(dir / "metrics.jsonl", "{\"step\":1,\"loss\":2.5}\nnot json\n{\"step\":3}\n");
  const auto bad_line = error_message([&] { run_report_data(dir.str()); });
  EXPECT_NE(bad_line.find("metrics.jsonl:2: not a JSON object"), std::string::npos) << bad_line;
  write_lines(dir / "metrics.jsonl", "{\"loss\":2.5}\n{\"step\":3}\n");
  EXPECT_NE(error_message([&] { run_report_data(dir.str()); }).find("metrics.jsonl:1: not a metrics line"),
            std::string::npos);
  write_lines(dir / "metrics.jsonl", "{\"step\":1}\n");
  write_lines(dir / "summary.json", "{\"steps\": ");
  EXPECT_NE(error_message([&] { run_report_data(dir.str()); }).find("summary.json: not valid JSON"), std::string::npos);
  // Samples named by samples.json but missing.
  fs::remove(dir / "summary.json");
  fs::create_directories(dir / "samples");
  write_lines(dir / "samples" / "samples.json", R"({"step": 1, "samples": [{"id": "x", "file": "sample-0.png"}]})");
  EXPECT_NE(error_message([&] { run_report_data(dir.str()); }).find("sample-0.png: cannot be read"), std::string::npos);
  write_lines(dir / "samples" / "samples.json", R"({"step": 1, "samples": 5})");
  EXPECT_NE(error_message([&] { run_report_data(dir.str()); }).find("samples.json: no list of samples"), std::string::npos);
  write_lines(dir / "samples" / "samples.json", R"({"step": 1, "samples": [{"id": "x", "file": "../../etc/passwd"}]})");
  EXPECT_NE(error_message([&] { run_report_data(dir.str()); }).find("a sample without a file name in samples/"),
            std::string::npos);

  const auto neither = error_message([&] { write_html_report((dir / "samples").string()); });
  EXPECT_NE(neither.find("neither a training run (no metrics.jsonl) nor a study (no study.json)"), std::string::npos);
  write_lines(dir / "samples" / "study.json", "{\"runs\": []}");
  EXPECT_NE(error_message([&] { write_html_report((dir / "samples").string()); }).find("not a study result"),
            std::string::npos);
  EXPECT_FALSE(fs::exists(dir / "samples" / "report.html"));
}

}  // namespace
}  // namespace depthguard
