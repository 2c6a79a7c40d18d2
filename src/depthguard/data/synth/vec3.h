#pragma once
// The small amount of 3-D vector algebra the ray caster needs.
#include <cmath>

namespace depthguard::synth {

struct Vec3 {
  double x = 0, y = 0, z = 0;
  Vec3 operator+(const Vec3& o) const { return {x + o.x, y + o.y, z + o.z}; }
  Vec3 operator-(const Vec3& o) const { return {x - o.x, y - o.y, z - o.z}; }
  Vec3 operator*(double s) const { return {x * s, y * s, z * s}; }
  Vec3 operator*(const Vec3& o) const { return {x * o.x, y * o.y, z * o.z}; }  // elementwise
  Vec3 operator-() const { return {-x, -y, -z}; }
};

inline double dot(const Vec3& a, const Vec3& b) { return a.x * b.x + a.y * b.y + a.z * b.z; }
inline Vec3 cross(const Vec3& a, const Vec3& b) {
  return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
inline double length(const Vec3& v) { return std::sqrt(dot(v, v)); }
inline Vec3 normalize(const Vec3& v) { return v * (1.0 / length(v)); }

/// Rotation about the vertical (y) axis by the angle whose cosine and sine are c and s.
inline Vec3 rotate_y(const Vec3& v, double c, double s) {
  return {c * v.x + s * v.z, v.y, -s * v.x + c * v.z};
}

}  // namespace depthguard::synth
