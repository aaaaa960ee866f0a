"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap its sanity venvs.

ansible-test fetches that script from a host this network cannot reach. This one
does the same job offline: lab/setup-host.sh downloads the pip wheel ansible-test
pins from PyPI next to this file (~/.ansible/test/cache/), and pip installs
itself from that wheel, as get-pip.py does from its embedded copy.
"""

import glob
import os
import subprocess
import sys

# get-pip.py's own flags; pip install does not know them.
GET_PIP_ONLY = {"--no-setuptools", "--no-wheel"}

wheel_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), "wheels")
wheels = sorted(glob.glob(os.path.join(wheel_dir, "pip-*.whl")))
if not wheels:
    sys.exit("no pip wheel in %s: run 'make setup'" % wheel_dir)
pip_args = [arg for arg in sys.argv[1:] if arg not in GET_PIP_ONLY]
sys.exit(subprocess.call([sys.executable, os.path.join(wheels[-1], "pip"), "install", "--quiet",
                          "--no-index", "--find-links", wheel_dir, *pip_args]))
