#include "depthguard/data/synth/raycaster.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

namespace depthguard::synth {

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kEps = 1e-7;

double axis(const Vec3& v, int a) { return a == 0 ? v.x : (a == 1 ? v.y : v.z); }
Vec3 unit_axis(int a, double sign) {
  return {a == 0 ? sign : 0.0, a == 1 ? sign : 0.0, a == 2 ? sign : 0.0};
}

// Exit point of a ray that starts inside the room.
Hit room_exit(const Scene& s, const Vec3& o, const Vec3& d) {
  Hit hit{kInf, {}, nullptr};
  for (int a = 0; a < 3; ++a) {
    const double da = axis(d, a);
    if (da == 0) continue;
    const double bound = da > 0 ? axis(s.room_max, a) : axis(s.room_min, a);
    const double t = (bound - axis(o, a)) / da;
    if (t < hit.t) {
      hit.t = t;
      hit.normal = unit_axis(a, da > 0 ? -1.0 : 1.0);
      hit.material = a != 1 ? &s.walls : (da > 0 ? &s.ceiling : &s.floor);
    }
  }
  return hit;
}

// Slab test in the box's own frame.
double box_hit(const Object& b, const Vec3& o, const Vec3& d, Vec3& normal) {
  const Vec3 lo = rotate_y(o - b.center, b.cos_yaw, -b.sin_yaw);
  const Vec3 ld = rotate_y(d, b.cos_yaw, -b.sin_yaw);
  double near = -kInf, far = kInf;
  int near_axis = 0;
  for (int a = 0; a < 3; ++a) {
    const double da = axis(ld, a), oa = axis(lo, a), h = axis(b.half, a);
    if (std::abs(da) < kEps) {
      if (std::abs(oa) > h) return kInf;
      continue;
    }
    double t1 = (-h - oa) / da, t2 = (h - oa) / da;
    if (t1 > t2) std::swap(t1, t2);
    if (t1 > near) near = t1, near_axis = a;
    far = std::min(far, t2);
  }
  if (near > far || near < kEps) return kInf;  // missed, or the origin is inside
  normal = rotate_y(unit_axis(near_axis, axis(ld, near_axis) > 0 ? -1.0 : 1.0), b.cos_yaw, b.sin_yaw);
  return near;
}

double sphere_hit(const Object& s, const Vec3& o, const Vec3& d, Vec3& normal) {
  const Vec3 oc = o - s.center;
  const double b = dot(oc, d);
  const double c = dot(oc, oc) - s.half.x * s.half.x;
  const double disc = b * b - c;
  if (disc < 0) return kInf;
  const double t = -b - std::sqrt(disc);
  if (t < kEps) return kInf;
  normal = (oc + d * t) * (1.0 / s.half.x);
  return t;
}

double cylinder_hit(const Object& c, const Vec3& o, const Vec3& d, Vec3& normal) {
  const Vec3 lo = o - c.center;
  const double r = c.half.x, h = c.half.y;
  double best = kInf;
  const double a = d.x * d.x + d.z * d.z;
  if (a > kEps) {
    const double b = lo.x * d.x + lo.z * d.z;
    const double cc = lo.x * lo.x + lo.z * lo.z - r * r;
    const double disc = b * b - a * cc;
    if (disc >= 0) {
      const double t = (-b - std::sqrt(disc)) / a;
      const double y = lo.y + t * d.y;
      if (t > kEps && std::abs(y) <= h) {
        best = t;
        normal = Vec3{lo.x + t * d.x, 0, lo.z + t * d.z} * (1.0 / r);
      }
    }
  }
  if (std::abs(d.y) > kEps) {
    for (const double cap : {-h, h}) {
      const double t = (cap - lo.y) / d.y;
      const double x = lo.x + t * d.x, z = lo.z + t * d.z;
      if (t > kEps && t < best && x * x + z * z <= r * r) {
        best = t;
        normal = {0, cap > 0 ? 1.0 : -1.0, 0};
      }
    }
  }
  return best;
}

// False when the ray cannot meet the object before `limit`: it misses the bounding sphere,
// or meets it only beyond `limit`. Saves the exact test for most rays.
bool may_hit(const Object& obj, const Vec3& o, const Vec3& d, double limit) {
  const Vec3 oc = obj.center - o;
  const double along = dot(oc, d);
  const double miss2 = dot(oc, oc) - along * along;  // squared distance of the centre from the ray
  const double r2 = obj.bound * obj.bound;
  if (miss2 > r2) return false;
  return along - std::sqrt(r2 - miss2) < limit && along + obj.bound > 0;
}

double object_hit(const Object& obj, const Vec3& o, const Vec3& d, Vec3& normal) {
  switch (obj.shape) {
    case Shape::Box:
      return box_hit(obj, o, d, normal);
    case Shape::Sphere:
      return sphere_hit(obj, o, d, normal);
    case Shape::Cylinder:
      return cylinder_hit(obj, o, d, normal);
  }
  return kInf;
}

// Smooth value noise in [0, 1] on a unit lattice, hashed from the material's seed.
double lattice(uint64_t seed, int64_t i, int64_t j) {
  return static_cast<double>(mix64(seed ^ mix64(static_cast<uint64_t>(i) * 0x9E3779B1ULL ^
                                                 static_cast<uint64_t>(j))) >> 11) * 0x1.0p-53;
}
double value_noise(uint64_t seed, double u, double v) {
  const double fu = std::floor(u), fv = std::floor(v);
  const auto i = static_cast<int64_t>(fu), j = static_cast<int64_t>(fv);
  const double su = (u - fu) * (u - fu) * (3 - 2 * (u - fu));
  const double sv = (v - fv) * (v - fv) * (3 - 2 * (v - fv));
  const double top = lattice(seed, i, j) * (1 - su) + lattice(seed, i + 1, j) * su;
  const double bottom = lattice(seed, i, j + 1) * (1 - su) + lattice(seed, i + 1, j + 1) * su;
  return top * (1 - sv) + bottom * sv;
}

// Texture coordinates: the two world axes across the surface's dominant normal direction.
Vec3 albedo(const Material& m, const Vec3& p, const Vec3& n) {
  const double ax = std::abs(n.x), ay = std::abs(n.y), az = std::abs(n.z);
  const double u = (ax >= ay && ax >= az ? p.z : p.x) / m.scale;
  const double v = (ay >= ax && ay >= az ? p.z : p.y) / m.scale;
  double w = 0;
  switch (m.pattern) {
    case Pattern::Plain:
      return m.base;
    case Pattern::Checker:
      w = static_cast<double>((static_cast<int64_t>(std::floor(u)) + static_cast<int64_t>(std::floor(v))) & 1);
      break;
    case Pattern::Stripes:
      w = 0.5 + 0.5 * std::sin(3.14159265358979 * u);
      break;
    case Pattern::Noise:
      w = 0.65 * value_noise(m.noise_seed, u, v) + 0.35 * value_noise(m.noise_seed + 1, 4 * u, 4 * v);
      break;
  }
  return m.base * (1 - w) + m.alt * w;
}

// Linear to 8-bit sRGB-like gamma through a table: three pow() per pixel would cost a
// quarter of the frame time.
uint8_t to_srgb8(double linear) {
  constexpr int kSteps = 4096;
  static const auto table = [] {
    std::array<uint8_t, kSteps + 1> t{};
    for (int i = 0; i <= kSteps; ++i) {
      t[i] = static_cast<uint8_t>(std::lround(std::pow(i / double(kSteps), 1.0 / 2.2) * 255.0));
    }
    return t;
  }();
  return table[static_cast<int>(std::clamp(linear, 0.0, 1.0) * kSteps + 0.5)];
}

}  // namespace

