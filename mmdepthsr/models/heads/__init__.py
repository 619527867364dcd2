from .eigen_heads import EigenCoarseHead, EigenFineHead

__all__ = ['EigenCoarseHead', 'EigenFineHead']
