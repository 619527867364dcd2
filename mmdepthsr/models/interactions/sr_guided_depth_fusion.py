"""SR-guided depth fusion: inject SR-decoder features into the MDE decoder.

The reverse direction of :class:`DepthGuidedSRFusion` with the same layers
(SOSD-Net-style guidance maps and pixel-wise products, He et al.,
arXiv 2101.07422; CLIFFNet gating, Wang et al., ECCV 2020); here ``x`` are
the MDE-decoder features and ``guide`` the SR-decoder features, which carry
the measured (low-resolution) depth that monocular estimation lacks.

Data flow for ``channels = C``, ``guide_channels = Cg``:

==========  =========================================  ==================
layer       op                                         output shape
==========  =========================================  ==================
guide       bilinear resize to x's size (if needed)    (N, Cg, H, W)
guide_proj  conv 1x1 Cg->C, ReLU                       (N, C, H, W)
map_x       conv k x k C->1, sigmoid (on x)            (N, 1, H, W)
map_guide   conv k x k C->1, sigmoid (on guide_proj)   (N, 1, H, W)
products    [x * map_guide, g * map_x, x * g]          (N, 3C, H, W)
fuse        conv k x k 3C->C, ReLU                     (N, C, H, W)
out_conv    conv k x k C->C (zero-initialised)         (N, C, H, W)
output      x + out_conv                               (N, C, H, W)
==========  =========================================  ==================
"""

from mmdepthsr.registry import MODELS

from .depth_guided_sr_fusion import DepthGuidedSRFusion

__all__ = ['SRGuidedDepthFusion']


@MODELS.register_module()
class SRGuidedDepthFusion(DepthGuidedSRFusion):
    """Residual fusion of SR-decoder features into MDE-decoder features.

    Args:
        channels (int): Channels ``C`` of the MDE-decoder features ``x``.
        guide_channels (int): Channels ``Cg`` of the SR-decoder features
            ``guide``.
        kernel_size (int): Kernel size of the guidance-map, fuse and output
            convs (odd). Defaults to 3.
        zero_init (bool): Initialise ``out_conv`` to zero so that the unit
            is the identity at initialisation. Defaults to True.
        align_corners (bool): For the bilinear resize of ``guide``.
            Defaults to False.
    """
