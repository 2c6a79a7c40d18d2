#pragma once
// The tests' browser: Debian's Chromium, headless, driven over the DevTools protocol on a
// pipe (--remote-debugging-pipe: JSON messages ending in NUL on fds 3 and 4). A page is
// opened, every console error, uncaught exception and failed resource recorded, scripts
// evaluated and a full-page screenshot taken.
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace depthguard::testing {

/// The browser binary, or none when Chromium is not installed.
std::optional<std::string> find_chromium();

class HeadlessChromium {
 public:
  /// Starts the browser (throws std::runtime_error when it cannot).
  explicit HeadlessChromium(const std::string& binary);
  ~HeadlessChromium();
  HeadlessChromium(const HeadlessChromium&) = delete;
  HeadlessChromium& operator=(const HeadlessChromium&) = delete;

  /// Opens `url` in a new tab of `width` x `height` CSS pixels and waits for its load event.
  void open(const std::string& url, int width, int height);

  /// What went wrong on the page so far: console errors, uncaught exceptions, failed loads.
  const std::vector<std::string>& problems() const { return problems_; }

  /// The value of a JavaScript expression (awaited when it is a promise), by value.
  nlohmann::json evaluate(const std::string& expression);

  /// The value of `condition`, a JavaScript function body, at the first animation frame
  /// where it is truthy: it is evaluated each frame from now on. Throws std::runtime_error
  /// naming `what` when it is still falsy after `within`. For waiting on the page's state
  /// (a chart laid out, a tooltip shown) instead of for a guessed time.
  nlohmann::json wait_until(const std::string& condition, const std::string& what,
                            std::chrono::milliseconds within = std::chrono::seconds(30));

  /// The mouse moved to (x, y) CSS pixels of the viewport, as a hover.
  void move_mouse(double x, double y);

  /// A left click at (x, y) CSS pixels of the viewport, as a mouse makes it (move, press,
  /// release).
  void click(double x, double y);

  /// A PNG of the whole page (the viewport grown to the document's height).
  std::string screenshot_png();

 private:
  nlohmann::json command(const std::string& method, const nlohmann::json& params, bool in_page = true);
  nlohmann::json wait_for(int id, const std::string& event = "");
  void note_event(const nlohmann::json& message);

  pid_t pid_ = -1;
  int to_browser_ = -1, from_browser_ = -1;
  std::string profile_dir_, pending_, session_;
  int next_id_ = 1;
  bool loaded_ = false;
  std::vector<std::string> problems_;
  std::chrono::seconds timeout_{60};
};

/// Base64 text to bytes (the screenshots come as Base64).
std::string base64_decode(const std::string& text);

}  // namespace depthguard::testing