Hit cast(const Scene& scene, const Vec3& origin, const Vec3& dir) {
  Hit hit = room_exit(scene, origin, dir);
  for (const auto& obj : scene.objects) {
    if (!may_hit(obj, origin, dir, hit.t)) continue;
    Vec3 normal;
    const double t = object_hit(obj, origin, dir, normal);
    if (t < hit.t) hit = {t, normal, &obj.material};
  }
  return hit;
}

bool occluded(const Scene& scene, const Vec3& origin, const Vec3& dir, double distance) {
  Vec3 normal;
  for (const auto& obj : scene.objects) {
    if (may_hit(obj, origin, dir, distance) && object_hit(obj, origin, dir, normal) < distance) return true;
  }
  return false;
}

void render(const Scene& scene, bool shadows, cv::Mat& rgb, cv::Mat& depth) {
  const Camera& cam = scene.camera;
  rgb.create(cam.height, cam.width, CV_8UC3);
  depth.create(cam.height, cam.width, CV_32FC1);
  for (int y = 0; y < cam.height; ++y) {
    auto* colour_row = rgb.ptr<cv::Vec3b>(y);
    auto* depth_row = depth.ptr<float>(y);
    const double dy = (y + 0.5 - cam.cy) / cam.fy;
    for (int x = 0; x < cam.width; ++x) {
      const double dx = (x + 0.5 - cam.cx) / cam.fx;
      const Vec3 dir = normalize(cam.right * dx + cam.down * dy + cam.forward);
      const Hit hit = cast(scene, cam.position, dir);
      const Vec3 p = cam.position + dir * hit.t;
      depth_row[x] = static_cast<float>(hit.t * dot(dir, cam.forward));

      const Vec3 to_light = scene.light.position - p;
      const double dist = length(to_light);
      const Vec3 l = to_light * (1.0 / dist);
      double diffuse = std::max(0.0, dot(hit.normal, l)) * scene.light.strength / (1.0 + dist * dist);
      if (shadows && diffuse > 0 && occluded(scene, p + hit.normal * 1e-6, l, dist)) diffuse = 0;
      const Vec3 c = albedo(*hit.material, p, hit.normal) * (scene.light.ambient + diffuse);
      colour_row[x] = {to_srgb8(c.x), to_srgb8(c.y), to_srgb8(c.z)};
    }
  }
}

}  // namespace depthguard::synth
