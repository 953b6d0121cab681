"""exporter_check.py - reads paraprof-exporter's output for the shell tests.

A parser of the Prometheus text format and OpenMetrics of its own (labels
unescaped by the format's rules), so that the tests do not trust the
exporter's idea of its format:

  exporter_check.py lint SCRAPE
      the whole scrape is valid UTF-8, every line a comment or a sample,
      each family's samples together after its TYPE, no series twice;
      prints "ok" or the problems (exit 1)
  exporter_check.py flat SCRAPE
      lint, then every sample on one line, fields separated by tabs:
      METRIC, LABEL=VALUE (unescaped) for each label, the value; for awk
      (Python starts slowly: one run per scrape).  Exit 1 when the lint
      finds a problem or a label value holds a tab or a newline.
  exporter_check.py hist SCRAPE PPDUMP_OUT NM_OUT PID
      for each function series of PID (not "(other)"): its calls and its
      cumulative buckets against the buckets tests/ppdump printed
      (PPDUMP_HIST=1) for the function nm names at that address: every le
      must be a bucket's last nanosecond (by format.h's layout, and no
      bucket of the dump straddles it) and each
      cumulative count the sum of the buckets at or below it; prints
      "checked N series" or the problems (exit 1)
"""
import re
import sys
from decimal import Decimal

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')


def parse_labels(text):
    """'a="x",b="y\\"z"' -> {'a': 'x', 'b': 'y"z'}; raises ValueError."""
    labels, i = {}, 0
    while i < len(text):
        m = re.match(r'([a-zA-Z_][a-zA-Z0-9_]*)="', text[i:])
        if not m:
            raise ValueError('bad label at %r' % text[i:i + 20])
        name, i, value = m.group(1), i + m.end(), []
        while True:
            if i >= len(text):
                raise ValueError('unterminated label value')
            c = text[i]
            if c == '\\':
                nxt = text[i + 1:i + 2]
                if nxt not in ('\\', '"', 'n'):
                    raise ValueError('bad escape \\%s' % nxt)
                value.append({'\\': '\\', '"': '"', 'n': '\n'}[nxt])
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                value.append(c)
                i += 1
        if name in labels:
            raise ValueError('label %s twice' % name)
        labels[name] = ''.join(value)
        if i < len(text):
            if text[i] != ',':
                raise ValueError('expected , at %r' % text[i:i + 20])
            i += 1
    return labels


def read(path):
    """[(name, labels, value_text)], [problems]."""
    problems, samples = [], []
    raw = open(path, 'rb').read()
    try:
        text = raw.decode('utf-8')
    except UnicodeDecodeError as e:
        return [], ['not UTF-8: %s' % e]
    for n, line in enumerate(text.split('\n'), 1):
        if not line or line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            problems.append('line %d is not a sample: %r' % (n, line[:120]))
            continue
        try:
            labels = parse_labels(m.group(2) or '')
        except ValueError as e:
            problems.append('line %d: %s' % (n, e))
            continue
        samples.append((m.group(1), labels, m.group(3)))
    return samples, problems


def family_of(name, families):
    for suffix in ('_bucket', '_sum', '_count', '_total', ''):
        if name.endswith(suffix) and name[:len(name) - len(suffix)] in families:
            return name[:len(name) - len(suffix)]
    return name if name in families else None


def lint(path, quiet=False):
    samples, problems = read(path)
    text = open(path, 'rb').read().decode('utf-8', 'replace')
    families, order, seen, done = set(), [], set(), set()
    for line in text.split('\n'):
        if line.startswith('# TYPE '):
            families.add(line.split()[2])
    current = None
    for name, labels, value in samples:
        fam = family_of(name, families)
        if fam is None:
            problems.append('%s: no TYPE line' % name)
            continue
        if fam != current:
            if fam in done:
                problems.append('%s: its samples are not together' % fam)
            if current:
                done.add(current)
            current = fam
        key = (name, tuple(sorted(labels.items())))
        if key in seen:
            problems.append('series twice: %s %s' % (name, labels))
        seen.add(key)
        try:
            float(value)
        except ValueError:
            problems.append('%s: value %r' % (name, value))
    for p in problems[:20]:
        print(p, file=sys.stderr if quiet else sys.stdout)
    if not problems and not quiet:
        print('ok')
    return 1 if problems else 0


