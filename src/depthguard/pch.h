// Precompiled header of the depthguard library (reused by the CLI and the tests).
#pragma once
#include <torch/torch.h>

#include <cstdint>
#include <string>
#include <vector>
