#include "depthguard/report/html/html_page.h"

#include <nlohmann/json.hpp>

#include "depthguard/report/html/report_assets.h"

namespace depthguard {

namespace {

// Text as HTML character data.
std::string escape_html(const std::string& text) {
  std::string out;
  for (const char c : text) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// JSON that cannot end the script element holding it: "</" becomes "<\/", the same string.
std::string script_safe_json(const nlohmann::json& data) {
  std::string text = data.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  std::string safe;
  safe.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    safe += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/') safe += '\\';
  }
  return safe;
}

}  // namespace

std::string html_page(const std::string& title, const nlohmann::json& data) {
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + escape_html(title) + "</title>\n<style>\n";
  page += report_stylesheet();
  page += "</style>\n</head>\n<body>\n<main id=\"report\"><h1>" + escape_html(title) + "</h1></main>\n";
  page.append("<script id=\"report-data\" type=\"application/json\">").append(script_safe_json(data)).append("</script>\n");
  page += "<script>\n";
  page += chart_js_library();
  page += "\n</script>\n<script>\n";
  page += report_script();
  page += "\n</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace depthguard
