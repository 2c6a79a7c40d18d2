#pragma once
// A random indoor scene: a box-shaped room, objects standing in it, a camera and a light.
#include <cstdint>
#include <vector>

#include "depthguard/data/random.h"
#include "depthguard/data/synth/vec3.h"

namespace depthguard::synth {

enum class Pattern { Plain, Checker, Stripes, Noise };

/// A procedural texture: `pattern` mixes two colours (linear RGB in [0, 1]) at `scale` metres.
struct Material {
  Vec3 base, alt;
  Pattern pattern = Pattern::Plain;
  double scale = 0.5;
  uint64_t noise_seed = 0;
};

enum class Shape { Box, Sphere, Cylinder };

struct Object {
  Shape shape = Shape::Box;
  Vec3 center;
  /// Box: half extents. Cylinder (vertical axis): x = radius, y = half height. Sphere: x = radius.
  Vec3 half;
  double cos_yaw = 1, sin_yaw = 0;  ///< rotation about the vertical axis (boxes)
  double bound = 0;  ///< radius of a sphere around `center` that holds the whole object
  Material material;
};

/// Sets the object's yaw and its bounding radius from its shape and half extents.
void finalize(Object& object, double yaw);

/// A pinhole camera; right, down and forward are the world directions of its x, y, z axes.
struct Camera {
  Vec3 position, right, down, forward;
  double fx = 0, fy = 0, cx = 0, cy = 0;
  int width = 0, height = 0;
};

struct Light {
  Vec3 position;
  double ambient = 0.25;
  double strength = 1.0;
};

struct Scene {
  Vec3 room_min, room_max;  ///< the room is the box between them; y is up, the floor at y = 0
  Material floor, ceiling, walls;
  std::vector<Object> objects;
  Camera camera;
  Light light;
};

/// NYU Depth v2's colour intrinsics at 640x480, scaled to width x height.
Camera nyu_camera(int width, int height);

/// Orients `camera` at `position` with the given yaw (about y), pitch (up positive) and
/// roll, all in radians.
void look(Camera& camera, const Vec3& position, double yaw, double pitch, double roll);

/// A random room of 3-7 x 3-8 m, 2.4-3.2 m high, with between min_objects and max_objects
/// boxes, spheres and cylinders, a camera 1-1.7 m high inside it (never inside an object)
/// and a light under the ceiling. Depths of the view fall in about 0.4 to 10 m.
Scene random_scene(Random& rng, int width, int height, int min_objects, int max_objects);

}  // namespace depthguard::synth
