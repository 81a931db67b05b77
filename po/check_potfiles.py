#!/usr/bin/env python3
# check_potfiles.py — fails unless po/POTFILES.in lists every file of
# src/, ui/ and data/ that has translatable strings, and nothing that
# does not exist. Also the scanner check_translations.py reuses.
#
# Usage: check_potfiles.py SOURCE_ROOT

import os
import re
import sys

SCANNED_DIRS = ('src', 'ui', 'data')

# Calls whose string arguments xgettext extracts with the glib preset
# (and xgettext's own C defaults, which it always adds).
C_KEYWORDS = frozenset((
    '_', 'N_', 'C_', 'NC_', 'Q_',
    'gettext', 'dgettext', 'dcgettext', 'ngettext', 'dngettext', 'dcngettext',
    'pgettext', 'dpgettext', 'npgettext', 'dnpgettext',
    'g_dgettext', 'g_dcgettext', 'g_dngettext', 'g_dpgettext', 'g_dpgettext2',
))

# Comments (dropped), string and character literals, words, single
# characters: enough of C to find keyword( "literal" outside comments.
C_TOKEN = re.compile(r'//[^\n]*|/\*.*?\*/'
                     r'|"(?:\\.|[^"\\\n])*"'
                     r"|'(?:\\.|[^'\\\n])*'"
                     r'|[A-Za-z_]\w*|\S', re.S)

# GtkBuilder takes yes/true/1 (any case) for a translatable property.
UI_TRANSLATABLE = re.compile(r'''\btranslatable\s*=\s*["'](?:yes|true|1|y|t)["']''', re.I)
# A GSettings schema's summaries and descriptions are translated once it
# names its gettext domain.
GSCHEMA_DOMAIN = re.compile(r'''\bgettext-domain\s*=\s*["'][^"']+["']''')
GSCHEMA_TEXT = re.compile(r'<(?:summary|description)\b')
# Files whose translatable fields the i18n module merges, whatever they
# contain.
MERGED_SUFFIXES = ('.desktop.in', '.metainfo.xml.in', '.appdata.xml.in')


def c_keyword_calls(text):
    """(keyword, line of its first string literal) for each keyword call
    with a literal argument, outside comments."""
    tokens = [(m.group(), m.start()) for m in C_TOKEN.finditer(text)
              if not m.group().startswith(('//', '/*'))]
    calls = []
    for i, (token, _position) in enumerate(tokens[:-1]):
        if token not in C_KEYWORDS or tokens[i + 1][0] != '(':
            continue
        depth = 0
        for inner, position in tokens[i + 1:]:
            if inner == '(':
                depth += 1
            elif inner == ')':
                depth -= 1
                if depth == 0:
                    break
            elif depth == 1 and inner.startswith('"'):
                calls.append((token, text.count('\n', 0, position) + 1))
                break
    return calls


def has_translatable_strings(path):
    name = os.path.basename(path)
    if name.endswith(MERGED_SUFFIXES):
        return True
    if not name.endswith(('.c', '.h', '.ui', '.gschema.xml')):
        return False
    with open(path, encoding='utf-8') as f:
        text = f.read()
    if name.endswith(('.c', '.h')):
        return bool(c_keyword_calls(text))
    if name.endswith('.ui'):
        return bool(UI_TRANSLATABLE.search(text))
    return bool(GSCHEMA_DOMAIN.search(text) and GSCHEMA_TEXT.search(text))


def files_with_strings(source_root):
    found = set()
    for top in SCANNED_DIRS:
        for folder, dirs, names in os.walk(os.path.join(source_root, top)):
            dirs.sort()
            for name in names:
                path = os.path.join(folder, name)
                if has_translatable_strings(path):
                    found.add(os.path.relpath(path, source_root))
    return found


def read_potfiles(source_root):
    """The files POTFILES.in lists, from the source root, in order."""
    listed = []
    with open(os.path.join(source_root, 'po', 'POTFILES.in'), encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith('#'):
                listed.append(line)
    return listed


def main(argv):
    if len(argv) != 2:
        print('usage: check_potfiles.py SOURCE_ROOT', file=sys.stderr)
        return 2
    source_root = argv[1]
    listed = read_potfiles(source_root)
    problems = []
    for path in sorted(files_with_strings(source_root) - set(listed)):
        problems.append(f'{path} has translatable strings but po/POTFILES.in does not list it')
    for path in listed:
        if not os.path.isfile(os.path.join(source_root, path)):
            problems.append(f'po/POTFILES.in lists {path}, which does not exist')
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(f'po/POTFILES.in lists all {len(listed)} files with translatable strings')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
