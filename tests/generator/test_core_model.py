"""The SSSD-ECG network: parameter count of the paper configuration, shapes, label embeddings."""

from __future__ import annotations

import pytest
import torch

from generator.core.config import ConfigError, GeneratorConfig
from generator.core.labels import LabelError, TwoStateLabelEmbedding, encode_label_sets
from generator.core.network import SSSDECG, diffusion_step_embedding
from generator.core.s4 import SSM_PARAMETER_NAMES as SSM_NAMES


def expected_parameter_count(label_variant: str, train_ssm: bool) -> int:
    """Count from the published architecture, written out independently of the modules."""
    leads, res, skip, blocks = 8, 256, 256, 36
    e_in, e_mid, e_out, label_dim, labels = 128, 512, 512, 128, 71
    h, n = 2 * res, 64  # S4 features, state size (n/2 complex states = n reals)

    def weight_normed_conv(c_in, c_out, k):
        return c_out * c_in * k + c_out + c_out  # v, g, bias

    def s4_layer():
        kernel = 2 * h * n  # C: two directions, n/2 complex states per feature
        if train_ssm:
            kernel += h + 4 * h * n  # log_dt, w, B, P, Q
        return kernel + h + (h * h + h) + 2 * h  # D, output 1x1, LayerNorm

    block = (
        (e_out * res + res)
        + weight_normed_conv(res, 2 * res, 3)
        + 2 * s4_layer()
        + (label_dim * 2 * res + 2 * res)
        + weight_normed_conv(res, res, 1)
        + weight_normed_conv(res, skip, 1)
    )
    label = labels * label_dim if label_variant == "sssd" else labels * 2 * label_dim + labels + 1
    return (
        weight_normed_conv(leads, res, 1)
        + label
        + (e_in * e_mid + e_mid)
        + (e_mid * e_out + e_out)
        + blocks * block
        + weight_normed_conv(skip, skip, 1)
        + (skip * leads + leads)
    )


@pytest.fixture(scope="module")
def paper_model() -> SSSDECG:
    return SSSDECG(GeneratorConfig.paper().model)


