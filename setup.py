"""Installation of mmdepthsr."""

from setuptools import find_packages, setup


def read_requirements(path):
    with open(path, encoding='utf-8') as f:
        return [
            line.strip()
            for line in f
            if line.strip() and not line.startswith('#')
        ]


def read_version():
    namespace = {}
    with open('mmdepthsr/version.py', encoding='utf-8') as f:
        exec(f.read(), namespace)
    return namespace['__version__']


setup(
    name='mmdepthsr',
    version=read_version(),
    description='OpenMMLab-style toolbox for joint monocular depth '
    'estimation, guided depth super-resolution and semantic segmentation',
    long_description=open('README.md', encoding='utf-8').read(),
    long_description_content_type='text/markdown',
    license='Apache-2.0',
    packages=find_packages(
        exclude=('configs', 'tools', 'tests', 'demo', 'benchmarks', 'docs')
    ),
    include_package_data=True,
    # NYU class maps, class names and the official test split.
    package_data={'mmdepthsr.datasets': ['meta/*.txt']},
    python_requires='>=3.10',
    install_requires=read_requirements('requirements/runtime.txt'),
    extras_require=dict(
        # The ONNX export tests run in CI too (about 37 MB of wheels).
        tests=read_requirements('requirements/tests.txt')
        + read_requirements('requirements/export.txt'),
        export=read_requirements('requirements/export.txt'),
        tensorboard=['tensorboard'],
    ),
    zip_safe=False,
)
