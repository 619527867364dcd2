from .base import BaseDenseEstimator

__all__ = ['BaseDenseEstimator']