def trainable(model: torch.nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def test_paper_configuration_parameter_count(paper_model):
    # The paper's counts: the S4 tensors log_dt, w, B, P, Q stay fixed by default.
    assert trainable(paper_model) == expected_parameter_count("nle", train_ssm=False)
    assert trainable(paper_model) == 50_211_664
    assert not [n for n, _ in paper_model.named_parameters() if n.rsplit(".", 1)[-1] in SSM_NAMES]
    sssd = SSSDECG(GeneratorConfig.paper(label_variant="sssd").model)
    assert trainable(sssd) == expected_parameter_count("sssd", train_ssm=False) == 50_202_504


def test_train_ssm_makes_the_state_space_tensors_trainable():
    fixed = SSSDECG(GeneratorConfig.tiny().model)
    trained = SSSDECG(GeneratorConfig.tiny(train_ssm=True).model)
    ssm = [p for n, p in trained.named_parameters() if n.rsplit(".", 1)[-1] in SSM_NAMES]
    assert ssm and trainable(trained) == trainable(fixed) + sum(p.numel() for p in ssm)


def test_paper_configuration_layer_shapes(paper_model):
    model = paper_model
    assert model.init_conv[0].conv.weight.shape == (256, 8, 1)  # 8 leads -> 256 residual
    blocks = model.residual_layer.residual_blocks
    assert len(blocks) == 36
    for block in (blocks[0], blocks[-1]):
        assert (block.fc_t.in_features, block.fc_t.out_features) == (512, 256)
        assert block.conv_layer.conv.weight.shape == (512, 256, 3)
        assert (block.fc_label.in_features, block.fc_label.out_features) == (128, 512)
        for s4_layer in (block.S41, block.S42):
            assert s4_layer.s4_layer.D.shape == (1, 512)
            assert s4_layer.s4_layer.bidirectional
            assert s4_layer.norm_layer.normalized_shape == (512,)
        assert block.res_conv.weight.shape == (256, 256, 1)
        assert block.skip_conv.weight.shape == (256, 256, 1)
    assert (model.residual_layer.fc_t1.in_features, model.residual_layer.fc_t1.out_features) == (
        128,
        512,
    )
    final = model.final_conv
    assert final[0].conv.weight.shape == (256, 256, 1)
    assert final[2].conv.weight.shape == (8, 256, 1)
    assert torch.count_nonzero(final[2].conv.weight) == 0  # zero-initialised output
    assert model.config.signal_length == 1000 and model.config.s4.d_state == 64


def test_untrained_network_predicts_zero_noise_of_input_shape():
    model = SSSDECG(GeneratorConfig.tiny().model)
    with torch.no_grad():
        out = model(torch.randn(2, 8, 1000), torch.zeros(2, 71), torch.tensor([10, 150]))
    assert out.shape == (2, 8, 1000)
    assert torch.count_nonzero(out) == 0  # the final 1x1 convolution starts at zero


def test_step_embedding_is_sin_then_cos():
    emb = diffusion_step_embedding(torch.tensor([0, 3]), 8)
    freqs = torch.exp(-torch.log(torch.tensor(10000.0)) / 3 * torch.arange(4))
    assert torch.allclose(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    assert torch.allclose(emb[1], torch.cat([torch.sin(3 * freqs), torch.cos(3 * freqs)]))


def test_sssd_all_absent_labels_embed_to_zero_nle_does_not():
    torch.manual_seed(0)
    absent = torch.zeros(2, 71)
    sssd = SSSDECG(GeneratorConfig.tiny(label_variant="sssd").model)
    nle = SSSDECG(GeneratorConfig.tiny(label_variant="nle").model)
    assert torch.count_nonzero(sssd.label_encoder(absent)) == 0
    assert nle.label_encoder(absent).abs().min() > 0


def test_nle_embedding_is_weighted_sum_of_state_embeddings():
    torch.manual_seed(0)
    emb = TwoStateLabelEmbedding(3, 4)
    labels = torch.tensor([[1.0, 0.0, 1.0]])
    states = emb.state_embeddings.detach()
    weights = emb.combine.weight.detach()[0, :, 0]
    expected = (
        weights[0] * states[0, 1] + weights[1] * states[1, 0] + weights[2] * states[2, 1]
    ) + emb.combine.bias.detach()
    torch.testing.assert_close(emb(labels)[0].detach(), expected)


def test_frozen_present_state_stays_zero_and_gets_no_gradient():
    emb = TwoStateLabelEmbedding(3, 4, freeze_present_state=True)
    emb(torch.tensor([[1.0, 1.0, 0.0]])).sum().backward()
    assert torch.count_nonzero(emb.state_embeddings[:, 1]) == 0
    assert torch.count_nonzero(emb.state_embeddings.grad[:, 1]) == 0
    learned = TwoStateLabelEmbedding(3, 4)
    learned(torch.tensor([[1.0, 1.0, 0.0]])).sum().backward()
    assert torch.count_nonzero(learned.state_embeddings.grad[:2, 1]) > 0


def test_encode_label_sets_rejects_unknown_codes():
    vocabulary = ("AFIB", "NORM", "SR")
    encoded = encode_label_sets([["NORM", "SR"], []], vocabulary)
    assert encoded.tolist() == [[0, 1, 1], [0, 0, 0]]
    with pytest.raises(LabelError, match="XYZ"):
        encode_label_sets([["XYZ"]], vocabulary)
    with pytest.raises(LabelError, match="string"):
        encode_label_sets(["NORM"], vocabulary)


def test_invalid_configuration_is_rejected():
    with pytest.raises(ConfigError, match="label_variant"):
        GeneratorConfig.tiny(label_variant="onehot")
    with pytest.raises(ConfigError, match="lead_set"):
        GeneratorConfig.tiny(lead_set="frank")
