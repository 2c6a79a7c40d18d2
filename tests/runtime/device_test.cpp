#include "depthguard/runtime/device.h"

#include <gtest/gtest.h>
#include <torch/cuda.h>

#include "depthguard/core/errors.h"
#include "test_support.h"

namespace depthguard {
namespace {

TEST(Device, NamesAreAutoCpuCudaOrCudaWithAnIndex) {
  for (const char* name : {"auto", "cpu", "cuda", "cuda:0", "cuda:12"}) EXPECT_TRUE(is_device_name(name)) << name;
  for (const char* name : {"", "CPU", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda:0:1", "cuda:123456"}) {
    EXPECT_FALSE(is_device_name(name)) << name;
  }
}

TEST(Device, ResolvesToWhatThisMachineHas) {
  EXPECT_TRUE(resolve_device("cpu").is_cpu());
  EXPECT_EQ(describe_device(resolve_device("cpu")), "cpu");
  EXPECT_EQ(testing::error_message<InvalidArgument>([] { resolve_device("gpu"); }),
            "'gpu' is not a device (auto, cpu, cuda or cuda:N)");
  if (torch::cuda::is_available()) {
    EXPECT_EQ(resolve_device("auto"), c10::Device(c10::kCUDA, 0));
    EXPECT_EQ(resolve_device("cuda"), c10::Device(c10::kCUDA, 0));
    EXPECT_NE(testing::error_message<InvalidArgument>([] { resolve_device("cuda:999"); }).find("GPU(s), cuda:0 to"),
              std::string::npos);
  } else {
    EXPECT_TRUE(resolve_device("auto").is_cpu());
    EXPECT_NE(testing::error_message<InvalidArgument>([] { resolve_device("cuda:0"); }).find("no GPU is usable here"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace depthguard
