#include "depthguard/data/synth/scene.h"

#include <algorithm>

namespace depthguard::synth {

namespace {

constexpr double kPi = 3.14159265358979323846;

Vec3 random_colour(Random& rng) {
  return {rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92), rng.uniform(0.08, 0.92)};
}

Material random_material(Random& rng) {
  Material m;
  m.base = random_colour(rng);
  m.alt = rng.chance(0.5) ? random_colour(rng) : m.base * rng.uniform(0.3, 0.7);
  m.pattern = static_cast<Pattern>(rng.integer(0, 3));
  m.scale = rng.uniform(0.1, 0.6);
  m.noise_seed = rng.next();
  return m;
}

// Radius of the object's footprint on the floor, for keeping the camera out of it.
double footprint(const Object& o) {
  return o.shape == Shape::Box ? std::hypot(o.half.x, o.half.z) : o.half.x;
}

Object random_object(Random& rng, const Vec3& room) {
  Object o;
  o.shape = static_cast<Shape>(rng.integer(0, 2));
  o.material = random_material(rng);
  switch (o.shape) {
    case Shape::Box:
      o.half = {rng.uniform(0.15, 0.6), rng.uniform(0.15, 0.6), rng.uniform(0.15, 0.6)};
      finalize(o, rng.uniform(0, kPi));
      o.center.y = o.half.y;
      break;
    case Shape::Sphere: {
      const double r = rng.uniform(0.15, 0.5);
      o.half = {r, r, r};
      // Most rest on the floor; some hang in the air, which depth must still resolve.
      o.center.y = rng.chance(0.7) ? r : rng.uniform(r, room.y - r);
      finalize(o, 0);
      break;
    }
    case Shape::Cylinder:
      o.half = {rng.uniform(0.1, 0.4), rng.uniform(0.2, 1.0), 0};
      o.center.y = o.half.y;
      finalize(o, 0);
      break;
  }
  const double margin = footprint(o) + 0.05;
  o.center.x = rng.uniform(margin, room.x - margin);
  o.center.z = rng.uniform(margin, room.z - margin);
  return o;
}

}  // namespace

void finalize(Object& o, double yaw) {
  o.cos_yaw = std::cos(yaw);
  o.sin_yaw = std::sin(yaw);
  switch (o.shape) {
    case Shape::Box:
      o.bound = length(o.half);
      break;
    case Shape::Sphere:
      o.bound = o.half.x;
      break;
    case Shape::Cylinder:
      o.bound = std::hypot(o.half.x, o.half.y);
      break;
  }
}

Camera nyu_camera(int width, int height) {
  Camera c;
  c.width = width;
  c.height = height;
  c.fx = 518.8579 * width / 640.0;
  c.fy = 519.4696 * height / 480.0;
  c.cx = 325.5824 * width / 640.0;
  c.cy = 253.7362 * height / 480.0;
  return c;
}

void look(Camera& camera, const Vec3& position, double yaw, double pitch, double roll) {
  camera.position = position;
  camera.forward = {std::sin(yaw) * std::cos(pitch), std::sin(pitch), std::cos(yaw) * std::cos(pitch)};
  const Vec3 right = normalize(cross(camera.forward, Vec3{0, 1, 0}));
  const Vec3 down = cross(camera.forward, right);
  camera.right = right * std::cos(roll) + down * std::sin(roll);
  camera.down = down * std::cos(roll) - right * std::sin(roll);
}

Scene random_scene(Random& rng, int width, int height, int min_objects, int max_objects) {
  Scene s;
  const Vec3 room{rng.uniform(3, 7), rng.uniform(2.4, 3.2), rng.uniform(3, 8)};
  s.room_max = room;
  s.floor = random_material(rng);
  s.ceiling = random_material(rng);
  s.walls = random_material(rng);

  s.camera = nyu_camera(width, height);
  // Held as a person films a room (NYU): at chest to eye height, looking across the room
  // (towards its centre, give or take 35 degrees) and slightly down, so a view shows the
  // floor and far walls rather than a wall filling the frame at arm's length.
  const Vec3 eye{rng.uniform(0.5, room.x - 0.5), rng.uniform(1.3, 1.6), rng.uniform(0.5, room.z - 0.5)};
  const double towards_centre = std::atan2(room.x / 2 - eye.x, room.z / 2 - eye.z);
  look(s.camera, eye, towards_centre + rng.uniform(-0.6, 0.6), rng.uniform(-0.4, 0.0), rng.uniform(-0.05, 0.05));

  const auto count = rng.integer(min_objects, std::max(min_objects, max_objects));
  for (int64_t i = 0; i < count; ++i) {
    // Redraw objects that would swallow the camera; give up on one after a few tries.
    for (int attempt = 0; attempt < 20; ++attempt) {
      const Object o = random_object(rng, room);
      const double clearance = std::hypot(o.center.x - eye.x, o.center.z - eye.z);
      if (clearance > footprint(o) + 0.4) {
        s.objects.push_back(o);
        break;
      }
    }
  }
  s.light.position = {rng.uniform(0.3, room.x - 0.3), room.y - 0.1, rng.uniform(0.3, room.z - 0.3)};
  s.light.ambient = rng.uniform(0.15, 0.35);
  s.light.strength = rng.uniform(2.0, 5.0);
  return s;
}

}  // namespace depthguard::synth
