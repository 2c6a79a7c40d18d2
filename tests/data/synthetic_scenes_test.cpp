#include "depthguard/data/synth/synthetic_scenes.h"

#include <cmath>

#include "data/data_test_support.h"
#include "depthguard/core/errors.h"
#include "depthguard/data/random.h"
#include "depthguard/data/synth/degradation_options.h"
#include "depthguard/data/synth/raycaster.h"
#include "depthguard/data/synth/scene.h"
#include "test_support.h"

namespace depthguard {
namespace {

using testing::same;

// A camera at the origin looking along +z (yaw 0, level), in a huge room whose far wall
// is at z = far.
synth::Scene facing_wall(double far, int width = 64, int height = 48) {
  synth::Scene s;
  s.room_min = {-100, -100, -100};
  s.room_max = {100, 100, far};
  s.camera = synth::nyu_camera(width, height);
  synth::look(s.camera, {0, 0, 0}, 0, 0, 0);
  return s;
}

// The smallest and largest depth the scene's camera sees.
std::pair<double, double> depth_range(const synth::Scene& scene, cv::Mat* depth_out = nullptr) {
  cv::Mat rgb, depth;
  synth::render(scene, true, rgb, depth);
  double lo, hi;
  cv::minMaxLoc(depth, &lo, &hi);
  if (depth_out) *depth_out = depth;
  return {lo, hi};
}

TEST(SyntheticScenes, SameSeedAndIndexGiveTheSameSample) {
  const auto a = render_synthetic(5, testing::small_scenes());
  const auto b = render_synthetic(5, testing::small_scenes());
  EXPECT_TRUE(same(a.rgb, b.rgb));
  EXPECT_TRUE(same(a.depth, b.depth));
  EXPECT_FALSE(same(a.depth, render_synthetic(6, testing::small_scenes()).depth));
  EXPECT_FALSE(same(a.depth, render_synthetic(5, testing::small_scenes().seed(1)).depth));
}

TEST(SyntheticScenes, DegradationLeavesTheSceneAlone) {
  const auto clean = render_synthetic(3, testing::small_scenes());
  const auto holey = render_synthetic(3, testing::small_scenes().degradation(DegradationOptions().holes(3)));
  EXPECT_TRUE(same(clean.rgb, holey.rgb));
  EXPECT_FALSE(same(clean.depth, holey.depth));
}

TEST(SyntheticScenes, CameraFacingAPlaneSeesItsDistanceEverywhere) {
  const auto [lo, hi] = depth_range(facing_wall(3.0));
  EXPECT_NEAR(lo, 3.0, 1e-5);
  EXPECT_NEAR(hi, 3.0, 1e-5);
}

TEST(SyntheticScenes, TurnedCameraSeesTheSideWall) {
  auto scene = facing_wall(50.0);
  scene.room_max.x = 2.5;
  synth::look(scene.camera, {0, 0, 0}, M_PI / 2, 0, 0);  // yaw 90 degrees: facing +x
  const auto [lo, hi] = depth_range(scene);
  EXPECT_NEAR(lo, 2.5, 1e-5);
  EXPECT_NEAR(hi, 2.5, 1e-5);
}

TEST(SyntheticScenes, SphereNearestPointIsAtCentreMinusRadius) {
  auto scene = facing_wall(20.0, 320, 240);
  synth::Object ball;
  ball.shape = synth::Shape::Sphere;
  ball.center = {0, 0, 5};
  ball.half = {1, 1, 1};
  synth::finalize(ball, 0);
  scene.objects.push_back(ball);
  cv::Mat depth;
  const auto [lo, hi] = depth_range(scene, &depth);
  EXPECT_GE(lo, 4.0 - 1e-6);
  EXPECT_LT(lo, 4.0 + 1e-3);  // the pixel ray nearest the optical axis
  EXPECT_NEAR(hi, 20.0, 1e-4);  // the wall behind it
  // The ray through the principal point's pixel hits near the sphere's front.
  const int cx = static_cast<int>(scene.camera.cx), cy = static_cast<int>(scene.camera.cy);
  EXPECT_NEAR(depth.at<float>(cy, cx), 4.0, 1e-3);
}

TEST(SyntheticScenes, RandomScenesHaveIndoorDepthsAndTexture) {
  for (uint64_t i = 0; i < 20; ++i) {
    const auto s = render_synthetic(i, testing::small_scenes().degradation(DegradationOptions().max_range(0)));
    double lo, hi;
    cv::minMaxLoc(s.depth, &lo, &hi);
    EXPECT_GT(lo, 0.1) << i;
    EXPECT_LT(hi, 12.0) << i;
    EXPECT_TRUE(cv::checkRange(s.depth)) << i;
    cv::Scalar mean, stddev;
    cv::meanStdDev(s.rgb, mean, stddev);
    EXPECT_GT(stddev[0] + stddev[1] + stddev[2], 3.0) << i;
  }
}

double valid_fraction(const cv::Mat& depth) { return cv::countNonZero(depth) / double(depth.total()); }

TEST(SyntheticScenes, GroundTruthRealismSwitches) {
  const auto scan = render_synthetic(1, testing::small_scenes().degradation(DegradationOptions().pattern(SparsePattern::Scanlines).valid_fraction(0.25)));
  EXPECT_NEAR(valid_fraction(scan.depth), 0.25, 1e-9);
  const auto sparse = render_synthetic(1, SynthOptions().degradation(DegradationOptions().pattern(SparsePattern::Random).valid_fraction(0.3)));
  EXPECT_NEAR(valid_fraction(sparse.depth), 0.3, 0.02);
  const auto ranged = render_synthetic(1, testing::small_scenes().degradation(DegradationOptions().max_range(3.0)));
  double lo, hi;
  cv::minMaxLoc(ranged.depth, &lo, &hi);
  EXPECT_LE(hi, 3.0);
  int with_holes = 0;
  for (uint64_t i = 0; i < 5; ++i) {
    with_holes += valid_fraction(render_synthetic(i, testing::small_scenes().degradation(DegradationOptions().holes(3).max_range(0))).depth) < 1.0;
  }
  EXPECT_GE(with_holes, 3);
}

TEST(SyntheticScenes, BadOptionsAreNamed) {
  const auto error = [](const SynthOptions& o) {
    return testing::error_message<InvalidArgument>([&] { render_synthetic(0, o); });
  };
  EXPECT_NE(error(SynthOptions().width(0)).find("height and width must be >= 1, got 240x0"), std::string::npos);
  EXPECT_NE(error(SynthOptions().degradation(DegradationOptions().valid_fraction(0))).find("valid_fraction"),
            std::string::npos);
  EXPECT_NE(error(SynthOptions().min_objects(5).max_objects(2)).find("min_objects"), std::string::npos);
}

}  // namespace
}  // namespace depthguard
