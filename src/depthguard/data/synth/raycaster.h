#pragma once
// Renders a Scene by casting one ray per pixel: an RGB image with Lambertian shading,
// ambient light, hard shadows and procedural textures, and the metric depth of each pixel.
#include <opencv2/core.hpp>

#include "depthguard/data/synth/scene.h"

namespace depthguard::synth {

struct Hit {
  double t = 0;  ///< distance along the (unit) ray
  Vec3 normal;   ///< unit, facing the ray
  const Material* material = nullptr;
};

/// The nearest surface along the unit ray; the origin must lie inside the room, so every
/// ray hits something (the room's walls, floor or ceiling at the latest).
Hit cast(const Scene& scene, const Vec3& origin, const Vec3& dir);

/// True when an object (not the room, which cannot shadow its own interior) lies along the
/// unit ray closer than `distance`.
bool occluded(const Scene& scene, const Vec3& origin, const Vec3& dir, double distance);

/// The scene as seen by its camera: `rgb` CV_8UC3 in RGB order (sRGB), `depth` CV_32FC1
/// holding the z coordinate in the camera frame, in metres (what Kinect and NYU store,
/// not the distance along the ray).
void render(const Scene& scene, bool shadows, cv::Mat& rgb, cv::Mat& depth);

}  // namespace depthguard::synth
