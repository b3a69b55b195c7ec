"""setup.cfg's package data names files that exist, and every data file of the packages."""
import configparser
import glob
import os

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def package_data():
    config = configparser.ConfigParser()
    config.read(os.path.join(REPO, 'setup.cfg'))
    return {package: [p.strip() for p in patterns.replace('\n', ',').split(',') if p.strip()]
            for package, patterns in config['options.package_data'].items()}


def test_every_pattern_names_files_and_every_data_file_is_named():
    for package, patterns in package_data().items():
        root = os.path.join(REPO, package)
        named = set()
        for pattern in patterns:
            found = glob.glob(os.path.join(root, pattern))
            assert found, '%s: %s names no file' % (package, pattern)
            named.update(found)
        for folder, dirs, files in os.walk(root):
            dirs[:] = [d for d in dirs if d != '__pycache__']
            data = [os.path.join(folder, f) for f in files if not f.endswith(('.py', '.pyc'))]
            missing = sorted(os.path.relpath(f, root) for f in data if f not in named)
            assert not missing, '%s: not in package data: %s' % (package, missing)
