"""Depth networks and losses written the way public PyTorch depth repos write them."""
import os
import sys

import pytest
import torch
import torch.nn as nn


class Head(nn.Module):
    """GLPDepth/MIM: depth = sigmoid(conv(x)) * max_depth."""

    def __init__(self, channels, max_depth=10.0):
        super().__init__()
        self.conv = nn.Conv2d(channels, 1, 3, padding=1)
        self.max_depth = max_depth

    def forward(self, x):
        return torch.sigmoid(self.conv(x)) * self.max_depth


class TinyDepthNet(nn.Module):
    def __init__(self, channels=8):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.BatchNorm2d(channels), nn.ReLU())
        self.decoder = nn.Sequential(nn.Conv2d(channels, channels, 3, padding=1), nn.ReLU())
        self.head = Head(channels)

    def forward(self, x):
        return self.head(self.decoder(self.encoder(x)))


def silog_bts(pred, gt, mask, variance_focus=0.85):
    """BTS's silog_loss: 10 * sqrt(mean(d^2) - focus * mean(d)^2)."""
    d = torch.log(pred[mask]) - torch.log(gt[mask])
    return torch.sqrt((d ** 2).mean() - variance_focus * (d.mean() ** 2)) * 10.0


def silog_toolbox(pred, gt, mask):
    """The Monocular-Depth-Estimation-Toolbox / AdaBins SILog: torch.var (unbiased)."""
    g = torch.log(pred[mask]) - torch.log(gt[mask])
    return 10 * torch.sqrt(torch.var(g) + 0.15 * torch.pow(torch.mean(g), 2))


def batch(seed, n=2, size=16):
    g = torch.Generator().manual_seed(seed)
    image = torch.rand(n, 3, size, size, generator=g)
    depth = 1 + 9 * torch.rand(n, 1, size, size, generator=g)
    return image, depth


@pytest.fixture(autouse=True)
def _seeded():
    torch.manual_seed(0)
    torch.set_num_threads(2)


def diagnose_commands():
    """The package's own `python -m depthguard diagnose`, and the CLI's where ctest names it."""
    commands = [pytest.param([sys.executable, "-m", "depthguard", "diagnose"], id="python-m-depthguard")]
    if os.environ.get("DEPTHGUARD_CLI"):
        commands.append(pytest.param([os.environ["DEPTHGUARD_CLI"], "diagnose"], id="cli"))
    return commands
