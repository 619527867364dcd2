"""The base of the dense transforms: what a step needs, declared once.

A pipeline step declares by class attributes whether it makes sense
without ground truth; :func:`mmdepthsr.apis.build_inference_pipeline`
reads them to reduce a test pipeline to the steps that inference (an image
and an LR depth map given as arrays) can run. Any registered transform
class may set the attributes; :class:`DenseTransform` gives their
defaults and the hook :meth:`DenseTransform.inference_cfg` for a step
whose configuration changes at inference.
"""

from typing import Optional, Tuple

from mmcv.transforms import BaseTransform

__all__ = ['DenseTransform']


class DenseTransform(BaseTransform):
    """Base of the mmdepthsr transforms.

    Subclasses implement ``transform(results)`` as for
    :class:`mmcv.transforms.BaseTransform` and set the class attributes
    that apply.

    Attributes:
        training_only (bool): The step only makes sense in training (a
            random augmentation); inference leaves it out.
        needs_gt (bool): The step reads or makes ground truth, or data
            derived from it (``GenerateLRDepth``); inference leaves it out.
        reads_files (bool): The step reads a file named in the results by
            the dataset; inference leaves it out (the image and the LR
            depth are given as arrays).
    """

    training_only: bool = False
    needs_gt: bool = False
    reads_files: bool = False

    @classmethod
    def inference_cfg(cls, cfg: dict) -> Tuple[Optional[dict], Optional[str]]:
        """The config of this step in an inference pipeline.

        Args:
            cfg (dict): The step's config in the test pipeline.

        Returns:
            tuple[dict | None, str | None]: The config to run (None: leave
            the step out, which the default does when one of the class
            attributes is set) and a note on what was changed, or None.
        """
        if cls.training_only or cls.needs_gt or cls.reads_files:
            return None, None
        return cfg, None