def flat(path):
    if lint(path, quiet=True):
        return 1
    samples, _ = read(path)
    for name, labels, value in samples:
        for v in labels.values():
            if '\t' in v or '\n' in v:
                print('a label value holds a tab or a newline: %r' % v, file=sys.stderr)
                return 1
        print('\t'.join([name] + ['%s=%s' % kv for kv in labels.items()] + [value]))
    return 0


def is_bucket_end(v):
    """Whether v ns is the last value of a bucket of format.h's histogram:
    v + 1 must start a bucket (below 128 every value is a bucket; above,
    the buckets of [2^e, 2^(e+1)) are 2^(e-6) wide)."""
    w = v + 1
    shift = max(w.bit_length() - 1, 6) - 6
    return (w >> shift) << shift == w


def le_ns(le):
    ns = Decimal(le) * 1000000000
    if ns != ns.to_integral_value():
        raise ValueError('le %s is not a whole number of ns' % le)
    return int(ns)


def hist(path, ppdump_out, nm_out, pid):
    names = {}
    for line in open(nm_out):
        f = line.split()
        if len(f) == 3 and f[1] in 'tTW':
            names.setdefault(int(f[0], 16), f[2])
    dump, cur = {}, None
    for line in open(ppdump_out, encoding="latin-1"):
        if line.startswith('fn '):
            where, fields = line.split()[1], dict(kv.split('=', 1) for kv in line.split()[2:])
            addr = int(where.rsplit('+0x', 1)[1], 16)
            cur = {'calls': int(fields['calls']), 'buckets': []}
            if addr in names:
                dump[names[addr]] = cur
        elif line.startswith('  bucket ') and cur is not None:
            f = dict(kv.split('=', 1) for kv in line.split()[1:])
            cur['buckets'].append((int(f['lower']), int(f['width']), int(f['count'])))
        else:
            cur = None
    samples, problems = read(path)
    series = {}
    for name, labels, value in samples:
        if labels.get('pid') != pid or labels.get('kind') != 'function':
            continue
        fn = labels['function']
        if fn == '(other)':
            continue
        s = series.setdefault(fn, {'buckets': {}})
        if name == 'paraprof_calls_total':
            s['calls'] = int(value)
        elif name == 'paraprof_call_duration_seconds_bucket':
            s['buckets'][labels['le']] = int(value)
        elif name == 'paraprof_call_duration_seconds_count':
            s['count'] = int(value)
    checked = 0
    for fn, s in sorted(series.items()):
        if fn not in dump:
            problems.append('%s: not in the dump' % fn)
            continue
        d = dump[fn]
        if s.get('calls') != d['calls']:
            problems.append('%s: calls %s, the dump says %d' % (fn, s.get('calls'), d['calls']))
        total = sum(c for _, _, c in d['buckets'])
        if s['buckets'].get('+Inf') != total or s.get('count') != total:
            problems.append('%s: +Inf %s, count %s, the dump\'s buckets hold %d'
                            % (fn, s['buckets'].get('+Inf'), s.get('count'), total))
        for le, cum in s['buckets'].items():
            if le == '+Inf':
                continue
            bound = le_ns(le)
            if not is_bucket_end(bound):
                problems.append('%s: le %s is not the end of a histogram bucket' % (fn, le))
            want = 0
            for lower, width, count in d['buckets']:
                last = lower + width - 1
                if lower <= bound < last:
                    problems.append('%s: le %s cuts the bucket [%d, %d]' % (fn, le, lower, last))
                if last <= bound:
                    want += count
            if cum != want:
                problems.append('%s: le %s holds %d, the dump says %d' % (fn, le, cum, want))
        checked += 1
    for p in problems[:20]:
        print(p)
    if not problems:
        print('checked %d series' % checked)
    return 1 if problems or not checked else 0


def main(argv):
    cmd = argv[1]
    if cmd == 'lint':
        return lint(argv[2])
    if cmd == 'flat':
        return flat(argv[2])
    if cmd == 'hist':
        return hist(argv[2], argv[3], argv[4], argv[5])
    print(__doc__)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
