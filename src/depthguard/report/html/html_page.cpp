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
  for (size_t at = text.find("</"); at != std::string::npos; at = text.find("</", at + 3)) text.insert(at + 1, "\\");
  return text;
}

}  // namespace

std::string html_page(const std::string& title, const nlohmann::json& data) {
  std::string page;
  page += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>" + escape_html(title) + "</title>\n<style>\n";
  page += report_stylesheet();
  page += "</style>\n</head>\n<body>\n<main id=\"report\"><h1>" + escape_html(title) + "</h1></main>\n";
  page += "<script id=\"report-data\" type=\"application/json\">" + script_safe_json(data) + "</script>\n";
  page += "<script>\n";
  page += chart_js_library();
  page += "\n</script>\n<script>\n";
  page += report_script();
  page += "\n</script>\n</body>\n</html>\n";
  return page;
}

}  // namespace depthguard
