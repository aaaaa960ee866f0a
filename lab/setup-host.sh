#!/usr/bin/env bash
# Install everything the tests need on a fresh Debian machine (root, Python 3.11):
# Debian packages, the pinned Python tool chain in .venv, and the collections that
# Molecule's docker driver needs, taken from the pinned PyPI 'ansible' wheel
# (Ansible Galaxy is not reachable). Each step is skipped when already done.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
cd "$repo"

python=${PYTHON:-python3}
ansible_wheel_version=12.3.0
# community.docker (and its dependency) for the docker driver; ansible.posix because
# the driver's create playbook names ansible.posix.synchronize.
bundled_collections="community/docker community/library_inventory_filtering_v1 ansible/posix"
# dpkg-dev: dpkg-scanpackages indexes the install scenario's local apt repository (lab/images/apt-repo.sh).
apt_packages="debootstrap docker.io dpkg-dev mariadb-server mariadb-client mariadb-backup rsync shellcheck"

missing=()
for package in $apt_packages; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get update -q >/dev/null
  # The host's own mariadb service must not start: tests run their own throw-away servers.
  policy=/usr/sbin/policy-rc.d
  created_policy=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy"; chmod 0755 "$policy"; created_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
  if [ "$created_policy" = 1 ]; then rm -f "$policy"; fi
fi

stamp=.venv/.requirements.sha256
wanted=$(sha256sum requirements.txt | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$wanted" ]; then
  echo "setup: creating .venv from requirements.txt"
  "$python" -m venv .venv
  .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c 'import ansible, molecule, pymysql, pytest' # fail here if the install did not work
  echo "$wanted" >"$stamp"
fi

collections=.collections/ansible_collections
if [ ! -f "$collections/.from-ansible-$ansible_wheel_version" ]; then
  echo "setup: extracting ${bundled_collections} from ansible==$ansible_wheel_version"
  wheel_dir=.cache/wheels
  mkdir -p "$wheel_dir"
  .venv/bin/pip download -q --disable-pip-version-check --no-deps -d "$wheel_dir" "ansible==$ansible_wheel_version" 2>&1 \
    | grep -v '^WARNING: Location' || true
  wheel=$(ls "$wheel_dir"/ansible-"$ansible_wheel_version"-*.whl)
  rm -rf .cache/extract && mkdir -p .cache/extract "$collections"
  patterns=()
  for name in $bundled_collections; do patterns+=("ansible_collections/$name/*"); done
  .venv/bin/python - "$wheel" .cache/extract "${patterns[@]}" <<'PY'
import fnmatch, sys, zipfile
wheel, dest, patterns = sys.argv[1], sys.argv[2], sys.argv[3:]
with zipfile.ZipFile(wheel) as archive:
    members = [m for m in archive.namelist() if any(fnmatch.fnmatch(m, p) for p in patterns)]
    archive.extractall(dest, members)
PY
  for name in $bundled_collections; do
    rm -rf "${collections:?}/$name" && mkdir -p "$(dirname "$collections/$name")"
    mv ".cache/extract/ansible_collections/$name" "$collections/$name"
  done
  rm -rf .cache/extract
  touch "$collections/.from-ansible-$ansible_wheel_version"
fi
# ansible-test bootstraps pip in its sanity venvs with a script it downloads from a host
# this network cannot reach; give it a stand-in under the name it looks for.
pip_version=$(.venv/bin/python - <<'PY'
import re, ansible_test, pathlib
source = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"pip='([0-9.]+)'", source).group(1))
PY
)
test_cache="$HOME/.ansible/test/cache"
get_pip="$test_cache/get_pip_${pip_version//./_}.py"
if ! cmp -s lab/ansible-test-get-pip.py "$get_pip" || [ ! -f "$test_cache/wheels/pip-$pip_version-py3-none-any.whl" ]; then
  mkdir -p "$test_cache/wheels"
  .venv/bin/pip download -q --disable-pip-version-check --no-deps -d "$test_cache/wheels" "pip==$pip_version" 2>&1 \
    | grep -v '^WARNING: Location' || true
  cp lab/ansible-test-get-pip.py "$get_pip"
fi

# The collection under test, importable as ansible_collections.replkit.mariadb.
mkdir -p "$collections/replkit"
ln -sfn ../../.. "$collections/replkit/mariadb"
echo "setup: ready ($(.venv/bin/ansible --version | sed -n 1p))"
