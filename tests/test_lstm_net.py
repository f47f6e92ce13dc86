import pytest
import torch

from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.lstm import LSTMClassifierNet


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_shapes(pooling, bidirectional):
    net = LSTMClassifierNet(88, 4, hidden_size=8, num_layers=2, pooling=pooling, bidirectional=bidirectional)
    logits = net(torch.rand(3, 20, 88), torch.tensor([20, 7, 1]))
    assert logits.shape == (3, 4) and torch.isfinite(logits).all()


@pytest.mark.parametrize("pooling", ["last", "mean"])
@pytest.mark.parametrize("bidirectional", [False, True])
def test_padding_after_a_clip_does_not_change_its_prediction(pooling, bidirectional):
    torch.manual_seed(0)
    net = LSTMClassifierNet(
        12, 2, hidden_size=8, num_layers=1, pooling=pooling, bidirectional=bidirectional
    ).eval()
    clip = torch.rand(1, 5, 12)
    padded = torch.cat([clip, torch.zeros(1, 9, 12)], dim=1)
    torch.testing.assert_close(net(clip, torch.tensor([5])), net(padded, torch.tensor([5])))
    assert not torch.allclose(net(clip, torch.tensor([5])), net(clip, torch.tensor([3])))


def test_unknown_pooling_is_rejected():
    with pytest.raises(RequestError, match="pooling"):
        LSTMClassifierNet(12, 2, pooling="max")
