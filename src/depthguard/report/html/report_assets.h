#pragma once
// The files the HTML report inlines, embedded into the program at build time
// (cmake/EmbedAssets.cmake): Chart.js from Debian's libjs-chart.js, and report.js and
// report.css from src/depthguard/report/html/assets/.
#include <string_view>

namespace depthguard {

std::string_view chart_js_library();  ///< Chart.js (UMD build: defines the global Chart), with its licence header
std::string_view report_script();     ///< draws the page from its JSON data
std::string_view report_stylesheet();

}  // namespace depthguard
