import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from emopia_lightning.data.tokens import PAD_ID
from emopia_lightning.errors import RequestError
from emopia_lightning.models.components.bidirectional_lstm import PaddedBidirectionalLSTM
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


def test_a_token_lstm_embeds_ids_and_ignores_the_padding_after_a_clip():
    torch.manual_seed(0)
    net = LSTMClassifierNet(
        6, 4, hidden_size=8, num_layers=1, bidirectional=True, pooling="attention", vocab_size=30
    ).eval()
    clip = torch.randint(5, 30, (1, 7))
    padded = torch.cat([clip, torch.full((1, 5), PAD_ID)], dim=1)
    torch.testing.assert_close(net(clip, torch.tensor([7])), net(padded, torch.tensor([7])))
    assert not torch.allclose(net(clip, torch.tensor([7])), net(clip.flip(1), torch.tensor([7])))


def test_the_padded_bidirectional_lstm_computes_what_the_packed_one_does():
    torch.manual_seed(0)
    ours = PaddedBidirectionalLSTM(5, 6, num_layers=2).eval()
    packed_lstm = nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=True).eval()
    with torch.no_grad():  # the same weights: layer l's forward and reverse halves
        for layer in range(2):
            for direction, stack in (("", ours.forward_layers), ("_reverse", ours.backward_layers)):
                for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
                    getattr(packed_lstm, f"{name}_l{layer}{direction}").copy_(
                        getattr(stack[layer], f"{name}_l0")
                    )
    x, lengths = torch.randn(3, 9, 5), torch.tensor([9, 4, 1])
    packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
    expected, _ = pad_packed_sequence(packed_lstm(packed)[0], batch_first=True, total_length=9)
    real = (torch.arange(9)[None, :] < lengths[:, None])[..., None]  # (B, T, 1)
    torch.testing.assert_close(ours(x, lengths) * real, expected)
