#pragma once
// A self-contained HTML report page: its data as JSON, drawn in the browser by Chart.js
// (Debian's libjs-chart.js, embedded into the program at build time) and depthguard's own
// report script and style sheet, all inline, so the page needs no network and no other file.
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace depthguard {

/// The page. `data` must hold "kind" ("run" or "study"), which selects what report.js
/// draws; any text in it is safe (JSON inside a script element, with "</" escaped).
std::string html_page(const std::string& title, const nlohmann::json& data);

}  // namespace depthguard
