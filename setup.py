"""Build script of the digit_recognition ament_python package."""

from glob import glob

from setuptools import find_packages, setup

package_name = 'digit_recognition'

setup(
    name=package_name,
    version='0.1.0',
    package_dir={'': 'src'},
    packages=find_packages('src', include=[package_name, package_name + '.*']),
    package_data={package_name + '.vision': ['models/*', 'data/*']},
    data_files=[
        ('share/ament_index/resource_index/packages', ['resource/' + package_name]),
        ('share/' + package_name, ['package.xml']),
        ('share/' + package_name + '/launch', glob('launch/*.launch.py')),
        ('share/' + package_name + '/config', glob('config/*.yaml') + glob('config/*.xml')),
    ],
    install_requires=['setuptools'],
    zip_safe=False,
    maintainer='digit_recognition maintainers',
    maintainer_email='maintainers@digit-recognition.dev',
    description='Reads handwritten digits from a camera with ROS 2 nodes and a small CNN.',
    license='Apache-2.0',
    extras_require={'test': ['pytest']},
    entry_points={
        'console_scripts': [
            'camera = digit_recognition.nodes.camera_node:main',
            'preprocessor = digit_recognition.nodes.preprocessor_node:main',
            'classifier = digit_recognition.nodes.classifier_node:main',
            'overlay = digit_recognition.nodes.overlay_node:main',
            'pipeline = digit_recognition.nodes.pipeline:main',
            'demo = digit_recognition.tools.demo:main',
            'train = digit_recognition.tools.training:main',
            'bench_model = digit_recognition.tools.bench_model:main',
            'bench = digit_recognition.tools.bench_pipeline:main',
            'soak = digit_recognition.tools.soak:main',
        ],
    },
)
