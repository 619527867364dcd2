from .dense_data_sample import PIXEL_FIELDS, DenseDataSample

__all__ = ['DenseDataSample', 'PIXEL_FIELDS']
