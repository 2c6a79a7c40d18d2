// The HTML reports in a real browser (headless Chromium): a run that met a NaN and a small
// study, each opened as a user opens report.html. The test fails on any console error,
// uncaught exception or failed resource, checks that every chart drew (a canvas with
// painted pixels and data), that the NaN marker is on the curves and the samples loaded,
// and saves a full-page screenshot under the build directory (screenshots/).
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/cli_run.h"
#include "data/data_test_support.h"
#include "report/html/headless_chromium.h"
#include "test_paths.h"
#include "train/tiny_run.h"

namespace depthguard {
namespace {

namespace fs = std::filesystem;
using json = nlohmann::json;

// Per chart: its size, painted pixels, data points and NaN markers; and the page's pictures.
constexpr const char* kPageCheck = R"js((() => {
  const charts = [...document.querySelectorAll('canvas[data-chart]')].map(c => {
    const chart = Chart.getChart(c);
    const pixels = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let painted = 0;
    for (let i = 3; i < pixels.length; i += 4) if (pixels[i] !== 0) painted++;
    const sets = chart ? chart.data.datasets : [];
    return { name: c.dataset.chart, width: c.width, height: c.height, painted,
             points: sets.filter(d => !d.isEvent).reduce((n, d) => n + d.data.filter(v => v !== null).length, 0),
             markers: sets.filter(d => d.isEvent).reduce((n, d) => n + d.data.length, 0) };
  });
  const images = [...document.images].map(i => ({ loaded: i.complete && i.naturalWidth > 0 }));
  return { rendered: document.body.dataset.rendered === 'true', charts, images,
           events: document.querySelectorAll('details.event').length,
           rows: document.querySelectorAll('tbody tr').length };
})())js";

// The run and the study are made once per process, by the first test that needs them,
// inside the test (a failure there fails the test; in SetUpTestSuite ctest would count it
// as skipped) and in a directory of this process's own (ctest runs the tests in parallel
// processes).
class ReportInBrowser : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!testing::find_chromium()) {
      GTEST_SKIP() << "Chromium is not installed (Debian: chromium; scripts/install-deps.sh installs it)";
    }
  }

  static const testing::TempDir& dir() {
    static const testing::TempDir made("report_browser_" + std::to_string(::getpid()));
    return made;
  }

  // A tiny run whose gradient is poisoned at step 2 (skipped by the sentinel), evaluated
  // twice, then its report. Its loss scale starts so high that the first step overflows
  // (routine overflows, drawn on a chart of their own).
  static fs::path run_report() {
    static bool made = false;
    const auto run = dir() / "run";
    if (!made) {
      std::ofstream(dir() / "tiny.yaml") << testing::tiny_run_yaml(6);
      const auto r = run_cli("--threads 1 train --no-progress --config " + (dir() / "tiny.yaml").string() + " --out " +
                             run.string() + " --set eval.interval=3 --inject gradient:nan:2" +
                             " --set train.loss_scaling=dynamic --set train.init_scale=1e38");
      EXPECT_EQ(r.exit_code, 0) << r.output;
      const auto report = run_cli("--log-level warn report " + run.string());
      EXPECT_EQ(report.exit_code, 0) << report.output;
      made = true;
    }
    return run / "report.html";
  }

  // Two variants over two seeds: the naive head under a huge negative bias halts at once
  // (V2), the fused one trains; the study writes report.html itself.
  static fs::path study_report() {
    static bool made = false;
    const auto study = dir() / "study";
    if (!made) {
      std::ofstream(dir() / "base.yaml") << testing::tiny_run_yaml(3);
      std::ofstream(dir() / "study.yaml") << "base: base.yaml\nseeds: 2\njobs: 2\nset: {model.head_bias: -100.0}\n"
                                             "variants:\n  - {name: naive, set: {model.head: naive}}\n"
                                             "  - {name: fused, set: {model.head: fused}}\n";
      const auto r = run_cli("study --no-progress --config " + (dir() / "study.yaml").string() + " --out " +
                             study.string());
      EXPECT_EQ(r.exit_code, 0) << r.output;
      made = true;
    }
    return study / "report.html";
  }

  // Opens `page`, saves its screenshot as screenshots/<name>.png and returns the page check.
  static json open_and_check(const fs::path& page, const std::string& name) {
    testing::HeadlessChromium browser(*testing::find_chromium());
    browser.open("file://" + fs::absolute(page).string(), 1280, 900);
    const json check = browser.evaluate(kPageCheck);
    const auto shots = fs::path(DEPTHGUARD_BINARY_DIR) / "screenshots";
    fs::create_directories(shots);
    std::ofstream(shots / (name + ".png"), std::ios::binary) << browser.screenshot_png();
    EXPECT_TRUE(browser.problems().empty()) << ::testing::PrintToString(browser.problems());
    return check;
  }

  static json chart(const json& check, const std::string& name) {
    for (const auto& c : check["charts"]) {
      if (c["name"] == name) return c;
    }
    ADD_FAILURE() << "no chart " << name << " in " << check.dump();
    return json::object();
  }

  static void expect_drawn(const json& c) {
    EXPECT_GT(c.value("width", 0), 200) << c.dump();
    EXPECT_GT(c.value("painted", 0), 2000) << c.dump();
    EXPECT_GT(c.value("points", 0), 0) << c.dump();
  }

};

