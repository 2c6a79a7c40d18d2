"""Heads and losses written as BTS, GLPDepth and AdaBins write theirs: the loss a module or
a function outside the model, the sigmoid head in the root module's forward. Each vulnerable
line carries a marker comment, so a test can ask for its number (``line_of``)."""
import torch
import torch.nn as nn


class BtsSilogLoss(nn.Module):
    """BTS: silog_loss(variance_focus), the root of mean(d^2) - focus * mean(d)^2."""

    def __init__(self, variance_focus=0.85):
        super().__init__()
        self.variance_focus = variance_focus

    def forward(self, depth_est, depth_gt, mask):
        d = torch.log(depth_est[mask]) - torch.log(depth_gt[mask])
        return torch.sqrt((d ** 2).mean() - self.variance_focus * (d.mean() ** 2)) * 10.0  # marker: bts-sqrt


class GlpSiLogLoss(nn.Module):
    """GLPDepth: SiLogLoss(lambd) on log(target) - log(pred)."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, pred, target):
        valid_mask = (target > 0).detach()
        diff_log = torch.log(target[valid_mask]) - torch.log(pred[valid_mask])  # marker: glp-log
        return torch.sqrt(torch.pow(diff_log, 2).mean() - self.lambd * torch.pow(diff_log.mean(), 2))


class AdaBinsSILogLoss(nn.Module):
    """AdaBins: SILogLoss with torch.var, unbiased."""

    def forward(self, pred, target, mask):
        g = torch.log(pred[mask]) - torch.log(target[mask])
        dg = torch.var(g) + 0.15 * torch.pow(torch.mean(g), 2)  # marker: adabins-var
        return 10 * torch.sqrt(dg)


class GlpStyleNet(nn.Module):
    """GLPDepth: the sigmoid head in the root module's own forward."""

    def __init__(self, channels=8, max_depth=10.0):
        super().__init__()
        self.encoder = nn.Sequential(nn.Conv2d(3, channels, 3, padding=1), nn.ReLU())
        self.last_layer_depth = nn.Conv2d(channels, 1, 3, padding=1)
        self.max_depth = max_depth

    def forward(self, x):
        out = self.last_layer_depth(self.encoder(x))
        return torch.sigmoid(out) * self.max_depth  # marker: glp-sigmoid


def line_of(marker):
    """The line number of ``# marker: <marker>`` in this file."""
    with open(__file__) as f:
        for number, text in enumerate(f, start=1):
            if text.rstrip().endswith(f"# marker: {marker}"):
                return number
    raise LookupError(marker)
