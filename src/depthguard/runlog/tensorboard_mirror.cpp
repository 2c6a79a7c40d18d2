#include "depthguard/runlog/tensorboard_mirror.h"

#include <string>

#include <nlohmann/json.hpp>

namespace depthguard {

namespace {

void scalars(TensorBoardWriter& tb, const std::string& prefix, const nlohmann::json& fields, int64_t step) {
  for (const auto& [key, value] : fields.items()) {
    if (value.is_number() && key != "step" && key != "epoch") tb.add_scalar(prefix + key, value.get<double>(), step);
  }
}

// The event as a Markdown list: what TensorBoard's Text tab renders.
std::string event_markdown(const nlohmann::json& event, int64_t step) {
  std::string text = "**non-finite value at step " + std::to_string(step) + "**\n\n";
  for (const auto& [key, value] : event.items()) {
    text += "- " + key + ": " + (value.is_string() ? value.get<std::string>() : value.dump()) + "\n";
  }
  return text;
}

}  // namespace

void mirror_to_tensorboard(TensorBoardWriter& tb, const nlohmann::json& line) {
  const int64_t step = line.at("step").get<int64_t>();
  if (line.contains("eval")) {
    if (line["eval"].is_object()) scalars(tb, "eval/", line["eval"], step);
  } else if (line.contains("loss_scale_overflow")) {
    tb.add_scalar("guard/loss_scale_overflow", line["loss_scale_overflow"].value("scale", 0.0), step);
  } else if (line.contains("spike")) {  // a point of its own series: a marker over train/<figure>
    const auto& spike = line["spike"];
    tb.add_scalar("guard/spike_" + spike.value("figure", std::string("figure")), spike.value("value", 0.0), step);
  } else if (line.contains("nonfinite")) {
    tb.add_text("nonfinite", event_markdown(line["nonfinite"], step), step);
    tb.add_scalar("guard/nonfinite", 1, step);
  } else {
    scalars(tb, "train/", line, step);
  }
}

}  // namespace depthguard
