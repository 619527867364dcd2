# CLIFFNet with the hierarchical embedding loss (Wang et al., ECCV 2020;
# scott89/CLIFFNet): pixel L1 + w(t) * (10 * L1 on relu1_2 + 15 * L1 on
# relu2_2) of a frozen SceneNet depth encoder, w(t) = min(1, t / 100).
# The encoder comes from the label-free auto-encoder pre-training of
# heg-ae_scenenet_1xb8-500it_synthrooms-112x144.py (run it first; the
# release uses a scene-classification HEG trained on NYU instead, which
# SynthRooms cannot provide: it has no scene labels). The checkpoint is read
# at the first iteration that uses the encoder (the second one), so
# building the model does not need the file.
_base_ = ['./cliffnet_r50_1xb2-300it_synthrooms-96x128.py']

heg_checkpoint = (
    'work_dirs/heg-ae_scenenet_1xb8-500it_synthrooms-112x144/iter_500.pth'
)
model = dict(
    # Replaces the pixel L1 of the base config: the pixel term is part of
    # HierarchicalEmbeddingLoss (pixel_weight).
    loss_decode=[
        dict(
            type='HierarchicalEmbeddingLoss',
            encoder=dict(type='SceneNetEncoder', num_stages=2),
            layers=('relu1_2', 'relu2_2'),
            layer_weights=(10.0, 15.0),
            pixel_weight=1.0,
            warmup_iters=100,
            encoder_checkpoint=heg_checkpoint,
            checkpoint_prefix='encoder.',
            # A runner checkpoint of one's own pre-training run: allowed to
            # fall back to weights_only=False (it holds logging objects).
            # Set False after stripping it with tools/misc/publish_model.py.
            encoder_checkpoint_trusted=True,
            # Missing ground truth (0) is fed to the encoder as it is.
            invalid_mode='raw',
        )
    ]
)
