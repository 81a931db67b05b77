# check-manifest.py — the flatpak manifest is one flatpak-builder reads
# without a complaint, every tarball in it is pinned, the libraries it builds
# are at least the versions meson.build asks for, and its permissions stay
# narrow. TAP output.
#
# usage: check-manifest.py FLATPAK-BUILDER MANIFEST MESON.BUILD...
#
# Runtimes cannot be downloaded here, so nothing is built: this is what can
# be checked offline. `flatpak-builder --show-manifest` exits 0 even on an
# unknown key or a value of the wrong type (it only warns), so its stderr
# must be empty too.

import json
import os
import re
import subprocess
import sys
import tempfile

APP_ID = 'io.github.shoal.Shoal'
COMMAND = 'shoal'

# pkg-config name in meson.build -> the manifest module that provides it.
PINNED_MODULES = {
    'libmicrohttpd': 'libmicrohttpd',
    'sqlite3': 'sqlite',
    'nettle': 'nettle',
}

# Grants the app must not have: shared folders come through the file chooser
# portal, notifications through the notification portal.
FORBIDDEN_GRANTS = {
    '--filesystem=home',
    '--filesystem=host',
    '--filesystem=host-os',
    '--filesystem=host-etc',
    '--socket=x11',
    '--socket=session-bus',
    '--socket=system-bus',
    '--device=all',
    '--talk-name=org.freedesktop.Notifications',
}

SHA256 = re.compile(r'^[0-9a-f]{64}$')
REQUIREMENT = re.compile(
    r"dependency\(\s*'([\w.+-]+)'\s*,\s*version\s*:\s*'>=\s*([0-9][0-9.]*)'")
# The version in a release tarball's name; SQLite spells 3.40.1 as 3400100.
TARBALL_VERSION = re.compile(r'-([0-9][0-9.]*[0-9])\.tar\.[a-z0-9]+$')
SQLITE_TARBALL_VERSION = re.compile(r'sqlite-autoconf-([0-9])([0-9]{2})([0-9]{2})[0-9]{2}\.tar')


class Tap:
    def __init__(self, planned):
        self.number = 0
        self.failed = False
        print(f'1..{planned}')

    def result(self, passed, description, details=()):
        self.number += 1
        print(f"{'ok' if passed else 'not ok'} {self.number} - {description}")
        for line in details:
            print(f'# {line}')
        self.failed = self.failed or not passed


def version_tuple(text):
    return tuple(int(part) for part in text.split('.'))


def module_version(module):
    for source in module.get('sources', []):
        url = source.get('url', '') if isinstance(source, dict) else ''
        match = SQLITE_TARBALL_VERSION.search(url)
        if match:
            return '.'.join(str(int(part)) for part in match.groups())
        match = TARBALL_VERSION.search(url)
        if match:
            return match.group(1)
    return None


def read_requirements(meson_files):
    requirements = {}
    for path in meson_files:
        with open(path, encoding='utf-8') as f:
            for name, version in REQUIREMENT.findall(f.read()):
                requirements[name] = version
    return requirements


def check_show_manifest(tap, flatpak_builder, manifest_path):
    # It writes its state folder (.flatpak-builder) into the current one.
    with tempfile.TemporaryDirectory() as scratch:
        run = subprocess.run([flatpak_builder, '--show-manifest', os.path.abspath(manifest_path)],
                             cwd=scratch, capture_output=True, text=True, check=False)
    problems = [] if run.returncode == 0 else [f'exit status {run.returncode}']
    problems += [line for line in run.stderr.splitlines() if line.strip()]
    if not problems:
        try:
            shown = json.loads(run.stdout)
        except json.JSONDecodeError as e:
            shown = {}
            problems.append(f'its output is not JSON: {e}')
        if shown.get('id') != APP_ID or shown.get('command') != COMMAND:
            problems.append(f"it reads id {shown.get('id')!r}, command {shown.get('command')!r}")
    tap.result(not problems, 'flatpak-builder --show-manifest reads it without a warning', problems)


def check_sources_pinned(tap, manifest):
    problems = []
    for module in manifest['modules']:
        for source in module.get('sources', []):
            if source.get('type') != 'archive':
                continue
            if not source.get('url', '').startswith('https://'):
                problems.append(f"{module['name']}: {source.get('url')!r} is not https")
            if not SHA256.match(source.get('sha256', '')):
                problems.append(f"{module['name']}: no sha256 for {source.get('url')}")
    tap.result(not problems, 'every tarball is fetched over https and pinned by sha256', problems)


def check_versions(tap, manifest, requirements):
    modules = {module['name']: module for module in manifest['modules']}
    for pkg_name, module_name in PINNED_MODULES.items():
        required = requirements.get(pkg_name)
        module = modules.get(module_name)
        built = module_version(module) if module else None
        if required is None:
            tap.result(False, f'{pkg_name}: meson.build states a minimum version',
                       [f"no dependency('{pkg_name}', version: '>= …') found"])
        elif built is None:
            tap.result(False, f'{pkg_name}: the manifest builds it from a versioned tarball',
                       [f'module {module_name!r} is missing or has no versioned tarball'])
        else:
            tap.result(version_tuple(built) >= version_tuple(required),
                       f'{pkg_name}: the manifest builds {built}, meson.build needs >= {required}')


def check_permissions(tap, manifest):
    granted = set(manifest.get('finish-args', []))
    too_broad = sorted(granted & FORBIDDEN_GRANTS)
    tap.result(not too_broad, 'finish-args grant no home, host, X11-only or bus-wide access',
               [f'remove {grant}' for grant in too_broad])


def main():
    if len(sys.argv) < 4:
        print('Bail out! usage: check-manifest.py FLATPAK-BUILDER MANIFEST MESON.BUILD...')
        return 1
    flatpak_builder, manifest_path, meson_files = sys.argv[1], sys.argv[2], sys.argv[3:]

    tap = Tap(3 + len(PINNED_MODULES))
    try:
        with open(manifest_path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f'Bail out! cannot read {manifest_path}: {e}')
        return 1

    check_show_manifest(tap, flatpak_builder, manifest_path)
    check_sources_pinned(tap, manifest)
    check_versions(tap, manifest, read_requirements(meson_files))
    check_permissions(tap, manifest)
    return 1 if tap.failed else 0


if __name__ == '__main__':
    sys.exit(main())
