#!/usr/bin/env python3
# check_translations.py — fails unless every language of po/LINGUAS
# translates every message of a POT made fresh from POTFILES.in, with
# xgettext's options taken from the build's own shoal-pot target:
#   - xgettext runs without a warning, and finds every keyword call
#     (_ N_ C_ NC_ ngettext…) that check_potfiles.py sees in C files;
#   - LANG.po merged into that POT (as `ninja shoal-update-po` does) passes
#     `msgfmt --check --check-accelerators` with no message fuzzy or
#     untranslated.
#
# Usage: check_translations.py --build-root DIR --xgettext PATH
#                              --msgmerge PATH --msgfmt PATH

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import check_potfiles  # noqa: E402

POT_COMMAND = '--internal gettext pot '
STATISTICS = re.compile(r'(\d+) (translated|fuzzy|untranslated)')


def pot_options(build_root):
    """pkgname, source root and xgettext's extra options, as the build's
    shoal-pot target runs meson's gettext helper."""
    with open(os.path.join(build_root, 'build.ninja'), encoding='utf-8') as f:
        for line in f:
            command = line.strip()
            if command.startswith('COMMAND = ') and POT_COMMAND in command:
                break
        else:
            sys.exit(f'no pot target in {build_root}/build.ninja: is po/ built with i18n.gettext()?')
    options = {}
    for word in shlex.split(command[len('COMMAND = '):]):
        key, _, value = word.partition('=')
        options[key] = value
    extra = options.get('--extra-args', '')
    return options['--pkgname'], options['--source-root'], extra.split('@@') if extra else []


def make_pot(xgettext, pkgname, source_root, extra_args, folder):
    """The POT, as meson's gettext helper writes it, into @folder."""
    pot = os.path.join(folder, pkgname + '.pot')
    result = subprocess.run([xgettext, '--package-name=' + pkgname, '-p', folder,
                             '-f', os.path.join(source_root, 'po', 'POTFILES.in'),
                             '-D', source_root, '-k_', '-o', pot] + extra_args,
                            capture_output=True, text=True)
    if result.returncode != 0 or result.stderr.strip():
        print(result.stderr.strip())
        sys.exit(f'xgettext failed or warned (exit status {result.returncode})')
    return pot


def missed_calls(source_root, pot):
    """Keyword calls in the listed C files that the POT has no reference
    to: a form xgettext is not told about."""
    with open(pot, encoding='utf-8') as f:
        references = set(re.findall(r'(\S+\.[ch]:\d+)', ''.join(l for l in f if l.startswith('#:'))))
    missed = []
    for path in check_potfiles.read_potfiles(source_root):
        if not path.endswith(('.c', '.h')):
            continue
        with open(os.path.join(source_root, path), encoding='utf-8') as f:
            calls = check_potfiles.c_keyword_calls(f.read())
        missed += [f'{path}:{line}: {keyword}()' for keyword, line in calls
                   if f'{path}:{line}' not in references]
    return missed


def languages(source_root):
    with open(os.path.join(source_root, 'po', 'LINGUAS'), encoding='utf-8') as f:
        return [word for line in f if not line.lstrip().startswith('#') for word in line.split()]


def entry_at(po, number):
    """The PO entry around line @number (from 1)."""
    with open(po, encoding='utf-8') as f:
        lines = f.read().split('\n')
    start = end = number - 1
    while start > 0 and lines[start - 1].strip():
        start -= 1
    while end < len(lines) and lines[end].strip():
        end += 1
    return '\n'.join(lines[start:end])


def unfinished(po):
    """The fuzzy and the untranslated messages of @po, as lines to show."""
    with open(po, encoding='utf-8') as f:
        entries = f.read().split('\n\n')
    found = []
    for entry in entries[1:]:
        lines = [line for line in entry.split('\n') if line and not line.startswith('#~')]
        ids = [line for line in lines if line.startswith('msgid ')]
        if not ids:
            continue
        empty = any(line.startswith('msgstr') and line.endswith(' ""') and
                    (i + 1 == len(lines) or not lines[i + 1].startswith('"'))
                    for i, line in enumerate(lines))
        if any(line.startswith('#,') and 'fuzzy' in line for line in lines):
            found.append('fuzzy: ' + ids[0])
        elif empty:
            found.append('untranslated: ' + ids[0])
    return found


def check_language(tools, source_root, pot, language, folder):
    """None when @language translates every message, else what is wrong."""
    merged = os.path.join(folder, language + '.po')
    subprocess.run([tools.msgmerge, '--quiet', '-o', merged,
                    os.path.join(source_root, 'po', language + '.po'), pot], check=True)
    result = subprocess.run([tools.msgfmt, '--check', '--check-accelerators=_', '--statistics',
                             '-o', os.devnull, merged], capture_output=True, text=True)
    output = result.stderr.strip().replace(merged, f'{language}.po (merged)')
    counts = {kind: int(number) for number, kind in STATISTICS.findall(output)}
    print(f'{language}: {output}')
    for line in sorted({int(n) for n in re.findall(r'\(merged\):(\d+):', output)}):
        print(f'{language}.po (merged), the message at line {line}:')
        print(entry_at(merged, line))
    if result.returncode != 0:
        return f'{language}.po: msgfmt --check failed'
    if counts.get('fuzzy', 0) or counts.get('untranslated', 0) or not counts.get('translated', 0):
        for message in unfinished(merged):
            print(f'{language}.po: {message}')
        return f'{language}.po: not every message is translated (run `ninja shoal-update-po` and translate)'
    return None


def main():
    parser = argparse.ArgumentParser()
    for option in ('--build-root', '--xgettext', '--msgmerge', '--msgfmt'):
        parser.add_argument(option, required=True)
    tools = parser.parse_args()

    pkgname, source_root, extra_args = pot_options(tools.build_root)
    problems = []
    with tempfile.TemporaryDirectory(prefix='shoal-po-') as folder:
        pot = make_pot(tools.xgettext, pkgname, source_root, extra_args, folder)
        problems += [f'{call} not extracted by xgettext' for call in missed_calls(source_root, pot)]
        for language in languages(source_root):
            problem = check_language(tools, source_root, pot, language, folder)
            if problem is not None:
                problems.append(problem)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == '__main__':
    sys.exit(main())