TEST_F(ReportInBrowser, ARunShowsItsCurvesTheNanMarkerSamplesAndTables) {
  const auto check = open_and_check(run_report(), "run-report");
  EXPECT_TRUE(check["rendered"]) << check.dump();
  for (const char* name : {"loss", "norms", "lr", "throughput", "eval", "loss-scale"}) expect_drawn(chart(check, name));
  EXPECT_EQ(chart(check, "loss-scale")["markers"], 1) << "the NaN event on the scale's curve too";
  // The skipped step: one marker on each curve that shows events, one event in the list.
  EXPECT_EQ(chart(check, "loss")["markers"], 1) << check.dump();
  EXPECT_EQ(chart(check, "norms")["markers"], 1) << check.dump();
  EXPECT_EQ(check["events"], 1);
  ASSERT_EQ(check["images"].size(), 2u) << check.dump();  // the two held-out scenes
  for (const auto& image : check["images"]) EXPECT_TRUE(image["loaded"]) << check.dump();
  EXPECT_GE(check["rows"], 9) << check.dump();  // the Eigen table's nine metrics
}

TEST_F(ReportInBrowser, AStudyShowsRatesStepsCausesAccuracyAndRuns) {
  const auto check = open_and_check(study_report(), "study-report");
  EXPECT_TRUE(check["rendered"]) << check.dump();
  for (const char* name : {"rates", "first-steps", "causes", "accuracy-abs_rel", "accuracy-d1"}) {
    expect_drawn(chart(check, name));
  }
  EXPECT_EQ(chart(check, "first-steps")["points"], 2) << "the two naive runs halted";
  EXPECT_GE(check["rows"], 2 + 4) << check.dump();  // two arms, four runs
}

// Where the loss chart's NaN marker is, in viewport pixels, once the page is settled: fonts
// and pictures loaded and the marker at the same place for 5 animation frames (a chart is
// laid out again when its box changes size, which a loaded picture or font can cause).
constexpr const char* kSettledMarker = R"js(
  const canvas = document.querySelector('canvas[data-chart="loss"]');
  const chart = Chart.getChart(canvas);
  if (!chart || document.fonts.status !== 'loaded' || [...document.images].some(i => !i.complete)) return null;
  const marker = chart.getDatasetMeta(chart.data.datasets.findIndex(d => d.isEvent)).data[0];
  const box = canvas.getBoundingClientRect();
  const at = { x: box.left + marker.x, y: box.top + marker.y, width: box.width, height: box.height };
  const key = JSON.stringify(at);
  window.markerFrames = window.markerKey === key ? window.markerFrames + 1 : 0;
  window.markerKey = key;
  return window.markerFrames >= 5 && at.y >= 0 && at.y < innerHeight ? at : null;
)js";

