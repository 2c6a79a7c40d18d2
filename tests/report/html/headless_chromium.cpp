#include "report/html/headless_chromium.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace depthguard::testing {

namespace fs = std::filesystem;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::optional<std::string> find_chromium() {
  for (const char* candidate : {"/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"}) {
    if (::access(candidate, X_OK) == 0) return std::string(candidate);
  }
  return std::nullopt;
}

HeadlessChromium::HeadlessChromium(const std::string& binary) {
  profile_dir_ = (fs::temp_directory_path() / ("depthguard_chromium_" + std::to_string(::getpid()))).string();
  fs::remove_all(profile_dir_);
  fs::create_directories(profile_dir_);
  int in[2], out[2];  // in: test -> browser (its fd 3); out: browser -> test (its fd 4)
  if (::pipe(in) != 0 || ::pipe(out) != 0) throw std::runtime_error("pipe failed");
  const std::string profile = "--user-data-dir=" + profile_dir_;  // before fork: the child only calls exec
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    // Move the pipe ends clear of 3 and 4 before placing them there.
    const int read_end = ::fcntl(in[0], F_DUPFD, 10), write_end = ::fcntl(out[1], F_DUPFD, 10);
    ::dup2(read_end, 3);
    ::dup2(write_end, 4);
    const int quiet = ::open("/dev/null", O_WRONLY);
    ::dup2(quiet, 1);
    ::dup2(quiet, 2);
    ::execl(binary.c_str(), binary.c_str(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--hide-scrollbars", "--mute-audio", "--disable-extensions", "--remote-debugging-pipe",
            profile.c_str(), "about:blank", static_cast<char*>(nullptr));
    std::_Exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  to_browser_ = in[1];
  from_browser_ = out[0];
}

HeadlessChromium::~HeadlessChromium() {
  try {
    command("Browser.close", json::object(), false);
  } catch (...) {  // a browser that does not answer is killed below
  }
  if (to_browser_ >= 0) ::close(to_browser_);
  if (from_browser_ >= 0) ::close(from_browser_);
  for (int i = 0; i < 50 && ::waitpid(pid_, nullptr, WNOHANG) == 0; ++i) ::usleep(100 * 1000);
  if (::waitpid(pid_, nullptr, WNOHANG) == 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  std::error_code ignored;
  fs::remove_all(profile_dir_, ignored);
}

json HeadlessChromium::command(const std::string& method, const json& params, bool in_page) {
  const int id = next_id_++;
  json message{{"id", id}, {"method", method}, {"params", params}};
  if (in_page && !session_.empty()) message["sessionId"] = session_;
  const std::string text = message.dump() + '\0';
  for (size_t sent = 0; sent < text.size();) {
    const ssize_t n = ::write(to_browser_, text.data() + sent, text.size() - sent);
    if (n <= 0) throw std::runtime_error("the browser closed its pipe (sending " + method + ")");
    sent += static_cast<size_t>(n);
  }
  const json reply = wait_for(id);
  if (reply.contains("error")) throw std::runtime_error(method + ": " + reply["error"].dump());
  return reply.value("result", json::object());
}

// Reads messages until the reply to `id` (or, for id 0, the page event `event`) arrives;
// every event on the way is noted.
json HeadlessChromium::wait_for(int id, const std::string& event) {
  const auto deadline = Clock::now() + timeout_;
  while (true) {
    for (size_t end; (end = pending_.find('\0')) != std::string::npos;) {
      const json message = json::parse(pending_.substr(0, end));
      pending_.erase(0, end + 1);
      if (id != 0 && message.value("id", 0) == id) return message;
      note_event(message);
      if (id == 0 && message.value("method", "") == event) return message;
    }
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) throw std::runtime_error("the browser did not answer within " + std::to_string(timeout_.count()) + " s");
    pollfd p{from_browser_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
    char buffer[65536];
    const ssize_t n = ::read(from_browser_, buffer, sizeof buffer);
    if (n <= 0) throw std::runtime_error("the browser closed its pipe");
    pending_.append(buffer, static_cast<size_t>(n));
  }
}

void HeadlessChromium::note_event(const json& message) {
  const std::string method = message.value("method", "");
  const json params = message.value("params", json::object());
  if (method == "Runtime.consoleAPICalled" && (params.value("type", "") == "error" || params.value("type", "") == "assert")) {
    problems_.push_back("console." + params.value("type", "") + ": " + params.value("args", json::array()).dump());
  } else if (method == "Runtime.exceptionThrown") {
    problems_.push_back("uncaught exception: " + params["exceptionDetails"].dump());
  } else if (method == "Log.entryAdded" && params["entry"].value("level", "") == "error") {
    problems_.push_back("log error: " + params["entry"].value("text", "") + " " + params["entry"].value("url", ""));
  } else if (method == "Network.loadingFailed") {
    problems_.push_back("failed resource: " + params.dump());
  } else if (method == "Page.loadEventFired") {
    loaded_ = true;
  }
}

void HeadlessChromium::open(const std::string& url, int width, int height) {
  const auto target = command("Target.createTarget", {{"url", "about:blank"}}, false);
  session_ = command("Target.attachToTarget", {{"targetId", target["targetId"]}, {"flatten", true}}, false)["sessionId"];
  for (const char* domain : {"Runtime.enable", "Log.enable", "Network.enable", "Page.enable"}) command(domain, json::object());
  command("Emulation.setDeviceMetricsOverride",
          {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
  loaded_ = false;
  command("Page.navigate", {{"url", url}});
  if (!loaded_) wait_for(0, "Page.loadEventFired");
}

json HeadlessChromium::evaluate(const std::string& expression) {
  const auto result = command("Runtime.evaluate", {{"expression", expression}, {"returnByValue", true}, {"awaitPromise", true}});
  if (result.contains("exceptionDetails")) throw std::runtime_error("evaluate: " + result["exceptionDetails"].dump());
  return result["result"].value("value", json());
}

json HeadlessChromium::wait_until(const std::string& condition, const std::string& what,
                                  std::chrono::milliseconds within) {
  const auto result = evaluate("new Promise((resolve, reject) => {\n"
                               "  const condition = () => {\n" + condition + "\n};\n"
                               "  const deadline = performance.now() + " + std::to_string(within.count()) + ";\n"
                               "  const poll = () => {\n"
                               "    const value = condition();\n"
                               "    if (value) resolve({ value });\n"
                               "    else if (performance.now() > deadline) resolve({ timedOut: true });\n"
                               "    else requestAnimationFrame(poll);\n"
                               "  };\n"
                               "  poll();\n"
                               "})");
  if (result.value("timedOut", false)) {
    throw std::runtime_error("the page did not reach '" + what + "' within " + std::to_string(within.count()) + " ms");
  }
  return result["value"];
}

void HeadlessChromium::move_mouse(double x, double y) {
  command("Input.dispatchMouseEvent", {{"type", "mouseMoved"}, {"x", x}, {"y", y}});
}

void HeadlessChromium::click(double x, double y) {
  move_mouse(x, y);
  for (const char* type : {"mousePressed", "mouseReleased"}) {
    command("Input.dispatchMouseEvent", {{"type", type}, {"x", x}, {"y", y}, {"button", "left"}, {"clickCount", 1}});
  }
}

std::string HeadlessChromium::screenshot_png() {
  const int width = evaluate("document.documentElement.clientWidth").get<int>();
  const int height = evaluate("document.documentElement.scrollHeight").get<int>();
  command("Emulation.setDeviceMetricsOverride",
          {{"width", width}, {"height", height}, {"deviceScaleFactor", 1}, {"mobile", false}});
  // Charts redraw at the new size on the next frames.
  evaluate("new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(r, 100))))");
  return base64_decode(command("Page.captureScreenshot", {{"format", "png"}})["data"].get<std::string>());
}

std::string base64_decode(const std::string& text) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t group = 0;
  int bits = 0;
  for (const char c : text) {
    const auto value = alphabet.find(c);
    if (value == std::string::npos) continue;  // '=' padding
    group = (group << 6) | static_cast<uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((group >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace depthguard::testing