// The loss chart's tooltip, once the chart shows one: its lines, and the datasets of its
// items.
constexpr const char* kShownTooltip = R"js(
  const chart = Chart.getChart(document.querySelector('canvas[data-chart="loss"]'));
  const items = chart.tooltip.getActiveElements();
  if (!items.length || !chart.tooltip.body) return null;
  return { lines: chart.tooltip.body.flatMap(b => b.lines).join('\n'),
           events: items.filter(i => chart.data.datasets[i.datasetIndex].isEvent).length };
)js";

// Hovering the marker names the cause in the tooltip; clicking it opens the event's
// forensics report below the charts. Each step waits for the page's own state (laid out,
// tooltip shown, report open), never for a guessed time or pixel.
TEST_F(ReportInBrowser, TheNanMarkerShowsItsCauseOnHoverAndOpensItsReportOnClick) {
  testing::HeadlessChromium browser(*testing::find_chromium());
  browser.open("file://" + run_report().string(), 1280, 900);
  const auto at = browser.wait_until(kSettledMarker, "the loss chart laid out, its marker in view");
  const double x = at["x"].get<double>(), y = at["y"].get<double>();
  browser.move_mouse(x, y);
  const auto tooltip = browser.wait_until(kShownTooltip, "a tooltip on the loss chart");
  EXPECT_EQ(tooltip["events"], 1) << tooltip.dump();
  EXPECT_NE(tooltip["lines"].get<std::string>().find("cause: injected"), std::string::npos) << tooltip.dump();
  EXPECT_FALSE(browser.evaluate("document.getElementById('event-0').open").get<bool>()) << "open before the click";
  browser.click(x, y);
  EXPECT_NO_THROW(browser.wait_until("return document.getElementById('event-0').open;", "event-0's report open"));
  EXPECT_TRUE(browser.problems().empty()) << ::testing::PrintToString(browser.problems());
}

// A long run's log (120 000 lines: a million steps logged every 10 minus a bit) draws: no
// argument-count or stack limit of the browser is reached, and the marker is on the curve.
TEST_F(ReportInBrowser, ALongRunDrawsWithinTheBrowsersLimits) {
  const auto run = dir() / "long";
  fs::create_directories(run);
  {
    std::ofstream log(run / "metrics.jsonl");
    for (int64_t step = 10; step <= 1200000; step += 10) {
      log << json{{"step", step}, {"loss", 3.0 - step * 1e-6}, {"objective", 1.0}, {"lr", 1e-3},
                  {"grad_norm", 1.5}, {"weight_norm", 50.0}, {"images_per_s", 80.0}}.dump() << "\n";
      if (step == 600000) log << json{{"step", step}, {"nonfinite", {{"stage", "loss"}, {"action", "skip"}}}}.dump() << "\n";
    }
  }
  const auto report = run_cli("--log-level warn report " + run.string());
  ASSERT_EQ(report.exit_code, 0) << report.output;
  const auto check = open_and_check(run / "report.html", "long-run-report");
  expect_drawn(chart(check, "loss"));
  // Chart.js's decimation draws each 120 000-point curve with 1000 points.
  EXPECT_EQ(chart(check, "loss")["points"], 2 * 1000) << "two curves, decimated";
  EXPECT_EQ(chart(check, "loss")["markers"], 1);
}

// The browser check itself can fail: a page with a console error, an uncaught exception
// and a missing picture reports all three.
TEST_F(ReportInBrowser, TheBrowserCheckSeesErrorsExceptionsAndMissingFiles) {
  std::ofstream(dir() / "broken.html") << "<!DOCTYPE html><html><body><img src=\"missing.png\">"
                                          "<script>console.error('drawn wrong'); throw new Error('boom');</script>"
                                          "</body></html>";
  testing::HeadlessChromium browser(*testing::find_chromium());
  browser.open("file://" + (dir() / "broken.html").string(), 800, 600);
  browser.evaluate("new Promise(r => setTimeout(r, 200))");  // the image's failure arrives after load
  const auto problems = ::testing::PrintToString(browser.problems());
  EXPECT_NE(problems.find("drawn wrong"), std::string::npos) << problems;
  EXPECT_NE(problems.find("boom"), std::string::npos) << problems;
  EXPECT_NE(problems.find("missing.png"), std::string::npos) << problems;
}

}  // namespace
}  // namespace depthguard
